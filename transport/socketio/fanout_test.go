package socketio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio"
)

type echo struct{}

func (echo) Create(ctx context.Context, data any, p *pinion.Params) (any, error) { return data, nil }

// An event's fan-out allocates per event, not per member: the frame is
// encoded once and the same bytes written to every socket, with nothing
// allocated for each (a variadic Send through an interface allocated a
// slice per socket).
func TestFanOutAllocatesPerEvent(t *testing.T) {
	const members = 300
	f := newFanout(t, members)
	allocs := testing.AllocsPerRun(20, func() { f.publish(t) })
	// The event's own (the call, its encoding, its history entry) are a few
	// dozen.
	if allocs >= members/4 {
		t.Errorf("a fan-out to %d sockets made %.0f allocations: want fewer than %d, none per socket", members, allocs, members/4)
	}
}

// BenchmarkFanout1000 is one create whose event goes to 1,000 WebSocket
// clients, through the real transport and loopback TCP: an op ends when
// every client has read the frame. The clients are bare readers (a fixed
// buffer, no decoding), so that the allocations are the server's and the
// time mostly is. dispatch-µs/op is the create call alone: the event's
// fan-out runs in it, up to the writes that did not complete at once.
// cpu-µs/op is the process's CPU time, the clients' reads included.
func BenchmarkFanout1000(b *testing.B) { benchmarkFanout(b, 1000) }

// BenchmarkFanout100 is BenchmarkFanout1000 with 100 clients.
func BenchmarkFanout100(b *testing.B) { benchmarkFanout(b, 100) }

func benchmarkFanout(b *testing.B, n int) {
	f := newFanout(b, n)
	var dispatch time.Duration
	cpu0 := cpuTime()
	b.ReportAllocs()
	for b.Loop() {
		dispatch += f.publish(b)
	}
	b.ReportMetric(float64(dispatch.Microseconds())/float64(b.N), "dispatch-µs/op")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// fanout is an app whose "messages" events go to n WebSocket clients of
// its socket.io transport, bare readers that count the events.
type fanout struct {
	svc  *pinion.Service
	n    int
	left atomic.Int64
	done chan struct{}
}

func newFanout(tb testing.TB, n int) *fanout {
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	f := &fanout{svc: app.Use("messages", echo{}), n: n, done: make(chan struct{}, 1)}
	app.OnConnection(func(ctx context.Context, conn *pinion.Connection) { app.Channel("all").Join(conn) })
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	s := socketio.New(app, socketio.Options{Origins: []string{"*"}, PingInterval: time.Hour, PingTimeout: time.Hour})
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(func() { s.Close(); srv.Close() })

	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conns := make([]net.Conn, n)
	for i := range n {
		conns[i] = dialBare(tb, d, srv.URL)
	}
	// A client is in the channel once the server has run its OnConnect,
	// which may come just after the CONNECT answer.
	connected := func() bool { return s.Connections() == n }
	for deadline := time.Now().Add(10 * time.Second); !connected() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !connected() {
		tb.Fatalf("%d of %d clients connected", s.Connections(), n)
	}
	prefix := []byte(`42["messages created"`)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			readFrames(c, func(p []byte) {
				if bytes.HasPrefix(p, prefix) && f.left.Add(-1) == 0 {
					f.done <- struct{}{}
				}
			})
		})
	}
	tb.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	})
	return f
}

var fanoutData = map[string]any{"text": "fan-out benchmark", "userId": "0123456789abcdef01234567", "createdAt": 1.7e12}

// publish creates a message, waits until every client has its event, and
// returns how long the create call took.
func (f *fanout) publish(tb testing.TB) time.Duration {
	f.left.Store(int64(f.n))
	start := time.Now()
	if _, err := f.svc.Create(context.Background(), fanoutData, &pinion.Params{}); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("%d of %d clients still wait for the event", f.left.Load(), f.n)
	}
	return took
}

// dialBare opens an Engine.IO WebSocket, joins the default namespace, and
// returns the bare connection, to be read with readFrames.
func dialBare(tb testing.TB, d *websocket.Dialer, base string) net.Conn {
	tb.Helper()
	ws, _, err := d.Dial(wsURL(base), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != '0' {
		tb.Fatalf("no Engine.IO open packet: %q %v", msg, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		tb.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || !bytes.HasPrefix(msg, []byte("40")) {
		tb.Fatalf("no CONNECT answer: %q %v", msg, err)
	}
	// Nothing else was sent yet: the Dialer's buffer holds nothing more.
	return ws.NetConn()
}

// readFrames reads unmasked, unfragmented WebSocket frames from c into one
// buffer until c fails, and hands each payload to fn, which must not keep
// it.
func readFrames(c net.Conn, fn func([]byte)) error {
	buf := make([]byte, 64<<10)
	var have int
	for {
		k, err := c.Read(buf[have:])
		if err != nil {
			return err
		}
		have += k
		p := buf[:have]
		for len(p) >= 2 {
			size, hdr := int(p[1]&0x7f), 2
			if size == 127 {
				return errors.New("a frame of 64 KiB or more")
			}
			if size == 126 {
				if len(p) < 4 {
					break
				}
				size, hdr = int(binary.BigEndian.Uint16(p[2:])), 4
			}
			if len(p) < hdr+size {
				break
			}
			fn(p[hdr : hdr+size])
			p = p[hdr+size:]
		}
		have = copy(buf, p)
		if have == len(buf) {
			return fmt.Errorf("a frame larger than %d bytes", len(buf))
		}
	}
}

// cpuTime is the CPU time the process has used, user and system: on a
// machine whose cores are shared, what a fan-out costs, where the wall
// time is also how long it waited for its turns.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
