package engineio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recorder is a Handler that records what its socket gets.
type recorder struct {
	mu       sync.Mutex
	messages []string
	closed   chan string
	got      chan string // the messages too, while there is room
	onMsg    func(data []byte, binary bool)
}

func newRecorder() *recorder {
	return &recorder{closed: make(chan string, 1), got: make(chan string, 16)}
}

func (r *recorder) OnMessage(data []byte, binary bool) {
	if r.onMsg != nil {
		r.onMsg(data, binary)
	}
	r.mu.Lock()
	r.messages = append(r.messages, string(data))
	r.mu.Unlock()
	select {
	case r.got <- string(data):
	default:
	}
}

func (r *recorder) OnClose(reason string) {
	select {
	case r.closed <- reason:
	default:
		panic("OnClose called twice")
	}
}

func (r *recorder) reason(t *testing.T) string {
	t.Helper()
	select {
	case reason := <-r.closed:
		return reason
	case <-time.After(10 * time.Second):
		t.Fatal("OnClose was not called")
		return ""
	}
}

// testServer is an engine behind httptest, whose sessions are handed to the
// test as they open.
type testServer struct {
	*Server
	URL    string
	opened chan *Socket
	rec    chan *recorder
}

func newTestServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	ts := &testServer{opened: make(chan *Socket, 16), rec: make(chan *recorder, 16)}
	if opts.OnOpen == nil {
		opts.OnOpen = func(s *Socket) Handler {
			r := newRecorder()
			ts.opened <- s
			ts.rec <- r
			return r
		}
	}
	ts.Server = NewServer(opts)
	hs := httptest.NewServer(ts.Server)
	t.Cleanup(func() {
		ts.Server.Close()
		hs.Close()
	})
	ts.URL = hs.URL + "/engine.io/?EIO=4"
	return ts
}

// session is the socket and recorder of the next session to open.
func (ts *testServer) session(t *testing.T) (*Socket, *recorder) {
	t.Helper()
	select {
	case s := <-ts.opened:
		return s, <-ts.rec
	case <-time.After(10 * time.Second):
		t.Fatal("no session opened")
		return nil, nil
	}
}

// handshake opens a polling session and returns its sid.
func (ts *testServer) handshake(t *testing.T) string {
	t.Helper()
	status, body := ts.get(t, "")
	if status != 200 || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake: %d %q", status, body)
	}
	var open struct{ Sid string }
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil {
		t.Fatal(err)
	}
	return open.Sid
}

func (ts *testServer) get(t *testing.T, sid string) (int, string) {
	t.Helper()
	u := ts.URL + "&transport=polling"
	if sid != "" {
		u += "&sid=" + sid
	}
	res, err := http.Get(u)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (ts *testServer) post(t *testing.T, sid, body string) int {
	t.Helper()
	res, err := http.Post(ts.URL+"&transport=polling&sid="+sid, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (ts *testServer) dial(t *testing.T, sid string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "&transport=websocket"
	if sid != "" {
		u += "&sid=" + sid
	}
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("frame type %d, want text", typ)
	}
	return string(b)
}

// messages returns the MESSAGE packets of a polling payload, and whether it
// holds a NOOP.
func messages(t *testing.T, payload string) (msgs []string, noop bool) {
	t.Helper()
	packets, err := decodePayload([]byte(payload))
	if err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	for _, p := range packets {
		switch p.typ {
		case typeMessage:
			msgs = append(msgs, string(p.data))
		case typeNoop:
			noop = true
		}
	}
	return msgs, noop
}

// An upgrade while the server sends loses, duplicates or reorders nothing:
// what the GETs got before the NOOP, then what the WebSocket got, is what was
// sent.
func TestUpgradeUnderConcurrentSends(t *testing.T) {
	ts := newTestServer(t, Options{})
	sid := ts.handshake(t)
	sock, rec := ts.session(t)

	const n = 2000
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := sock.Send(NewText(strconv.Itoa(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()

	var got []string
	// The client polls, as socket.io's does, until the NOOP that ends
	// polling; the probe goes on meanwhile.
	polled := make(chan []string)
	go func() {
		var msgs []string
		for {
			status, body := ts.get(t, sid)
			if status != 200 {
				t.Errorf("GET during the upgrade: %d %q", status, body)
				break
			}
			m, noop := messages(t, body)
			msgs = append(msgs, m...)
			if noop {
				break
			}
		}
		polled <- msgs
	}()
	ws := ts.dial(t, sid)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("2probe")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, ws); got != "3probe" {
		t.Fatalf("probe answered %q", got)
	}
	got = append(got, <-polled...)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("5")); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	for len(got) < n {
		m := readText(t, ws)
		if m[0] != typeMessage {
			t.Fatalf("unexpected packet %q", m)
		}
		got = append(got, m[1:])
	}
	for i, m := range got {
		if m != strconv.Itoa(i) {
			t.Fatalf("message %d is %q: lost or reordered across the upgrade", i, m)
		}
	}
	// A message over the WebSocket, once handled, says the UPGRADE before
	// it was.
	ws.WriteMessage(websocket.TextMessage, []byte("4sync"))
	if m := <-rec.got; m != "sync" {
		t.Fatalf("got %q", m)
	}
	if sock.Transport() != "websocket" {
		t.Errorf("transport %q after the upgrade", sock.Transport())
	}
	if status, _ := ts.get(t, sid); status != 400 {
		t.Errorf("GET after the upgrade: %d, want 400", status)
	}
}

// Many rounds of PING and PONG at a short interval: a PONG answered at once
// never loses to the timer it should stop, whatever the interleaving.
func TestPingPongRace(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: time.Millisecond, PingTimeout: 10 * time.Second})
	ws := ts.dial(t, "")
	_, rec := ts.session(t)
	if open := readText(t, ws); open[0] != typeOpen {
		t.Fatalf("first packet %q", open)
	}
	for range 300 {
		if p := readText(t, ws); p != "2" {
			t.Fatalf("got %q, want a PING", p)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case reason := <-rec.closed:
		t.Fatalf("closed (%s) while answering every PING", reason)
	default:
	}
	ws.Close()
	if reason := rec.reason(t); reason != ReasonTransportClose {
		t.Errorf("reason %q, want %q", reason, ReasonTransportClose)
	}
}

func TestPingTimeout(t *testing.T) {
	for _, transport := range []string{"polling", "websocket"} {
		t.Run(transport, func(t *testing.T) {
			ts := newTestServer(t, Options{PingInterval: 5 * time.Millisecond, PingTimeout: 5 * time.Millisecond})
			if transport == "polling" {
				ts.handshake(t)
			} else {
				ts.dial(t, "")
			}
			_, rec := ts.session(t)
			if reason := rec.reason(t); reason != ReasonPingTimeout {
				t.Errorf("reason %q, want %q", reason, ReasonPingTimeout)
			}
			if ts.Count() != 0 {
				t.Errorf("%d sessions left", ts.Count())
			}
		})
	}
}

// A Close racing with a GET: the client gets what was queued, then the
// CLOSE packet, from one GET or two; the session is gone after.
func TestCloseWhilePolling(t *testing.T) {
	ts := newTestServer(t, Options{})
	sid := ts.handshake(t)
	sock, rec := ts.session(t)
	sock.Send(NewText("a"), NewText("b"))

	first := make(chan string)
	go func() {
		_, body := ts.get(t, sid)
		first <- body
	}()
	sock.Close()
	body := <-first
	if !strings.HasSuffix(body, "1") {
		_, more := ts.get(t, sid)
		body += "\x1e" + more
	}
	if want := "4a\x1e4b\x1e1"; body != want {
		t.Errorf("payloads %q, want %q", body, want)
	}
	if status, _ := ts.get(t, sid); status != 400 {
		t.Errorf("GET after the close: %d, want 400", status)
	}
	if err := sock.Send(NewText("c")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
	if reason := rec.reason(t); reason != ReasonForcedClose {
		t.Errorf("reason %q, want %q", reason, ReasonForcedClose)
	}
}

// Two GETs at once: the one waiting gets a CLOSE packet, the other a 400,
// and the session is closed.
func TestSecondGET(t *testing.T) {
	ts := newTestServer(t, Options{})
	sid := ts.handshake(t)
	_, rec := ts.session(t)
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, 2)
	for range 2 {
		go func() {
			status, body := ts.get(t, sid)
			answers <- answer{status, body}
		}()
	}
	a, b := <-answers, <-answers
	if a.status == 400 {
		a, b = b, a
	}
	if a.status != 200 || a.body != "1" || b.status != 400 {
		t.Errorf("answers %v and %v, want 200 \"1\" and 400", a, b)
	}
	if reason := rec.reason(t); reason != ReasonTransportError {
		t.Errorf("reason %q, want %q", reason, ReasonTransportError)
	}
	if status, _ := ts.get(t, sid); status != 400 {
		t.Errorf("GET after: %d, want 400", status)
	}
}

// OnClose waits for the OnMessage that runs, and no OnMessage follows it.
func TestOnCloseAfterOnMessage(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	rec := newRecorder()
	rec.onMsg = func([]byte, bool) {
		close(started)
		<-release
	}
	opened := make(chan *Socket, 1)
	ts := newTestServer(t, Options{OnOpen: func(s *Socket) Handler { opened <- s; return rec }})
	sid := ts.handshake(t)
	sock := <-opened
	posted := make(chan int)
	go func() { posted <- ts.post(t, sid, "4x\x1e4y") }()
	<-started
	sock.Close()
	select {
	case reason := <-rec.closed:
		t.Fatalf("OnClose(%q) while OnMessage runs", reason)
	default:
	}
	close(release)
	if reason := rec.reason(t); reason != ReasonForcedClose {
		t.Errorf("reason %q", reason)
	}
	<-posted
	if len(rec.messages) != 1 {
		t.Errorf("messages %q: OnMessage after Close", rec.messages)
	}
}

func TestTooSlow(t *testing.T) {
	ts := newTestServer(t, Options{MaxQueuedBytes: 64 << 10})
	ts.dial(t, "") // never read
	sock, rec := ts.session(t)
	big := NewBinary(make([]byte, 64<<10))
	var err error
	for i := 0; err == nil && i < 1e5; i++ {
		err = sock.Send(big)
	}
	if !errors.Is(err, ErrTooSlow) {
		t.Fatalf("Send: %v, want ErrTooSlow", err)
	}
	var slow *TooSlowError
	if !errors.As(err, &slow) || slow.Bytes < 64<<10+big.size() || slow.Messages < 2 {
		t.Errorf("Send: %#v, want the queue with the refused message", err)
	}
	if reason := rec.reason(t); reason != ReasonTooSlow {
		t.Errorf("reason %q, want %q", reason, ReasonTooSlow)
	}
}

func TestAllow(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   int
	}{
		{"plain error", errors.New("origin evil.example is not allowed"), 403, codeForbidden},
		{"HTTPError", &HTTPError{Code: 401, Message: "no token"}, 401, codeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Options{Allow: func(*http.Request) error { return tc.err }})
			for _, transport := range []string{"polling", "websocket"} {
				req, _ := http.NewRequest("GET", ts.URL+"&transport="+transport, nil)
				if transport == "websocket" {
					req.Header.Set("Connection", "Upgrade")
					req.Header.Set("Upgrade", "websocket")
					req.Header.Set("Sec-WebSocket-Version", "13")
					req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body struct {
					Code    int
					Message string
				}
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode != tc.status || body.Code != tc.code || body.Message != tc.err.Error() || !res.Close {
					t.Errorf("%s: %d %+v (connection closed: %v), want %d {%d %q} and Connection: close",
						transport, res.StatusCode, body, res.Close, tc.status, tc.code, tc.err)
				}
			}
			if ts.Count() != 0 {
				t.Errorf("%d sessions opened", ts.Count())
			}
		})
	}
}

func TestMaxPayload(t *testing.T) {
	t.Run("polling", func(t *testing.T) {
		ts := newTestServer(t, Options{MaxPayload: 100})
		sid := ts.handshake(t)
		_, rec := ts.session(t)
		if status := ts.post(t, sid, "4"+strings.Repeat("x", 99)); status != 200 {
			t.Errorf("POST of 100 bytes: %d, want 200", status)
		}
		if status := ts.post(t, sid, "4"+strings.Repeat("x", 100)); status != 413 {
			t.Errorf("POST of 101 bytes: %d, want 413", status)
		}
		if reason := rec.reason(t); reason != ReasonTransportError {
			t.Errorf("reason %q", reason)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		ts := newTestServer(t, Options{MaxPayload: 100})
		ws := ts.dial(t, "")
		_, rec := ts.session(t)
		readText(t, ws)
		ws.WriteMessage(websocket.TextMessage, []byte("4"+strings.Repeat("x", 100)))
		_, _, err := ws.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Errorf("read after a large message: %v, want close 1009", err)
		}
		if reason := rec.reason(t); reason != ReasonTransportError {
			t.Errorf("reason %q", reason)
		}
	})
}

// What the socket gets over a WebSocket: text and binary, whole or in
// fragments, among control frames.
func TestWebSocketMessages(t *testing.T) {
	ts := newTestServer(t, Options{})
	// A small write buffer has the client fragment the long message.
	dialer := websocket.Dialer{WriteBufferSize: 16}
	ws, _, err := dialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sock, rec := ts.session(t)
	readText(t, ws)
	long := strings.Repeat("fragmented", 100)
	ws.WriteMessage(websocket.TextMessage, []byte("4hello"))
	ws.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
	ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	ws.WriteMessage(websocket.TextMessage, []byte("4"+long))
	ws.WriteMessage(websocket.TextMessage, []byte("1"))
	if reason := rec.reason(t); reason != ReasonTransportClose {
		t.Errorf("reason %q", reason)
	}
	want := []string{"hello", "\x01\x02\x03", long}
	if strings.Join(rec.messages, "|") != strings.Join(want, "|") {
		t.Errorf("messages %q, want %q", rec.messages, want)
	}
	if err := sock.Send(NewText("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send: %v", err)
	}
}

// One Message sent to many sockets is encoded once: they write the same
// bytes.
func TestMessageSharedEncoding(t *testing.T) {
	m := NewBinary([]byte{1, 2, 3, 4})
	if a, b := m.pollingBytes(), m.pollingBytes(); &a[0] != &b[0] || string(a) != "bAQIDBA==" {
		t.Errorf("polling encoding %q, not cached", a)
	}
	if a, b := m.frameBytes(), m.frameBytes(); &a[0] != &b[0] || string(a) != "\x82\x04\x01\x02\x03\x04" {
		t.Errorf("frame %q, not cached", a)
	}
}

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		in   string
		want []packet
	}{
		{"4hello", []packet{{typ: '4', data: []byte("hello")}}},
		{"4a\x1e3\x1ebAQI=", []packet{{typ: '4', data: []byte("a")}, {typ: '3', data: []byte{}}, {typ: '4', binary: true, data: []byte{1, 2}}}},
		{"", nil},
		{"abc", nil},
		{"4a\x1e", nil},
		{"b!!", nil},
		{"7", nil},
	}
	for _, tc := range tests {
		got, err := decodePayload([]byte(tc.in))
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: decoded %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !equalPackets(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func equalPackets(a, b []packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].typ != b[i].typ || a[i].binary != b[i].binary || string(a[i].data) != string(b[i].data) {
			return false
		}
	}
	return true
}

// FuzzDecodePayload: any body decodes or fails without panicking, and what
// decodes encodes back to a payload that decodes to the same packets.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello", "4a\x1e4b", "bAQIDBA==", "3", "4\x1ebAA==\x1e6", "b", "\x1e", "4é"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		packets, err := decodePayload(body)
		if err != nil {
			return
		}
		msgs := make([]*Message, len(packets))
		for i, p := range packets {
			msgs[i] = &Message{typ: p.typ, binary: p.binary, data: p.data}
		}
		again, err := decodePayload(appendPayload(nil, msgs))
		if err != nil || !equalPackets(packets, again) {
			t.Fatalf("%q: decoded %v, re-encoded and decoded %v %v", body, packets, again, err)
		}
	})
}

// A PONG held up behind a handler that blocks the reads does not time the
// socket out: its deadline starts again when the handler returns.
func TestHeartbeatWaitsForBusyHandler(t *testing.T) {
	const interval, timeout = 5 * time.Millisecond, 50 * time.Millisecond
	rec := newRecorder()
	rec.onMsg = func([]byte, bool) {
		// Long enough, by the clock, for a PING and its whole timeout.
		time.Sleep(4 * (interval + timeout))
	}
	ts := newTestServer(t, Options{PingInterval: interval, PingTimeout: timeout,
		OnOpen: func(*Socket) Handler { return rec }})
	ws := ts.dial(t, "")
	readText(t, ws)
	ws.WriteMessage(websocket.TextMessage, []byte("4busy"))
	if p := readText(t, ws); p != "2" {
		t.Fatalf("got %q, want a PING", p)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("3"))
	ws.WriteMessage(websocket.TextMessage, []byte("1"))
	if reason := rec.reason(t); reason != ReasonTransportClose {
		t.Errorf("reason %q, want %q: the heartbeat did not wait for the handler", reason, ReasonTransportClose)
	}
}

// Idle WebSockets hold no goroutine (the poller watches them), and when
// their clients leave, the sessions and goroutines go back to where they
// were.
func TestIdleWebSocketsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux's; elsewhere each WebSocket has a reader goroutine")
	}
	ts := newTestServer(t, Options{OnOpen: func(*Socket) Handler { return nopHandler{} }})
	base := runtime.NumGoroutine()
	const n = 200
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = ts.dial(t, "")
		readText(t, conns[i]) // the OPEN packet: the session is set up
	}
	// A goroutine still ending (a writer that wrote the OPEN packet) may be
	// counted for a moment: wait for the count to settle, with a deadline.
	settle := func(want int, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d goroutines, want at most %d", what, runtime.NumGoroutine(), want)
			}
			runtime.Gosched()
		}
	}
	// The poller's goroutine is new; the server side of each socket holds
	// none.
	settle(base+1, fmt.Sprintf("%d idle WebSockets", n))
	// They still read: each message is handled.
	for _, c := range conns {
		if err := c.WriteMessage(websocket.TextMessage, []byte("1")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for ts.Count() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left after their clients closed", ts.Count())
		}
		runtime.Gosched()
	}
	for _, c := range conns {
		c.Close()
	}
	settle(base+1, "after the clients left")
}

type nopHandler struct{}

func (nopHandler) OnMessage([]byte, bool) {}
func (nopHandler) OnClose(string)         {}
