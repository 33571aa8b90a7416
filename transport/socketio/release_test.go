package socketio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// usage is what a process holds: its goroutines, its live heap, and its open
// descriptors (-1 where /proc/self/fd cannot tell).
type usage struct {
	goroutines int
	heap       uint64
	fds        int
}

func measure() usage {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds := -1
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(entries)
	}
	return usage{runtime.NumGoroutine(), m.HeapAlloc, fds}
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, heap %.1f MiB, %d descriptors", u.goroutines, float64(u.heap)/(1<<20), u.fds)
}

// backTo waits until the goroutines, the heap and the descriptors are back
// within the given margins of base (descriptors: the goroutines' margin), and
// fails t if they are not within 10s. It returns the last measure.
func backTo(t *testing.T, base usage, goroutines int, heap uint64) usage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		u := measure()
		if u.goroutines <= base.goroutines+goroutines && u.heap <= base.heap+heap && u.fds <= base.fds+goroutines {
			return u
		}
		if time.Now().After(deadline) {
			t.Errorf("before: %v; 10s after the clients left: %v", base, u)
			return u
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wsURL is the Engine.IO WebSocket endpoint of a test server.
func wsURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
}

// lost is how long a client waits for an answer before it takes its packet
// for lost. What a client sends at once (a CONNECT as soon as it has the open
// packet, an upgrade probe as soon as the WebSocket is open) reaches the
// server. The clients here send at once, as real ones do, so a regression
// fails these tests.
const lost = 3 * time.Second

// dialRaw opens a bare Engine.IO WebSocket and connects it to the default
// namespace. The client answers nothing (the tests keep the ping interval
// long).
func dialRaw(t *testing.T, d *websocket.Dialer, base string) *websocket.Conn {
	t.Helper()
	ws, _, err := d.Dial(wsURL(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != '0' {
		t.Fatalf("no Engine.IO open packet: %q %v", msg, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(lost))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.HasPrefix(string(msg), "40") {
		t.Fatalf("no CONNECT answer: %q %v", msg, err)
	}
	ws.SetReadDeadline(time.Time{})
	return ws
}

// closeClean ends a WebSocket as a browser does: a close frame, then the TCP
// connection.
func closeClean(ws *websocket.Conn) {
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	ws.Close()
}

// closeReset ends a WebSocket abruptly: the TCP connection is reset, with no
// close frame.
func closeReset(ws *websocket.Conn) {
	ws.NetConn().(*net.TCPConn).SetLinger(0)
	ws.Close()
}

// pollSession is a bare Engine.IO long-polling session.
type pollSession struct {
	t      *testing.T
	client *http.Client
	url    string // with the session id
	sid    string
}

func (p *pollSession) get() string {
	p.t.Helper()
	s, err := p.poll(0)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// poll is a GET that gives up after timeout, if not 0.
func (p *pollSession) poll(timeout time.Duration) (string, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	r, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return string(b), err
}

func (p *pollSession) post(payload string) {
	p.t.Helper()
	r, err := p.client.Post(p.url, "text/plain;charset=UTF-8", strings.NewReader(payload))
	if err != nil {
		p.t.Fatal(err)
	}
	defer r.Body.Close()
	if b, _ := io.ReadAll(r.Body); string(b) != "ok" {
		p.t.Fatalf("POST %q: %d %q", payload, r.StatusCode, b)
	}
}

// dialPolling opens a long-polling session and connects it to the default
// namespace.
func dialPolling(t *testing.T, client *http.Client, base string) *pollSession {
	t.Helper()
	u := base + "/socket.io/?EIO=4&transport=polling"
	p := &pollSession{t: t, client: client, url: u}
	open := p.get()
	var hs struct{ Sid string }
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &hs) != nil || hs.Sid == "" {
		t.Fatalf("no Engine.IO open packet: %q", open)
	}
	p.sid, p.url = hs.Sid, u+"&sid="+hs.Sid
	p.post("40")
	// The poll after the handshake's is answered.
	if msg, err := p.poll(lost); err != nil || !strings.HasPrefix(msg, "40") {
		t.Fatalf("no CONNECT answer: %q %v", msg, err)
	}
	return p
}

// probe opens the WebSocket a client upgrades a polling session to, and
// checks it with the probe ping.
func (p *pollSession) probe(d *websocket.Dialer, base string) *websocket.Conn {
	p.t.Helper()
	ws, _, err := d.Dial(wsURL(base)+"&sid="+p.sid, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("2probe"))
	ws.SetReadDeadline(time.Now().Add(lost))
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "3probe" {
		p.t.Fatalf("probe: %q %v", msg, err)
	}
	ws.SetReadDeadline(time.Time{})
	return ws
}

// Every way a client can leave gives back what its connection held: the
// transport's goroutines, the library's sockets, and Pinion's connection with
// its channels. Engine.IO v3.0.2 kept a write goroutine (and for a WebSocket,
// the descriptor) of every transport the client ended itself.
func TestDisconnectsReleaseEverything(t *testing.T) {
	app, s, url, _ := newServer(t)
	disconnected := make(chan struct{}, 16)
	app.OnDisconnect(func(context.Context, *pinion.Connection) { disconnected <- struct{}{} })
	left := func(t *testing.T) {
		t.Helper()
		select {
		case <-disconnected:
		case <-time.After(5 * time.Second):
			t.Fatal("the disconnect was not reported")
		}
	}
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	httpc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	// probed is a connected polling session and its probed WebSocket.
	probed := func(t *testing.T) (*pollSession, *websocket.Conn) {
		t.Helper()
		p := dialPolling(t, httpc, url)
		return p, p.probe(d, url)
	}
	const cycles = 200
	for _, tc := range []struct {
		name  string
		cycle func(t *testing.T)
	}{
		{"namespace disconnect, then close", func(t *testing.T) {
			// What socket.io-client's disconnect() does.
			ws := dialRaw(t, d, url)
			ws.WriteMessage(websocket.TextMessage, []byte("41"))
			left(t)
			closeClean(ws)
		}},
		{"WebSocket close", func(t *testing.T) {
			closeClean(dialRaw(t, d, url))
			left(t)
		}},
		{"TCP reset", func(t *testing.T) {
			closeReset(dialRaw(t, d, url))
			left(t)
		}},
		{"polling close", func(t *testing.T) {
			dialPolling(t, httpc, url).post("1")
			left(t)
		}},
		{"polling namespace disconnect, then close", func(t *testing.T) {
			p := dialPolling(t, httpc, url)
			p.post("41")
			left(t)
			p.post("1")
		}},
		{"upgrade, then close", func(t *testing.T) {
			_, ws := probed(t)
			ws.WriteMessage(websocket.TextMessage, []byte("5"))
			// The upgrade is done when the connection answers on the WebSocket.
			ws.WriteMessage(websocket.TextMessage, []byte(`420["get","things",1,{}]`))
			if _, msg, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), "430") {
				t.Fatalf("call after the upgrade: %q %v", msg, err)
			}
			closeClean(ws)
			left(t)
		}},
		{"upgrade given up", func(t *testing.T) {
			p, ws := probed(t)
			closeReset(ws)
			p.post("1")
			left(t)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cycle(t) // warm up: pools, the first of everything
			httpc.CloseIdleConnections()
			base := measure()
			for range cycles {
				tc.cycle(t)
				if t.Failed() {
					return
				}
			}
			httpc.CloseIdleConnections()
			after := backTo(t, base, 10, 1<<20)
			t.Logf("%d cycles: before %v, after %v", cycles, base, after)
			if n := s.Connections(); n != 0 {
				t.Errorf("%d connections still tracked", n)
			}
			if ch := app.Channels(); len(ch) != 0 {
				t.Errorf("channels still have members: %v", ch)
			}
		})
	}
}

// A connection refused by its handshake after the handshake did something
// with it (a login whose later hooks failed: the login listeners joined it to
// channels) is ended too: nothing else would ever end it.
func TestRefusedHandshakeReleasesTheConnection(t *testing.T) {
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Use("things", &calls{})
	conns := make(chan *pinion.Connection, 1)
	s := socketio.New(app, socketio.Options{Origins: []string{"*"},
		Handshake: func(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error {
			app.Channel("authenticated").Join(conn)
			conns <- conn
			return pinion.NotAuthenticated("an after hook failed")
		}})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	if _, err := sioclient.Dial(srv.URL, nil); err == nil || !strings.Contains(err.Error(), "an after hook failed") {
		t.Fatalf("the handshake was not refused: %v", err)
	}
	conn := <-conns
	if err := conn.Context().Err(); err == nil {
		t.Error("the refused connection's context is still live")
	}
	if ch := app.Channels(); len(ch) != 0 || s.Connections() != 0 {
		t.Errorf("after a refused handshake: channels %v, %d connections", ch, s.Connections())
	}
}

// A client that leaves while it is being connected is ended too, whether it
// left before the handshake, during it, or between the library's connect and
// the transport's listeners: no connection stays tracked or in a channel.
func TestLeavingWhileConnecting(t *testing.T) {
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Use("things", &calls{})
	s := socketio.New(app, socketio.Options{Origins: []string{"*"},
		Handshake: func(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error {
			app.Channel("authenticated").Join(conn)
			return nil
		}})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })

	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	const clients = 400
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			ws, _, err := d.Dial(wsURL(srv.URL), nil)
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := ws.ReadMessage(); err != nil { // the open packet
				t.Error(err)
				return
			}
			ws.WriteMessage(websocket.TextMessage, []byte("40"))
			// Gone at once, or a little later: around the handshake and
			// the connect.
			time.Sleep(time.Duration(i%20) * 50 * time.Microsecond)
			closeReset(ws)
		})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for (s.Connections() != 0 || len(app.Channels()) != 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ch := app.Channels(); len(ch) != 0 || s.Connections() != 0 {
		t.Errorf("%d clients gone while connecting: channels %v, %d connections still tracked", clients, ch, s.Connections())
	}
}
