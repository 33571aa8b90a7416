package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
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
