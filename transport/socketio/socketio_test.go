package socketio_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// calls records the order in which calls reach it.
type calls struct {
	mu  sync.Mutex
	got []float64
}

func (c *calls) Create(ctx context.Context, data any, p *pinion.Params) (any, error) {
	m := data.(map[string]any)
	if m["panic"] == true {
		panic("a bug in a service")
	}
	n, _ := m["n"].(float64)
	time.Sleep(time.Duration(int(n)%3) * time.Millisecond) // later calls may be faster
	c.mu.Lock()
	c.got = append(c.got, n)
	c.mu.Unlock()
	return m, nil
}

func (c *calls) Get(ctx context.Context, id any, p *pinion.Params) (any, error) {
	return map[string]any{"id": id, "query": p.Query, "provider": p.Provider, "connection": p.Connection != nil}, nil
}

func newServer(t *testing.T, origins ...string) (*pinion.App, *socketio.Server, string, *calls) {
	t.Helper()
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	c := &calls{}
	app.Use("things", c, pinion.WithMethod("shout", func(ctx context.Context, data any, p *pinion.Params) (any, error) {
		return strings.ToUpper(data.(map[string]any)["text"].(string)), nil
	}))
	app.Use("hidden", &calls{}, pinion.WithMethods("get"))
	app.OnConnection(func(ctx context.Context, conn *pinion.Connection) { app.Channel("all").Join(conn) })
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	s := socketio.New(app, socketio.Options{Origins: origins})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return app, s, srv.URL, c
}

func dial(t *testing.T, url string, onEvent func(string, json.RawMessage, time.Time)) *sioclient.Conn {
	t.Helper()
	c, err := sioclient.Dial(url, onEvent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestCalls(t *testing.T) {
	_, _, url, _ := newServer(t)
	c := dial(t, url, nil)
	res, err := c.Call("get", "things", 7, map[string]any{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(res[1], &got)
	if got["id"] != 7.0 || got["provider"] != "socketio" || got["connection"] != true || got["query"].(map[string]any)["n"] != 1.0 {
		t.Errorf("get: %v", got)
	}
	res, err = c.Call("shout", "things", map[string]any{"text": "hi"}, map[string]any{})
	if err != nil || string(res[1]) != `"HI"` {
		t.Errorf("custom method: %s %v", res, err)
	}
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"get", "nothing", 1, map[string]any{}}, `"Service 'nothing' not found"`},
		{[]any{"get", 42, 1, map[string]any{}}, `"Invalid service path"`},
		{[]any{"create", "hidden", map[string]any{}, map[string]any{}}, `"Method 'create' not allowed on service 'hidden'"`},
		{[]any{"get", "things", 1, map[string]any{}, "extra"}, `"Too many arguments for 'get' method"`},
		{[]any{"get", "things", map[string]any{"id": 1}, map[string]any{}}, `"Invalid id: an id must be a string or a number"`},
		{[]any{"get", "things", 1, "not a query"}, `"The query of 'get' must be an object: got string"`},
		{[]any{"create", "things", map[string]any{"panic": true}, map[string]any{}}, `"Internal server error"`},
	} {
		res, err := c.Call(tc.args[0].(string), tc.args[1:]...)
		if err == nil || len(res) == 0 {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		var fe map[string]any
		json.Unmarshal(res[0], &fe)
		if msg, _ := json.Marshal(fe["message"]); string(msg) != tc.want || fe["name"] == nil || fe["code"] == nil {
			t.Errorf("%v: %s, want message %s", tc.args, res[0], tc.want)
		}
	}
	// The connection survived the panic.
	if _, err := c.Call("get", "things", 1, map[string]any{}); err != nil {
		t.Fatal(err)
	}
}

func TestCallsKeepTheirOrder(t *testing.T) {
	_, _, url, rec := newServer(t)
	c := dial(t, url, nil)
	var waits []func() ([]json.RawMessage, error)
	for i := range 60 { // sent in order, without waiting for acks
		wait, err := c.Send("create", "things", map[string]any{"n": float64(i)}, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wait)
	}
	for _, wait := range waits {
		if _, err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := 1; i < len(rec.got); i++ {
		if rec.got[i] < rec.got[i-1] {
			t.Fatalf("calls ran out of order: %v", rec.got)
		}
	}
}

func TestEventBeforeAck(t *testing.T) {
	_, _, url, _ := newServer(t)
	var mu sync.Mutex
	var order []string
	c := dial(t, url, func(name string, data json.RawMessage, at time.Time) {
		mu.Lock()
		order = append(order, "event "+name)
		mu.Unlock()
	})
	if _, err := c.Call("create", "things", map[string]any{"n": 1}, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	order = append(order, "ack")
	got := strings.Join(order, ", ")
	mu.Unlock()
	if got != "event things created, ack" {
		t.Fatalf("order: %s", got)
	}
}

func TestOrigins(t *testing.T) {
	_, _, url, _ := newServer(t, "https://chat.example")
	if _, err := sioclient.DialHeader(url, http.Header{"Origin": {"https://evil.example"}}, nil); err == nil {
		t.Fatal("a handshake from another origin was accepted")
	}
	c, err := sioclient.DialHeader(url, http.Header{"Origin": {"https://chat.example"}}, nil)
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	c.Close()
}

// TestNoLeaks checks that connections the clients close are released: no
// goroutine, descriptor or connection stays behind (Engine.IO v3.0.2 alone
// would keep them).
func TestNoLeaks(t *testing.T) {
	app, s, url, _ := newServer(t)
	disconnected := make(chan struct{}, 100)
	app.OnDisconnect(func(context.Context, *pinion.Connection) { disconnected <- struct{}{} })
	warm := dial(t, url, nil)
	warm.Close()
	<-disconnected
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	const n = 50
	var conns []*sioclient.Conn
	for i := range n {
		c, err := sioclient.Dial(url, nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	for range n {
		select {
		case <-disconnected:
		case <-time.After(10 * time.Second):
			t.Fatal("disconnects were not reported")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before+5 {
		t.Errorf("%d goroutines before, %d after %d connections came and went", before, g, n)
	}
	if s.Connections() != 0 {
		t.Errorf("%d connections still tracked", s.Connections())
	}
}

// A client that goes away while its handshake (a login) runs is ended: the
// library drops such a socket without a disconnect event.
func TestClosedDuringHandshake(t *testing.T) {
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Use("things", &calls{})
	entered := make(chan struct{})
	var once sync.Once
	s := socketio.New(app, socketio.Options{Origins: []string{"*"},
		Handshake: func(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error {
			once.Do(func() { close(entered) })
			time.Sleep(300 * time.Millisecond) // a slow login
			app.Channel("authenticated").Join(conn)
			return nil
		}})
	disconnected := make(chan struct{}, 1)
	app.OnDisconnect(func(context.Context, *pinion.Connection) { disconnected <- struct{}{} })
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.ReadMessage() // the Engine.IO open packet
	time.Sleep(5 * time.Millisecond)
	ws.WriteMessage(websocket.TextMessage, []byte("40"))
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the handshake did not start")
	}
	ws.Close()
	select {
	case <-disconnected:
	case <-time.After(5 * time.Second):
		t.Fatal("a connection closed during its handshake was never ended")
	}
	time.Sleep(400 * time.Millisecond) // the handshake finishes
	if got := app.Channels(); len(got) != 0 || s.Connections() != 0 {
		t.Fatalf("channels %v, %d connections after the client left", got, s.Connections())
	}
}

// An event published as soon as the client is connected reaches it, when
// the handshake's login joined its channel: the client has its CONNECT
// answer, so the connection is live (a connection was dropping what came
// before the transport's own bookkeeping of the connect was done).
func TestEventRightAfterConnect(t *testing.T) {
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Use("things", &calls{})
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("authenticated")}
	})
	s := socketio.New(app, socketio.Options{Origins: []string{"*"},
		Handshake: func(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error {
			app.Channel("authenticated").Join(conn)
			return nil
		}})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })
	for i := range 20 {
		got := make(chan string, 1)
		c := dial(t, srv.URL, func(name string, data json.RawMessage, at time.Time) { got <- name })
		app.Dispatch(context.Background(), pinion.Event{Path: "things", Name: "created", Data: map[string]any{"n": i}})
		select {
		case name := <-got:
			if name != "things created" {
				t.Fatalf("got %q", name)
			}
		case <-time.After(lost):
			t.Fatalf("connection %d: the event published once it was connected never came", i)
		}
		c.Close()
	}
}
