package engineio

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// Two GETs of one session, each the first request of its own connection:
// the one that arrived second is refused with a 400 and the session closes,
// and the one that arrived first gets the CLOSE packet, whatever the order
// net/http runs their handlers in. The test holds one handler back until the
// other GET waits: net/http does the same, unasked, when a loaded server
// accepts both connections at once (it runs the goroutine of the newest
// connection first). That is the compliance suite's "closes the session upon
// duplicate poll requests", which expects the first GET to get the CLOSE.
// Where the arrival is not known (no ConnContext, or a connection that served
// a request before), the GET whose handler runs second is the one refused.
func TestOverlappingGETsInArrivalOrder(t *testing.T) {
	for _, tc := range []struct {
		name        string
		held        string // the GET whose handler runs second
		connContext bool   // the http.Server has ConnContext
		reuse       bool   // the first GET goes on the handshake's connection
		closed      string // the GET that gets the CLOSE packet
	}{
		{"handlers in arrival order", "second", true, false, "first"},
		{"handlers in reverse order", "first", true, false, "first"},
		{"reverse order without ConnContext", "first", false, false, "second"},
		{"reverse order, first GET on a used connection", "first", true, true, "second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened := make(chan *Socket, 1)
			rec := newRecorder()
			srv := NewServer(Options{OnOpen: func(s *Socket) Handler {
				opened <- s
				return rec
			}})
			release := make(chan struct{})
			hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("t") == tc.held {
					<-release
				}
				srv.ServeHTTP(w, r)
			}))
			if tc.connContext {
				hs.Config.ConnContext = ConnContext
			}
			hs.Start()
			t.Cleanup(func() {
				srv.Close()
				hs.Close()
			})

			hc := dialRaw(t, hs)
			hc.send(t, "")
			status, body := hc.read(t)
			var open struct{ Sid string }
			if status != 200 || len(body) < 2 || json.Unmarshal([]byte(body[1:]), &open) != nil {
				t.Fatalf("handshake: %d %q", status, body)
			}
			sock := <-opened

			// The first GET's connection is accepted before the second's is
			// opened.
			gets := map[string]*rawConn{"first": hc, "second": nil}
			if !tc.reuse {
				gets["first"] = dialRaw(t, hs)
			}
			gets["first"].send(t, "&sid="+open.Sid+"&t=first")
			gets["second"] = dialRaw(t, hs)
			gets["second"].send(t, "&sid="+open.Sid+"&t=second")
			waitForGET(t, sock)
			close(release)

			for _, tag := range []string{"first", "second"} {
				status, body := gets[tag].read(t)
				switch {
				case tag == tc.closed && (status != 200 || body != "1"):
					t.Errorf("%s GET: %d %q, want 200 \"1\" (the CLOSE packet)", tag, status, body)
				case tag != tc.closed && status != 400:
					t.Errorf("%s GET: %d %q, want 400", tag, status, body)
				}
			}
			if reason := rec.reason(t); reason != ReasonTransportError {
				t.Errorf("reason %q, want %q", reason, ReasonTransportError)
			}
			last := dialRaw(t, hs)
			last.send(t, "&sid="+open.Sid)
			if status, _ := last.read(t); status != 400 {
				t.Errorf("GET after: %d, want 400", status)
			}
		})
	}
}

// rawConn is a client connection of its own, for requests one at a time.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, hs *httptest.Server) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c, bufio.NewReader(c)}
}

// send sends a long-polling GET with query appended to the engine's.
func (c *rawConn) send(t *testing.T, query string) {
	t.Helper()
	req := "GET /engine.io/?EIO=4&transport=polling" + query + " HTTP/1.1\r\nHost: test\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
}

// read reads the answer to the request sent last.
func (c *rawConn) read(t *testing.T) (int, string) {
	t.Helper()
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// waitForGET returns once a GET of s waits for something to send.
func waitForGET(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		waiting := s.pollWait != nil
		s.mu.Unlock()
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no GET waits")
		}
		runtime.Gosched()
	}
}
