package socketio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio"
)

// syncBuffer is a log destination the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// stalledDialer dials WebSockets that read little: a 4 KiB receive buffer, so
// that a client that stops reading soon stops the server's writes too, instead
// of the kernel taking megabytes for it.
var stalledDialer = &websocket.Dialer{
	HandshakeTimeout: 5 * time.Second,
	NetDialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}).DialContext,
}

// Clients that stop reading (a WebSocket whose TCP window is full, a polling
// session that no longer polls) are disconnected once their queue is full, and
// what was queued for them is freed; a client that reads gets every event
// meanwhile. Engine.IO v3.0.2 queues without a bound (the socket's
// writeBuffer, and the batch its write goroutine is blocked on): the heap grew
// by everything sent to a stalled client for as long as it stayed.
func TestSlowReaderIsDisconnected(t *testing.T) {
	logs := &syncBuffer{}
	// No history: the test measures what the transport holds.
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(logs, nil))), pinion.WithHistory(pinion.HistoryOptions{MaxEvents: -1}))
	app.Use("things", &calls{})
	app.OnConnection(func(ctx context.Context, conn *pinion.Connection) { app.Channel("all").Join(conn) })
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	var gone atomic.Int32
	app.OnDisconnect(func(context.Context, *pinion.Connection) { gone.Add(1) })
	s := socketio.New(app, socketio.Options{Origins: []string{"*"}})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	var received atomic.Int64
	reader := dial(t, srv.URL, func(name string, data json.RawMessage, at time.Time) {
		if name == "things created" {
			received.Add(1)
		}
	})
	// Warm up, then measure with the reader connected. Its CONNECT answer
	// can come before the app has it in "all".
	for deadline := time.Now().Add(10 * time.Second); app.Channel("all").Len() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the reader is not in its channel")
		}
		time.Sleep(time.Millisecond)
	}
	app.Dispatch(context.Background(), pinion.Event{Path: "things", Name: "created", Data: map[string]any{"n": -1}})
	for deadline := time.Now().Add(10 * time.Second); received.Load() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the reader got no warm-up event")
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := measure()

	stalled := dialRaw(t, stalledDialer, srv.URL)
	defer stalled.Close()
	dialPolling(t, &http.Client{Timeout: 10 * time.Second}, srv.URL) // and never polls again
	const (
		events = 120
		size   = 256 << 10 // 30 MiB in all
	)
	text := strings.Repeat("x", size)
	var peak uint64
	for i := range events {
		app.Dispatch(context.Background(), pinion.Event{Path: "things", Name: "created", Data: map[string]any{"n": i, "text": text}})
		// The reader is kept at most 8 events (2 MiB) behind: a reader that
		// keeps up is never close to being slow.
		deadline := time.Now().Add(10 * time.Second)
		for received.Load() < int64(i+1-8) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if i%10 == 0 {
			peak = max(peak, measure().heap)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for received.Load() < events+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := received.Load(); n != events+1 {
		t.Errorf("the reader got %d of %d events", n, events+1)
	}
	for gone.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if gone.Load() != 2 || s.Connections() != 1 || s.SlowDisconnects() != 2 {
		t.Errorf("%d disconnected, %d connected, %d slow disconnects: the stalled clients should be gone, the reader not",
			gone.Load(), s.Connections(), s.SlowDisconnects())
	}
	after := backTo(t, base, 10, 4<<20)
	t.Logf("%d events of %d KiB: with the reader only %v; peak %.1f MiB; after %v", events, size>>10, base, float64(peak)/(1<<20), after)
	for _, transport := range []string{"websocket", "polling"} {
		if !strings.Contains(logs.String(), `level=WARN msg="socket.io client too slow: disconnected" remote=127.0.0.1:`) ||
			!strings.Contains(logs.String(), "transport="+transport+" queued_bytes=") {
			t.Errorf("no warning for the %s client in the log:\n%s", transport, logs)
		}
	}
	reader.Close()
}

// Small events fill the packet limit before the byte limit.
func TestSlowReaderPacketLimit(t *testing.T) {
	logs := &syncBuffer{}
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	app.OnConnection(func(ctx context.Context, conn *pinion.Connection) { app.Channel("all").Join(conn) })
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	s := socketio.New(app, socketio.Options{Origins: []string{"*"}, MaxQueuedPackets: 100})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	stalled := dialRaw(t, stalledDialer, srv.URL)
	defer stalled.Close()
	// Small events until the queue is full.
	for i := 0; i < 1e6 && s.SlowDisconnects() == 0; i++ {
		app.Dispatch(context.Background(), pinion.Event{Path: "things", Name: "created", Data: map[string]any{"n": i, "text": "a chat message"}})
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Connections() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.SlowDisconnects() != 1 || s.Connections() != 0 {
		t.Fatalf("%d slow disconnects, %d connections", s.SlowDisconnects(), s.Connections())
	}
	// The counters for metrics.
	st := s.Stats()
	if st.Opened != 1 || st.Closed["too slow"] != 1 || st.SlowDisconnects != 1 || st.Connections != 0 ||
		st.Dropped < 101 || st.Delivered < 100 {
		// The 101st event is refused: the 100 queued before it are
		// dropped with it.
		t.Errorf("stats %+v: want 1 opened, 1 closed as too slow, at least 100 delivered and 101 dropped", st)
	}
	if !strings.Contains(logs.String(), "queued_packets=101") {
		t.Errorf("the warning does not say 100 packets were waiting:\n%s", logs)
	}
}
