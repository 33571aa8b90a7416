package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

func load(t *testing.T, storage string) *config.Config {
	t.Helper()
	env := map[string]string{"CONFIG_DIR": "../config", "APP_ENV": "test", "DATA_DIR": t.TempDir(), "STORAGE": storage,
		"AUTH_SECRET": "server-test-secret-server-test-secret-0123"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// slow answers after a delay, to check that shutdown drains calls in flight.
type slow struct{ d time.Duration }

func (s slow) Find(ctx context.Context, p *pinion.Params) (any, error) {
	time.Sleep(s.d)
	return map[string]any{"done": true}, nil
}

func TestHealthAndGracefulShutdown(t *testing.T) {
	for _, storage := range []string{"mongodb", "memory"} {
		t.Run(storage, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			srv, err := server.New(ctx, load(t, storage), quiet)
			if err != nil {
				t.Fatal(err)
			}
			srv.App.Use("slow", slow{500 * time.Millisecond})
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			base := "http://" + ln.Addr().String()
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln) }()

			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := http.Get(base + path)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s: %v %v", path, resp, err)
				}
				resp.Body.Close()
			}

			type result struct {
				status int
				body   map[string]any
				err    error
			}
			inflight := make(chan result, 1)
			go func() {
				resp, err := http.Get(base + "/slow")
				if err != nil {
					inflight <- result{err: err}
					return
				}
				defer resp.Body.Close()
				var m map[string]any
				json.NewDecoder(resp.Body).Decode(&m)
				inflight <- result{status: resp.StatusCode, body: m}
			}()
			time.Sleep(100 * time.Millisecond)
			cancel() // SIGTERM
			r := <-inflight
			if r.err != nil || r.status != 200 || r.body["done"] != true {
				t.Fatalf("the call in flight was not drained: %+v", r)
			}
			if err := <-done; err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if _, err := http.Get(base + "/healthz"); err == nil {
				t.Fatal("still accepting connections after shutdown")
			}
		})
	}
}

// whoami answers the client address the transport saw.
type whoami struct{}

func (whoami) Find(ctx context.Context, p *pinion.Params) (any, error) {
	return map[string]any{"addr": p.RemoteAddr}, nil
}

// The client address that login throttling counts by comes from
// X-Forwarded-For only when the peer is a trusted proxy.
func TestClientAddress(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		want    string
	}{
		{"no proxy trusted", nil, "192.0.2.1"},
		{"trusted proxy", []string{"192.0.2.0/24"}, "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := load(t, "memory")
			cfg.TrustedProxies = tc.trusted
			srv, err := server.New(context.Background(), cfg, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close(context.Background())
			srv.App.Use("whoami", whoami{})
			req := httptest.NewRequest("GET", "/whoami", nil) // from 192.0.2.1
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			w := httptest.NewRecorder()
			srv.Handler().ServeHTTP(w, req)
			var body map[string]any
			json.Unmarshal(w.Body.Bytes(), &body)
			if body["addr"] != tc.want {
				t.Fatalf("client address = %v, want %s (%d %s)", body["addr"], tc.want, w.Code, w.Body)
			}
		})
	}
}
