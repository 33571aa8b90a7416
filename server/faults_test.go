package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/internal/faultproxy"
	"github.com/pinionhq/pinion/server"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// store is an embedded store behind a proxy that the test cuts.
type store struct {
	dir   string
	srv   *embedded.Server
	proxy *faultproxy.Proxy
}

// outageCallTimeout is the call timeout of outageServer's app.
const outageCallTimeout = time.Second

// outageServer serves the chat app on a MongoDB store reached through the
// fault proxy (database db), with a call timeout of outageCallTimeout and the
// readiness checked every ready; logs holds what it logged, from Info up.
func outageServer(t testing.TB, db string, ready time.Duration) (*store, *server.Server, string, *syncBuffer) {
	t.Helper()
	st := startStore(t)
	cfg := load(t, "mongodb")
	cfg.Storage, cfg.MongoDBURL = "mongodb", "mongodb://"+st.proxy.Addr()+"/"+db
	cfg.DatabaseTimeouts.Call = config.Duration(outageCallTimeout)
	cfg.DatabaseTimeouts.Ready = config.Duration(ready)
	logs := &syncBuffer{}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	return st, srv, "http://" + serve(t, srv), logs
}

func startStore(t testing.TB) *store {
	t.Helper()
	s := &store{dir: t.TempDir()}
	s.start(t)
	p, err := faultproxy.New(hostOf(t, s.srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	s.proxy = p
	t.Cleanup(func() { p.Close(); s.srv.Close() })
	return s
}

func (s *store) start(t testing.TB) {
	t.Helper()
	// The first start of a machine builds FerretDB (embedded.Start).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := embedded.Start(ctx, s.dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
}

func hostOf(t testing.TB, uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// ledger is what the load saw.
type ledger struct {
	mu       sync.Mutex
	acked    map[string]int         // text → acknowledged creates of it
	statuses map[string]map[int]int // phase → status → count (0: no answer)
	slowest  time.Duration
}

func (l *ledger) record(phase string, status int, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.statuses[phase] == nil {
		l.statuses[phase] = map[int]int{}
	}
	l.statuses[phase][status]++
	l.slowest = max(l.slowest, took)
}

// When the database stops answering, readiness turns 503 within 2s, calls
// answer 503 in the Feathers shape within the call timeout (never a 500,
// never a hang), sockets stay connected, and everything recovers by itself
// when the database is back, with no acknowledged write lost and none
// stored twice. Twice: a partition (the proxy drops every byte) and the
// store stopped and started again on the same files.
func TestDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("an outage under load takes 20s")
	}
	st, srv, base, logs := outageServer(t, "outage", 500*time.Millisecond)
	client := &http.Client{Timeout: 10 * time.Second}

	if code, body := call(t, "POST", base+"/users", "", map[string]any{"email": "o@example.com", "password": "secret-pw"}); code != 201 {
		t.Fatalf("signup: %d %v", code, body)
	}
	_, login := call(t, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "o@example.com", "password": "secret-pw"})
	token := login["accessToken"].(string)
	sock, err := sioclient.DialAuth(base, nil, map[string]any{"token": token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()

	led := &ledger{acked: map[string]int{}, statuses: map[string]map[int]int{}}
	var phase atomic.Value
	phase.Store("before")
	var seq atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	rest := func() {
		defer wg.Done()
		for ctx.Err() == nil {
			text := fmt.Sprintf("outage %d", seq.Add(1))
			b, _ := json.Marshal(map[string]any{"text": text})
			req, _ := http.NewRequest("POST", base+"/messages", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			start := time.Now()
			resp, err := client.Do(req)
			status := 0
			if err == nil {
				var e map[string]any
				json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				status = resp.StatusCode
				if status >= 300 && (e["name"] == nil || e["className"] == nil || e["code"] == nil) {
					t.Errorf("a %d not in the Feathers shape: %v", status, e)
				}
			}
			led.record(phase.Load().(string), status, time.Since(start))
			if status == 201 {
				led.mu.Lock()
				led.acked[text]++
				led.mu.Unlock()
			} else {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	sockets := func() {
		defer wg.Done()
		for ctx.Err() == nil {
			text := fmt.Sprintf("outage %d", seq.Add(1))
			start := time.Now()
			ack, _ := sock.Call("create", "messages", map[string]any{"text": text}, map[string]any{})
			status := 0
			if len(ack) > 0 { // an error ack comes with an error
				if string(ack[0]) == "null" {
					status = 201
				} else {
					var e pinion.Error
					json.Unmarshal(ack[0], &e)
					status = e.Code
				}
			}
			led.record(phase.Load().(string)+" socket", status, time.Since(start))
			if status == 201 {
				led.mu.Lock()
				led.acked[text]++
				led.mu.Unlock()
			} else {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	wg.Add(3)
	go rest()
	go rest()
	go sockets()

	ready := func() int {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, within time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > within {
				t.Fatalf("%s: not within %s\n%s", what, within, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	acked := func() int {
		led.mu.Lock()
		defer led.mu.Unlock()
		return len(led.acked)
	}
	okIn := func(p string) int {
		led.mu.Lock()
		defer led.mu.Unlock()
		return led.statuses[p][201] + led.statuses[p+" socket"][201]
	}

	for _, outage := range []struct {
		name       string
		cut, mend  func()
		recoverMax time.Duration
	}{
		{"partition", st.proxy.Hang, st.proxy.Restore, 15 * time.Second},
		{"restart", func() {
			st.proxy.Refuse()
			if err := st.srv.Close(); err != nil {
				t.Error(err)
			}
		}, func() {
			st.start(t)
			st.proxy.SetTarget(hostOf(t, st.srv.URI()))
			st.proxy.Restore()
		}, 15 * time.Second},
	} {
		phase.Store(outage.name + " before")
		n := acked()
		waitFor("writes before the "+outage.name, 10*time.Second, func() bool { return acked() >= n+20 })

		phase.Store(outage.name + " cut")
		outage.cut()
		took := waitFor("/readyz 503 in the "+outage.name, 2*time.Second, func() bool { return ready() == 503 })
		t.Logf("%s: /readyz answered 503 after %s", outage.name, took.Round(time.Millisecond))
		phase.Store(outage.name + " down")
		time.Sleep(3 * time.Second) // calls fail meanwhile

		phase.Store(outage.name + " mended")
		outage.mend()
		took = waitFor("/readyz 200 after the "+outage.name, outage.recoverMax, func() bool { return ready() == 200 })
		took2 := waitFor("writes after the "+outage.name, outage.recoverMax, func() bool { return okIn(outage.name+" mended") >= 10 })
		t.Logf("%s: ready again %s after, writing again %s after", outage.name, took.Round(time.Millisecond), took2.Round(time.Millisecond))
	}
	stop()
	wg.Wait()

	select {
	case <-sock.Closed():
		t.Error("the socket was disconnected by the outages")
	default:
	}
	// The ledger: what the calls answered, phase by phase.
	led.mu.Lock()
	for p, statuses := range led.statuses {
		t.Logf("%-26s %v", p, statuses)
		for status, n := range statuses {
			if status != 201 && status != 503 {
				t.Errorf("%s: %d calls answered %d (want 201 or 503 only); the log says:\n%s", p, n, status, lines(logs.String(), "level=ERROR"))
			}
		}
		if strings.HasSuffix(p, " down") && statuses[503] == 0 {
			t.Errorf("%s: no 503 while the database was down: %v", p, statuses)
		}
	}
	slowest := led.slowest
	led.mu.Unlock()
	if slowest > outageCallTimeout+2*time.Second {
		t.Errorf("the slowest call took %s, past the call timeout %s", slowest, outageCallTimeout)
	}
	t.Logf("slowest call %s; %d writes acknowledged", slowest.Round(time.Millisecond), acked())

	// Every acknowledged write is stored, once.
	stored := map[string]int{}
	res, err := srv.App.Service("messages").Find(context.Background(), &pinion.Params{Paginate: &pinion.Paginate{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pinion.Records(res) {
		text, _ := r.Map()["text"].(string)
		stored[text]++
	}
	lost, dup := 0, 0
	for text, n := range led.acked {
		if n != 1 {
			t.Errorf("%q acknowledged %d times", text, n)
		}
		if stored[text] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			dup++
		}
	}
	t.Logf("%d stored (%d acknowledged; the rest failed with 503 after the database took them)", len(stored), len(led.acked))
	if lost > 0 || dup > 0 {
		t.Errorf("%d acknowledged writes lost, %d stored twice", lost, dup)
	}
	for _, want := range []string{"not ready: the database does not answer", "ready again: the database answers"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q", want)
		}
	}
}

// With no database at start-up the server retries with backoff, says so,
// and starts when the database comes, or gives up after
// databaseTimeouts.startup.
func TestStartupWaitsForTheDatabase(t *testing.T) {
	st := startStore(t)
	st.proxy.Refuse()
	cfg := load(t, "mongodb")
	cfg.Storage, cfg.MongoDBURL = "mongodb", "mongodb://"+st.proxy.Addr()+"/startup"
	cfg.DatabaseTimeouts.Startup = config.Duration(1500 * time.Millisecond)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	start := time.Now()
	if _, err := server.New(context.Background(), cfg, logger); err == nil || !strings.Contains(err.Error(), "not reachable after 1.5s") {
		t.Fatalf("no database: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("gave up after %s, past 1.5s", took)
	}
	if !strings.Contains(logs.String(), "the database is not reachable yet; retrying") {
		t.Errorf("the log does not say it is retrying:\n%s", logs.String())
	}

	cfg.DatabaseTimeouts.Startup = config.Duration(20 * time.Second)
	time.AfterFunc(time.Second, st.proxy.Restore)
	srv, err := server.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close(context.Background())
	if !strings.Contains(logs.String(), "the database answers") {
		t.Errorf("the log does not say the database came:\n%s", logs.String())
	}
}

// syncBuffer is a buffer for logs written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines are the lines of text that contain what.
func lines(text, what string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, what) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
