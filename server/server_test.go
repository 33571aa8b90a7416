package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

func load(t testing.TB, storage string) *config.Config {
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
	for _, storage := range []string{"sqlite", "memory"} {
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

// serve starts srv on a free port and returns its address.
func serve(t testing.TB, srv *server.Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// A client that sends its body a byte at a time is cut off after the body
// timeout, with a 408, instead of holding its connection for as long as it
// likes.
func TestSlowBody(t *testing.T) {
	cfg := load(t, "memory")
	cfg.Timeouts.Body = config.Duration(300 * time.Millisecond)
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
			stop := make(chan struct{})
			defer close(stop)
			go func() { // a byte every 50 ms, for as long as the server listens
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
						if _, err := conn.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
			conn.SetReadDeadline(time.Now().Add(15 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Errorf("connection %d: no answer: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("connection %d: status %d, want 408", i, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
}

// hang answers when its caller goes away, with the context's error.
type hang struct{}

func (hang) Find(ctx context.Context, p *pinion.Params) (any, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A client that half-closes its connection (net/http cancels the request
// then) gets no answer, and the log holds no error and no 500: the server did
// nothing wrong.
func TestClientGoneIsNotAnError(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.New(context.Background(), load(t, "memory"), logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.App.Use("hang", hang{})
	conn, err := net.Dial("tcp", serve(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	answer, err := io.ReadAll(conn)
	if err != nil || len(answer) != 0 {
		t.Fatalf("answer %q (%v), want none", answer, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := logs.String()
		mu.Unlock()
		if strings.Contains(got, "status=499") {
			if strings.Contains(got, "level=ERROR") || strings.Contains(got, "status=500") {
				t.Fatalf("the log reports an error:\n%s", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 499 line in the log:\n%s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEmbeddedStore checks the default storage: one SQLite file in the data
// directory, closed (checkpointed into that one file) at shutdown, whose
// users, messages and logouts outlive a restart.
func TestEmbeddedStore(t *testing.T) {
	cfg := load(t, "")
	if cfg.Storage != "sqlite" {
		t.Fatalf("the default storage is %q", cfg.Storage)
	}
	start := func() (string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := server.New(ctx, cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		return "http://" + ln.Addr().String(), func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
	}
	login := func(base string) string {
		t.Helper()
		status, res := call(t, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "correct horse"})
		if status != 201 {
			t.Fatalf("login: %d %v", status, res)
		}
		return res["accessToken"].(string)
	}

	base, stop := start()
	if status, res := call(t, "POST", base+"/users", "", map[string]any{"email": "ada@example.com", "password": "correct horse"}); status != 201 {
		t.Fatalf("signup: %d %v", status, res)
	}
	if status, _ := call(t, "POST", base+"/users", "", map[string]any{"email": "ada@example.com", "password": "another one"}); status != 409 {
		t.Fatalf("a second signup with the same email: %d, want 409", status)
	}
	token := login(base)
	if status, res := call(t, "POST", base+"/messages", token, map[string]any{"text": "kept"}); status != 201 {
		t.Fatalf("message: %d %v", status, res)
	}
	if status, _ := call(t, "DELETE", base+"/authentication", token, nil); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	stop()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, server.DatabaseFile)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(cfg.DataDir, server.DatabaseFile+"-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("the WAL holds %d bytes after shutdown: the database was not closed", fi.Size())
	}

	base, stop = start()
	defer stop()
	if status, _ := call(t, "GET", base+"/messages", token, nil); status != 401 {
		t.Errorf("a token logged out before the restart: %d, want 401", status)
	}
	status, res := call(t, "GET", base+"/messages", login(base), nil)
	if status != 200 || res["total"] != 1.0 {
		t.Errorf("messages after the restart: %d %v", status, res)
	}
}
