package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// The database stops under load (the proxy holds every byte: a stalled
// database) and comes back with what it was sent, so that creates answered
// 503 take effect late. Writers retry every create that got no 201 with the
// same Idempotency-Key until it does. Then every stored message was
// acknowledged once, is stored once, and was announced once to a listening
// socket; while the database was known down, calls were refused with 503 at
// once.
func TestOutageAnnouncesEveryWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("an outage under load takes seconds")
	}
	st, srv, base, logs := outageServer(t, "announce", 300*time.Millisecond)
	if code, body := call(t, "POST", base+"/users", "", map[string]any{"email": "a@example.com", "password": "secret-pw"}); code != 201 {
		t.Fatalf("signup: %d %v", code, body)
	}
	_, login := call(t, "POST", base+"/authentication", "", map[string]any{"strategy": "local", "email": "a@example.com", "password": "secret-pw"})
	token := login["accessToken"].(string)

	var evMu sync.Mutex
	announced := map[string]int{}
	sock, err := sioclient.DialAuth(base, nil, map[string]any{"token": token}, func(name string, data json.RawMessage, _ time.Time) {
		if name != "messages created" {
			return
		}
		var m struct{ Text string }
		json.Unmarshal(data, &m)
		evMu.Lock()
		announced[m.Text]++
		evMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()

	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	acked := map[string]int{}
	statuses := map[int]int{}
	var refusedFast []time.Duration // 503s answered while /readyz said down
	var down atomic.Bool
	create := func(text string) int {
		b, _ := json.Marshal(map[string]any{"text": text})
		req, _ := http.NewRequest("POST", base+"/messages", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", text)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		mu.Lock()
		statuses[resp.StatusCode]++
		if resp.StatusCode == 503 && down.Load() && resp.Header.Get("Retry-After") != "" {
			refusedFast = append(refusedFast, time.Since(start))
		}
		mu.Unlock()
		return resp.StatusCode
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("w%d-%d", w, i)
				for create(text) != 201 { // retried with the same key until it answers
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				acked[text]++
				mu.Unlock()
			}
		})
	}
	ready := func() int {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	time.Sleep(time.Second)
	st.proxy.Stall()
	for ready() != 503 {
		time.Sleep(50 * time.Millisecond)
	}
	down.Store(true)
	time.Sleep(3 * time.Second)
	down.Store(false)
	st.proxy.Restore()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	stored := map[string]int{}
	res, err := srv.App.Service("messages").Find(context.Background(), &pinion.Params{Paginate: &pinion.Paginate{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pinion.Records(res) {
		text, _ := r.Map()["text"].(string)
		stored[text]++
	}
	// Events of writes that outlived their callers come when they end: wait
	// for as many as there are stored messages, then check them.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		evMu.Lock()
		n := len(announced)
		evMu.Unlock()
		if n >= len(stored) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	evMu.Lock()
	defer evMu.Unlock()
	for text, n := range stored {
		if n != 1 {
			t.Errorf("%q stored %d times", text, n)
		}
		if announced[text] != 1 {
			t.Errorf("%q stored, announced %d times", text, announced[text])
		}
		if acked[text] != 1 {
			t.Errorf("%q stored, acknowledged %d times", text, acked[text])
		}
	}
	for text := range acked {
		if stored[text] == 0 {
			t.Errorf("%q acknowledged, not stored", text)
		}
	}
	for text := range announced {
		if stored[text] == 0 {
			t.Errorf("%q announced, not stored", text)
		}
	}
	late := lines(logs.String(), "outlived its caller")
	t.Logf("%d messages stored; statuses %v; %d writes outlived their caller's wait",
		len(stored), statuses, len(slices.DeleteFunc(bytes.Split([]byte(late), []byte("\n")), func(b []byte) bool { return len(b) == 0 })))
	if statuses[503] == 0 {
		t.Error("no 503 during the outage: the database was not stopped")
	}
	if len(refusedFast) == 0 {
		t.Error("no call refused while /readyz said the database was down")
	}
}
