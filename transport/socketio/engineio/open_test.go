package engineio

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// goneConn is a server's connection to a client that goes away once its
// WebSocket upgrade is answered: every later write fails, as when a client
// whose handshake timed out (under load) closes its end.
type goneConn struct {
	net.Conn
	upgraded  atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *goneConn) Write(b []byte) (int, error) {
	if c.upgraded.Load() {
		return 0, syscall.EPIPE
	}
	if bytes.HasPrefix(b, []byte("HTTP/1.1 101 ")) {
		c.upgraded.Store(true)
	}
	return c.Conn.Write(b)
}

func (c *goneConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// goneListener hands out goneConns, and each to accepted too.
type goneListener struct {
	net.Listener
	accepted chan *goneConn
}

func (l *goneListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g := &goneConn{Conn: c, closed: make(chan struct{})}
	l.accepted <- g
	return g, nil
}

// TestClosedWhileOpening: a WebSocket session whose OPEN packet cannot be
// written closes while OnOpen runs. The handler OnOpen returns is told
// (it was nil when told, and the server crashed: seen with 100,000 sockets
// opening on a loaded machine), and the session is not kept.
func TestClosedWhileOpening(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &goneListener{Listener: inner, accepted: make(chan *goneConn, 1)}
	rec := newRecorder()
	srv := NewServer(Options{OnOpen: func(*Socket) Handler {
		// Returns once the failed write has closed the session.
		<-(<-ln.accepted).closed
		return rec
	}})
	served := make(chan struct{})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		close(served)
	})}
	go hs.Serve(ln)
	defer hs.Close()
	defer srv.Close()

	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	if got := rec.reason(t); got != ReasonTransportError {
		t.Errorf("the handler was told %q, want %q", got, ReasonTransportError)
	}
	<-served
	if n := srv.Count(); n != 0 {
		t.Errorf("the server keeps %d sessions, want 0", n)
	}
}
