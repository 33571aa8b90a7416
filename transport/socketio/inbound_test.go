package socketio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio"
)

// held is a service whose first find waits until released, and which notes
// the most calls in flight on the transport that any find saw.
type held struct {
	s       *socketio.Server
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	peak    int
	peakB   int64
	done    []float64
}

func (h *held) Find(ctx context.Context, p *pinion.Params) (any, error) {
	h.once.Do(func() { <-h.release })
	st := h.s.Stats()
	n, _ := p.Query["n"].(float64)
	h.mu.Lock()
	h.peak, h.peakB = max(h.peak, st.CallsInFlight), max(h.peakB, st.BytesInFlight)
	h.done = append(h.done, n)
	h.mu.Unlock()
	return []any{}, nil
}

// A client that sends large finds faster than they are answered is held at
// the transport's bound: the calls read and not yet answered never pass
// MaxCallsInFlight nor MaxBytesInFlight, whatever it sends, and its reads
// wait meanwhile (Stats.Throttled). Without the bound the transport read on
// and queued every call: one socket sending 3,000 finds of 207 KB, each with
// a large $or, took the server to 2.5 GB.
func TestInboundCallsAreBounded(t *testing.T) {
	logs := &syncBuffer{}
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	const maxBytes = 1 << 20
	s := socketio.New(app, socketio.Options{Origins: []string{"*"}, MaxBytesInFlight: maxBytes})
	h := &held{s: s, release: make(chan struct{})}
	app.Use("things", h)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	// A find of about 207 KB: $or of 40 conditions of 5 KB each (within
	// the query limits, which refuse more than 100 terms before any call
	// runs).
	or := make([]any, 40)
	for i := range or {
		or[i] = map[string]any{"text": strings.Repeat("x", 5160), "n": i}
	}
	c := dial(t, srv.URL, nil)
	const frames = 120
	waits := make(chan func() ([]json.RawMessage, error), frames)
	sendErr := make(chan error, 1)
	go func() {
		defer close(waits)
		for i := range frames {
			wait, err := c.Send("find", "things", map[string]any{"n": i, "$or": or})
			if err != nil {
				sendErr <- err
				return
			}
			waits <- wait
		}
	}()
	// The first find waits; the reader reads until a bound holds it.
	for deadline := time.Now().Add(30 * time.Second); s.Stats().Throttled == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reader was never held: %+v", s.Stats())
		}
	}
	st := s.Stats()
	if st.CallsInFlight > 64 || st.BytesInFlight > maxBytes+250<<10 {
		t.Errorf("held with %d calls, %d bytes in flight: bounds 64 calls, %d bytes (and one call over)", st.CallsInFlight, st.BytesInFlight, maxBytes)
	}
	close(h.release)
	for wait := range waits {
		if _, err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-sendErr:
		t.Fatal(err)
	default:
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.done) != frames {
		t.Fatalf("%d of %d finds answered", len(h.done), frames)
	}
	for i, n := range h.done {
		if n != float64(i) {
			t.Fatalf("finds answered out of order: %v", h.done)
		}
	}
	// One frame is about 210 KB: at most 5 fit in 1 MiB, and a sixth when
	// it came alone.
	if h.peak > 6 || h.peakB > maxBytes+250<<10 {
		t.Errorf("at most %d calls, %d bytes in flight: want at most 6 and %d", h.peak, h.peakB, maxBytes)
	}
	// A call is counted until its handler returns, just after its answer.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st := s.Stats()
		if st.CallsInFlight == 0 && st.BytesInFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the answers: %d calls, %d bytes in flight", st.CallsInFlight, st.BytesInFlight)
		}
	}
	if !strings.Contains(logs.String(), `msg="socket.io client throttled: reads wait for its calls" remote=127.0.0.1:`) {
		t.Errorf("no throttle warning in the log:\n%s", logs)
	}
}

// A binary attachment where a call wants a string (its method name, its
// service path) or an id or a query is answered with a BadRequest that says
// what was wanted and what came.
func TestBinaryWhereAStringIsExpected(t *testing.T) {
	_, _, url, _ := newServer(t)
	ws := dialRaw(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second}, url)
	defer ws.Close()
	for i, tc := range []struct {
		packet string // a BINARY_EVENT with one attachment, for placeholder 0
		want   string
	}{
		{`[{"_placeholder":true,"num":0},"things",1,{}]`, "Invalid method name: got binary, want string"},
		{`["get",{"_placeholder":true,"num":0},1,{}]`, "Invalid service path: got binary, want string"},
		{`["get","things",{"_placeholder":true,"num":0},{}]`, "Invalid id: got binary, want a string or a number"},
		{`["get","things",1,{"_placeholder":true,"num":0}]`, "The query of 'get' must be an object: got binary"},
	} {
		ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "451-%d%s", i, tc.packet))
		ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
		ws.SetReadDeadline(time.Now().Add(lost))
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("%s: %v", tc.packet, err)
		}
		prefix := fmt.Sprintf("43%d", i)
		var args []map[string]any
		if !strings.HasPrefix(string(msg), prefix) || json.Unmarshal(msg[len(prefix):], &args) != nil || len(args) != 1 {
			t.Fatalf("%s: answer %q", tc.packet, msg)
		}
		if e := args[0]; e["name"] != "BadRequest" || e["code"] != 400.0 || e["message"] != tc.want {
			t.Errorf("%s: %v, want BadRequest %q", tc.packet, e, tc.want)
		}
	}
}

// Bad packets end the connection: the transport's decoder is strict.
func TestParseErrorCloses(t *testing.T) {
	app, s, url, _ := newServer(t)
	disconnected := make(chan struct{}, 1)
	app.OnDisconnect(func(context.Context, *pinion.Connection) { disconnected <- struct{}{} })
	ws := dialRaw(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second}, url)
	defer ws.Close()
	// Connected: a call is answered.
	ws.WriteMessage(websocket.TextMessage, []byte(`420["get","things",1,{}]`))
	ws.SetReadDeadline(time.Now().Add(lost))
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), "430[null,") {
		t.Fatalf("call: %q %v", msg, err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`42{"not":"an array"}`))
	ws.SetReadDeadline(time.Now().Add(lost))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break // closed
		}
	}
	select {
	case <-disconnected:
	case <-time.After(lost):
		t.Fatal("no disconnect")
	}
	if got := s.Stats().Closed["parse error"]; got != 1 {
		t.Errorf("closed for parse error: %d (%v)", got, s.Stats().Closed)
	}
}
