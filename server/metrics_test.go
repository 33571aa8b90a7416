package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// call sends a JSON request and decodes the answer.
func call(t testing.TB, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// scrape returns the metrics text at url.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// value is the value of the series named with its labels in Prometheus'
// order (sorted), or -1.
func value(text, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetrics(t *testing.T) {
	srv, err := server.New(context.Background(), load(t, "memory"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serve(t, srv)

	if code, body := call(t, "POST", base+"/users", "", map[string]any{"email": "m@example.com", "password": "secret-pw"}); code != 201 {
		t.Fatalf("signup: %d %v", code, body)
	}
	call(t, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "m@example.com", "password": "wrong"})
	_, login := call(t, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "m@example.com", "password": "secret-pw"})
	token, _ := login["accessToken"].(string)
	if code, _ := call(t, "GET", base+"/messages", "", nil); code != 401 {
		t.Fatalf("messages without a token: %d", code)
	}
	var events atomic.Int32
	sock, err := sioclient.DialAuth(base, nil, map[string]any{"token": token}, func(name string, _ json.RawMessage, _ time.Time) {
		if name == "messages created" {
			events.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sock.Call("create", "messages", map[string]any{"text": "over the socket"}, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, "POST", base+"/messages", token, map[string]any{"text": "over REST"}); code != 201 {
		t.Fatalf("create: %d", code)
	}
	for deadline := time.Now().Add(5 * time.Second); events.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	sock.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if strings.Contains(scrape(t, base+"/metrics"), "pinion_socket_connections_closed_total{") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	text := scrape(t, base+"/metrics")
	for series, want := range map[string]float64{
		`pinion_service_calls_total{code="ok",method="create",provider="rest",service="users"}`:           1,
		`pinion_service_calls_total{code="ok",method="create",provider="rest",service="messages"}`:        1,
		`pinion_service_calls_total{code="ok",method="create",provider="socketio",service="messages"}`:    1,
		`pinion_service_calls_total{code="401",method="find",provider="rest",service="messages"}`:         1,
		`pinion_service_calls_total{code="401",method="create",provider="rest",service="authentication"}`: 1,
		`pinion_service_call_duration_seconds_count{method="create",provider="rest",service="messages"}`:  1,
		`pinion_http_requests_total{method="POST",route="services",status="201"}`:                         3,
		`pinion_http_requests_total{method="GET",route="services",status="401"}`:                          1,
		`pinion_auth_logins_total{outcome="success",strategy="local"}`:                                    1,
		`pinion_auth_logins_total{outcome="failure",strategy="local"}`:                                    1,
		`pinion_auth_logins_total{outcome="success",strategy="jwt"}`:                                      1, // the handshake
		`pinion_socket_connections_opened_total`:                                                          1,
		`pinion_socket_connections`:                                                                       0,
		`pinion_socket_connections_closed_total{reason="transport close"}`:                                1,
		`pinion_channel_deliveries_total`:                                                                 2,
		`pinion_channel_dropped_total`:                                                                    0,
		`pinion_database_up`:                                                                              1,
	} {
		if got := value(text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, family := range []string{"go_goroutines", "process_open_fds", "process_resident_memory_bytes"} {
		if !strings.Contains(text, "# TYPE "+family+" ") {
			t.Errorf("no %s in the metrics", family)
		}
	}
	// The hook that refused the find without a token is an around hook:
	// not a hook error. The users service's before hooks all passed.
	if strings.Contains(text, "pinion_hook_errors_total{") {
		t.Errorf("hook errors counted:\n%s", grep(text, "pinion_hook_errors_total"))
	}
}

func grep(text, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// In production the metrics are off unless asked for; METRICS_ADDR serves
// them on a listener of their own, and not on the public one.
func TestMetricsInProduction(t *testing.T) {
	env := map[string]string{"CONFIG_DIR": "../config", "APP_ENV": "production", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": "server-test-secret-server-test-secret-0123"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Enabled {
		t.Fatal("metrics on in production by default")
	}
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serve(t, srv)
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET /metrics in production: %v %v", resp.StatusCode, err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	env["METRICS_ADDR"] = addr
	if cfg, err = config.Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	srv, err = server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + serve(t, srv)
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET /metrics on the public listener: %v %v", resp.StatusCode, err)
	}
	var text string
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err := http.Get(fmt.Sprintf("http://%s/metrics", addr))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			text = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(text, "# TYPE go_goroutines gauge") || !strings.Contains(text, "pinion_socket_connections 0") {
		t.Fatalf("the metrics listener serves:\n%.500s", text)
	}
}

// With MongoDB storage, the driver's pool and the readiness are followed.
func TestMetricsDatabase(t *testing.T) {
	st := startStore(t)
	cfg := load(t, "mongodb")
	cfg.Storage, cfg.MongoDBURL = "mongodb", "mongodb://"+st.proxy.Addr()+"/metrics"
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serve(t, srv)
	call(t, "POST", base+"/users", "", map[string]any{"email": "p@example.com", "password": "secret-pw"})
	text := scrape(t, base+"/metrics")
	if v := value(text, "pinion_mongodb_pool_connections"); v < 1 {
		t.Errorf("pool connections %v:\n%s", v, grep(text, "pinion_mongodb"))
	}
	if v := value(text, "pinion_mongodb_pool_checkout_duration_seconds_count"); v < 1 {
		t.Errorf("checkouts %v", v)
	}
	if v := value(text, "pinion_database_up"); v != 1 {
		t.Errorf("database up %v", v)
	}
}

// Started from a directory without config/ (a binary copied elsewhere),
// production runs with production's settings, the built-in ones: metrics
// and docs are not public, and no other origin is let in with credentials.
func TestProductionOutsideTheRepository(t *testing.T) {
	t.Chdir(t.TempDir())
	env := map[string]string{"APP_ENV": "production", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": "server-test-secret-server-test-secret-0123"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"built-in default.json", "built-in production.json"}; !slices.Equal(cfg.Sources, want) {
		t.Errorf("sources %q, want %q", cfg.Sources, want)
	}
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serve(t, srv)
	for _, path := range []string{"/metrics", "/docs/", "/openapi.json"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s in production: %d, want 404", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", base+"/messages", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o, c := resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Credentials"); o != "" || c != "" {
		t.Errorf("another origin in production: Allow-Origin %q, Allow-Credentials %q", o, c)
	}
}

// A metrics path of its own serves the metrics, and leaves the services'
// routes alone.
func TestMetricsPathOfItsOwn(t *testing.T) {
	cfg := load(t, "memory")
	cfg.Metrics.Path = "/internal/metrics"
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serve(t, srv)
	if text := scrape(t, base+"/internal/metrics"); !strings.Contains(text, "# TYPE go_goroutines gauge") {
		t.Errorf("the metrics path serves:\n%.300s", text)
	}
	if status, m := call(t, "POST", base+"/users", "", map[string]any{"email": "own@example.com", "password": "secret-pw"}); status != 201 {
		t.Errorf("POST /users: %d %v", status, m)
	}
}
