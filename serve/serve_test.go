package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/metrics"
	"github.com/pinionhq/pinion/serve"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

type Note struct {
	ID   int    `json:"id" readOnly:"true"`
	Text string `json:"text" required:"true"`
}

// failing cannot start.
type failing struct{}

func (failing) Find(ctx context.Context, p *pinion.Params) (any, error) { return nil, nil }
func (failing) Setup(ctx context.Context, app *pinion.App, path string) error {
	return errors.New("no database")
}

func TestServe(t *testing.T) {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	healthy := true
	srv, err := serve.New(app, serve.Options{
		Ready:  func(ctx context.Context) error { return map[bool]error{true: nil, false: errors.New("down")}[healthy] },
		Routes: map[string]http.Handler{"/hello": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) })},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	get := func(path string, h http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/hello": 200, "/notes": 200, "/nothing": 404} {
		if got := get(path, nil).StatusCode; got != want {
			t.Errorf("GET %s: %d, want %d", path, got, want)
		}
	}
	healthy = false
	if got := get("/readyz", nil).StatusCode; got != 503 {
		t.Errorf("readyz while the database is down: %d", got)
	}

	// Events reach sockets by default; the page's own origin may connect,
	// another may not.
	events := make(chan string, 1)
	self := http.Header{"Origin": {ts.URL}}
	sock, err := sioclient.DialAuth(ts.URL, self, nil, func(name string, data json.RawMessage, at time.Time) { events <- name })
	if err != nil {
		t.Fatalf("the server's own origin was refused: %v", err)
	}
	defer sock.Close()
	if _, err := sioclient.DialAuth(ts.URL, http.Header{"Origin": {"https://elsewhere.example"}}, nil, nil); err == nil {
		t.Error("another origin was let in")
	}
	if _, err := sock.Call("create", "notes", map[string]any{"text": "hi"}, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e != "notes created" {
			t.Errorf("event %s", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("no event reached the socket")
	}
	// Without authentication there is no stream to open.
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/stream?t=x", nil); err == nil || resp.StatusCode != 404 {
		t.Errorf("a stream without authentication: %v", err)
	}
}

// A service that cannot start stops New with its error, not the first call.
func TestSetupFails(t *testing.T) {
	app := pinion.New()
	app.Use("broken", failing{})
	if _, err := serve.New(app, serve.Options{}); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("New: %v", err)
	}
}

// Serve stops on its context and lets a call in flight finish.
func TestGracefulShutdown(t *testing.T) {
	app := pinion.New()
	started := make(chan struct{})
	app.Use("slow", slow{started})
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	answer := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			answer <- 0
			return
		}
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	<-started
	cancel()
	if got := <-answer; got != 200 {
		t.Errorf("the call in flight got %d", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

type slow struct{ started chan struct{} }

func (s slow) Find(ctx context.Context, p *pinion.Params) (any, error) {
	close(s.started)
	time.Sleep(200 * time.Millisecond)
	return map[string]any{"done": true}, nil
}

// Routes that cannot all be served are an error of New, never a panic of
// the router nor a route that silently hides another.
func TestRouteConflicts(t *testing.T) {
	h := http.NotFoundHandler()
	for _, tc := range []struct {
		name string
		opts serve.Options
		want string
	}{
		{"metrics on a service", serve.Options{Metrics: metrics.New(), MetricsPath: "/notes"}, "would hide the notes service"},
		{"metrics on a record", serve.Options{Metrics: metrics.New(), MetricsPath: "/notes/metrics"}, "would hide the notes service"},
		{"metrics on a route", serve.Options{Metrics: metrics.New(), MetricsPath: "/readyz"}, "route /readyz"},
		{"metrics on a route's files", serve.Options{Metrics: metrics.New(), MetricsPath: "/files/m", Routes: map[string]http.Handler{"/files/*f": h}}, "route /files/*f"},
		{"metrics on the root", serve.Options{Metrics: metrics.New(), MetricsPath: "/"}, "metrics path"},
		{"metrics as a pattern", serve.Options{Metrics: metrics.New(), MetricsPath: "/:x"}, "metrics path"},
		{"routes the router refuses", serve.Options{Routes: map[string]http.Handler{"/a/:x": h, "/a/:y": h}}, "conflicts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := pinion.New()
			pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
			_, err := serve.New(app, tc.opts)
			if !errors.Is(err, serve.ErrRouteConflict) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrRouteConflict mentioning %q", err, tc.want)
			}
		})
	}
	// The metrics on a listener of their own take any path.
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	if _, err := serve.New(app, serve.Options{Metrics: metrics.New(), MetricsPath: "/notes", MetricsAddr: "127.0.0.1:0"}); err != nil {
		t.Errorf("metrics on their own listener: %v", err)
	}
}
