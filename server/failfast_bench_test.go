package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pinionhq/pinion/server"
)

// BenchmarkFailFast measures a create while the database is known down (the
// proxy in front of it holds every byte, /readyz answers 503): the time to
// its 503, which the call timeout (5 s) bounded before calls failed fast.
// Then the database comes back, and it reports how long after the first
// create succeeded (ms-to-first-201), and how many creates were refused in
// between (refused-after-back).
//
//	go test ./server -run '^$' -bench FailFast -benchtime 200x
func BenchmarkFailFast(b *testing.B) {
	st := startStore(b)
	cfg := load(b, "mongodb")
	cfg.Storage, cfg.MongoDBURL = "mongodb", "mongodb://"+st.proxy.Addr()+"/failfast"
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + serve(b, srv)
	if code, body := call(b, "POST", base+"/users", "", map[string]any{"email": "f@example.com", "password": "secret-pw"}); code != 201 {
		b.Fatalf("signup: %d %v", code, body)
	}
	_, login := call(b, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "f@example.com", "password": "secret-pw"})
	token := login["accessToken"].(string)
	create := func() int {
		body, _ := json.Marshal(map[string]any{"text": "hi"})
		req, _ := http.NewRequest("POST", base+"/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ready := func() int {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	st.proxy.Stall()
	for ready() != 503 {
	}
	for b.Loop() {
		if code := create(); code != 503 {
			b.Fatalf("a create while the database is down: %d, want 503", code)
		}
	}
	b.StopTimer()
	st.proxy.Restore()
	back := time.Now()
	refused := 0
	for create() != 201 {
		refused++
	}
	b.ReportMetric(float64(time.Since(back).Microseconds())/1000, "ms-to-first-201")
	b.ReportMetric(float64(refused), "refused-after-back")
}
