package sio

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// fakeEngine is an engine socket that records what is sent to it.
type fakeEngine struct {
	mu     sync.Mutex
	sent   []string // text packets; binary ones as "<bin %x>"
	closed bool
	more   chan struct{}
}

func newFake() *fakeEngine { return &fakeEngine{more: make(chan struct{}, 1000)} }

func (f *fakeEngine) Send(msgs ...*engineio.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return engineio.ErrClosed
	}
	for _, m := range msgs {
		if m.Binary() {
			f.sent = append(f.sent, fmt.Sprintf("<bin %x>", m.Data()))
		} else {
			f.sent = append(f.sent, string(m.Data()))
		}
		f.more <- struct{}{}
	}
	return nil
}

func (f *fakeEngine) SendMessage(m *engineio.Message) error { return f.Send(m) }

func (f *fakeEngine) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}
func (f *fakeEngine) Request() *engineio.Handshake {
	return &engineio.Handshake{Header: http.Header{}}
}
func (f *fakeEngine) RemoteAddr() string { return "127.0.0.1:1" }
func (f *fakeEngine) Transport() string  { return "websocket" }

func (f *fakeEngine) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// wait returns the n-th packet sent (from 0), waiting for it.
func (f *fakeEngine) wait(t *testing.T, n int) string {
	t.Helper()
	for {
		f.mu.Lock()
		if len(f.sent) > n {
			s := f.sent[n]
			f.mu.Unlock()
			return s
		}
		f.mu.Unlock()
		select {
		case <-f.more:
		case <-time.After(5 * time.Second):
			t.Fatalf("packet %d never came; sent %q", n, f.sent)
		}
	}
}

// echo is the namespace of the protocol's test suite: it emits "auth" with
// the auth payload, answers "message" with "message-back" and acks
// "message-with-ack" with its arguments.
type echo struct{ refuse bool }

type echoSession struct {
	s    *Socket
	auth map[string]any
	gone chan string
}

func (n echo) Connect(s *Socket, auth map[string]any) (Session, error) {
	if n.refuse {
		return nil, &ConnectError{Message: "nope", Data: map[string]any{"code": 401}}
	}
	return &echoSession{s: s, auth: auth, gone: make(chan string, 1)}, nil
}
func (e *echoSession) OnConnect() { e.s.Emit("auth", e.auth) }
func (e *echoSession) OnEvent(ev *Event) {
	switch ev.Args[0] {
	case "message":
		e.s.Emit("message-back", ev.Args[1:]...)
	case "message-with-ack":
		ev.Ack(ev.Args[1:]...)
	}
}
func (e *echoSession) OnDisconnect(reason string) { e.gone <- reason }

func newConn(t *testing.T, opts Options) (*conn, *fakeEngine) {
	t.Helper()
	if opts.Namespaces == nil {
		opts.Namespaces = map[string]Namespace{"/": echo{}, "/custom": echo{}, "/refuse": echo{refuse: true}}
	}
	f := newFake()
	c := NewServer(opts).open(f)
	t.Cleanup(func() { c.OnClose("transport close") })
	return c, f
}

type frame struct {
	text   string
	binary []byte
}

func send(c *conn, frames ...frame) {
	for _, f := range frames {
		if f.binary != nil {
			c.OnMessage(f.binary, true)
		} else {
			c.OnMessage([]byte(f.text), false)
		}
	}
}

func TestProtocol(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []frame
		want []string
	}{
		{"main namespace", []frame{{text: "0"}}, []string{`0{"sid":"*"}`, `2["auth",{}]`}},
		{"auth payload", []frame{{text: `0{"token":"123"}`}}, []string{`0{"sid":"*"}`, `2["auth",{"token":"123"}]`}},
		{"custom namespace", []frame{{text: `0/custom,{"token":"abc"}`}}, []string{`0/custom,{"sid":"*"}`, `2/custom,["auth",{"token":"abc"}]`}},
		{"custom namespace without comma", []frame{{text: `0/custom`}}, []string{`0/custom,{"sid":"*"}`, `2/custom,["auth",{}]`}},
		{"unknown namespace", []frame{{text: "0/random"}}, []string{`4/random,{"message":"Invalid namespace"}`}},
		{"refused", []frame{{text: "0/refuse,"}}, []string{`4/refuse,{"message":"nope","data":{"code":401}}`}},
		{"event", []frame{{text: "0"}, {text: `2["message",1,"2",{"3":[true]}]`}}, []string{"", "", `2["message-back",1,"2",{"3":[true]}]`}},
		{"ack", []frame{{text: "0"}, {text: `2456["message-with-ack",1,"2",{"3":[false]}]`}}, []string{"", "", `3456[1,"2",{"3":[false]}]`}},
		{"binary event", []frame{{text: "0"}, {text: `52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`}, {binary: []byte{1, 2, 3}}, {binary: []byte{4, 5, 6}}},
			[]string{"", "", `52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "<bin 010203>", "<bin 040506>"}},
		{"binary ack", []frame{{text: "0"}, {text: `52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`}, {binary: []byte{1, 2, 3}}, {binary: []byte{4, 5, 6}}},
			[]string{"", "", `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "<bin 010203>", "<bin 040506>"}},
		{"events wait for their CONNECT", []frame{{text: "0"}, {text: `21["message-with-ack"]`}}, []string{"", "", `31[]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := newConn(t, Options{})
			send(c, tc.in...)
			for i, want := range tc.want {
				got := f.wait(t, i)
				if want == "" {
					continue
				}
				if strings.Contains(want, `"sid":"*"`) {
					prefix, _, _ := strings.Cut(want, `"sid":"`)
					if !strings.HasPrefix(got, prefix) || len(got) < len(prefix)+10 {
						t.Errorf("packet %d: %s, want %s", i, got, want)
					}
					continue
				}
				if got != want {
					t.Errorf("packet %d: %s, want %s", i, got, want)
				}
			}
			if f.isClosed() {
				t.Error("the connection was closed")
			}
		})
	}
}

// Bad packets close the connection with "parse error".
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []frame
	}{
		{"unknown type", []frame{{text: "abc"}}},
		{"unknown type after connect", []frame{{text: "0"}, {text: "9"}}},
		{"event payload not an array", []frame{{text: "0"}, {text: "2{}"}}},
		{"invalid ack id", []frame{{text: "0"}, {text: `2abc["message-with-ack",1]`}}},
		{"empty event", []frame{{text: "0"}, {text: "2[]"}}},
		{"event name an object", []frame{{text: "0"}, {text: `2[{"a":1}]`}}},
		{"reserved name", []frame{{text: "0"}, {text: `2["disconnect"]`}}},
		{"trailing data", []frame{{text: "0"}, {text: `2["message"]x`}}},
		{"connect payload an array", []frame{{text: "0[1]"}}},
		{"connect payload null", []frame{{text: "0null"}}},
		{"binary without count", []frame{{text: "0"}, {text: `5["message"]`}}},
		{"binary data unexpected", []frame{{text: "0"}, {binary: []byte{1}}}},
		{"text while attachments expected", []frame{{text: "0"}, {text: `51-["message",{"_placeholder":true,"num":0}]`}, {text: `2["message"]`}}},
		{"placeholder out of range", []frame{{text: "0"}, {text: `51-["message",{"_placeholder":true,"num":1}]`}, {binary: []byte{1}}}},
		{"too many attachments", []frame{{text: "0"}, {text: `599-["message"]`}}},
		{"disconnect with payload", []frame{{text: "0"}, {text: `1{}`}}},
		{"connect error from a client", []frame{{text: "0"}, {text: `4{"message":"x"}`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := newConn(t, Options{})
			send(c, tc.in...)
			if !f.isClosed() {
				t.Fatalf("not closed; sent %q", f.sent)
			}
			c.OnClose(engineio.ReasonForcedClose)
			if c.why != engineio.ReasonParseError {
				t.Errorf("reason %q", c.why)
			}
		})
	}
}

// An event for a namespace the client has not joined closes the connection.
func TestEventBeforeConnect(t *testing.T) {
	c, f := newConn(t, Options{})
	send(c, frame{text: `2["message"]`})
	if !f.isClosed() {
		t.Fatal("not closed")
	}
}

// blocking is a namespace whose events wait until released, and that counts
// the most events waiting at once in its server.
type blocking struct {
	srv     *Server
	release chan struct{}
	mu      sync.Mutex
	peak    int
	handled int
}

func (b *blocking) Connect(s *Socket, auth map[string]any) (Session, error) { return b, nil }
func (b *blocking) OnConnect()                                              {}
func (b *blocking) OnDisconnect(string)                                     {}
func (b *blocking) OnEvent(e *Event) {
	<-b.release
	n, _ := b.srv.InFlight()
	b.mu.Lock()
	b.peak = max(b.peak, n)
	b.handled++
	b.mu.Unlock()
	e.Ack()
}

// A client that sends faster than its events are handled is held at the
// bound: OnMessage blocks (the engine stops reading) instead of queueing.
func TestReadsAreBounded(t *testing.T) {
	const maxEvents, maxBytes = 8, 64 << 10
	for _, tc := range []struct {
		name  string
		size  int // of each event's data
		limit int // the events that may wait at once
	}{
		{"small events: the event bound", 10, maxEvents},
		{"large events: the byte bound", 20 << 10, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &blocking{release: make(chan struct{})}
			var throttles sync.WaitGroup
			throttles.Add(1)
			var once sync.Once
			f := newFake()
			b.srv = NewServer(Options{Namespaces: map[string]Namespace{"/": b}, MaxEvents: maxEvents, MaxBytes: maxBytes,
				OnThrottle: func(*Handshake, int, int) { once.Do(throttles.Done) }})
			c := b.srv.open(f)
			c.OnMessage([]byte("0"), false)
			f.wait(t, 0)
			const total = 100
			payload := strings.Repeat("x", tc.size)
			sent := make(chan int, total)
			go func() {
				for i := range total {
					c.OnMessage(fmt.Appendf(nil, `2%d["find","m",{"text":%q}]`, i, payload), false)
					sent <- i
				}
				close(sent)
			}()
			throttles.Wait() // the reader is held
			if n, _ := b.srv.InFlight(); n > tc.limit {
				t.Fatalf("%d events waiting, bound %d", n, tc.limit)
			}
			if n := len(sent); n > tc.limit {
				t.Fatalf("%d events read while none was handled, bound %d", n, tc.limit)
			}
			close(b.release)
			for range sent {
			}
			f.wait(t, total) // the last ack
			if b.handled != total || b.peak > tc.limit {
				t.Errorf("%d handled, at most %d waiting: want %d and at most %d", b.handled, b.peak, total, tc.limit)
			}
			if n, by := b.srv.InFlight(); n != 0 || by != 0 {
				t.Errorf("%d events, %d bytes still counted", n, by)
			}
			c.OnClose("transport close")
		})
	}
}

// A reader held at the bound is let go when the connection closes.
func TestCloseReleasesTheReader(t *testing.T) {
	b := &blocking{release: make(chan struct{})}
	f := newFake()
	b.srv = NewServer(Options{Namespaces: map[string]Namespace{"/": b}, MaxEvents: 1})
	c := b.srv.open(f)
	c.OnMessage([]byte("0"), false)
	f.wait(t, 0)
	done := make(chan struct{})
	go func() {
		for range 3 {
			c.OnMessage([]byte(`2["find"]`), false)
		}
		close(done)
	}()
	for {
		if n, _ := b.srv.InFlight(); n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c.OnClose("transport close")
	<-done
	close(b.release)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if n, _ := b.srv.InFlight(); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("events still counted after the close")
		}
	}
}

func TestDisconnect(t *testing.T) {
	c, f := newConn(t, Options{})
	send(c, frame{text: "0"}, frame{text: "0/custom,"})
	f.wait(t, 3)
	main, custom := c.socket("/"), c.socket("/custom")
	send(c, frame{text: "1/custom,"})
	if got := <-custom.sess.(*echoSession).gone; got != ReasonClientDisconnect {
		t.Errorf("client disconnect: %q", got)
	}
	send(c, frame{text: `2["message","still here"]`})
	if got := f.wait(t, 4); got != `2["message-back","still here"]` {
		t.Errorf("after leaving /custom: %s", got)
	}
	main.Disconnect()
	if got := f.wait(t, 5); got != "1" {
		t.Errorf("server disconnect sent %q", got)
	}
	if got := <-main.sess.(*echoSession).gone; got != ReasonServerDisconnect {
		t.Errorf("server disconnect: %q", got)
	}
	if err := main.Emit("x"); !errors.Is(err, engineio.ErrClosed) {
		t.Errorf("emit after disconnect: %v", err)
	}
}

// A connection that joins no namespace is closed after ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	_, f := newConn(t, Options{ConnectTimeout: 10 * time.Millisecond})
	for deadline := time.Now().Add(5 * time.Second); !f.isClosed(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not closed")
		}
	}
}

func TestEncodeNested(t *testing.T) {
	msgs, err := Encode(TypeEvent, "/", -1, []any{"x", map[string]any{"a": []any{[]byte{9}}}, []byte{8}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].Data()); got != `52-["x",{"a":[{"_placeholder":true,"num":0}]},{"_placeholder":true,"num":1}]` {
		t.Errorf("%s", got)
	}
	if len(msgs) != 3 || !bytes.Equal(msgs[1].Data(), []byte{9}) || !bytes.Equal(msgs[2].Data(), []byte{8}) {
		t.Errorf("attachments %v", msgs)
	}
}

func TestParseHeader(t *testing.T) {
	for in, want := range map[string]header{
		`0`:                   {typ: TypeConnect, nsp: "/", id: -1},
		`0/admin,{"a":1}`:     {typ: TypeConnect, nsp: "/admin", id: -1, payload: []byte(`{"a":1}`)},
		`212["foo"]`:          {typ: TypeEvent, nsp: "/", id: 12, payload: []byte(`["foo"]`)},
		`3/admin,13["bar"]`:   {typ: TypeAck, nsp: "/admin", id: 13, payload: []byte(`["bar"]`)},
		`61-15["bar",{}]`:     {typ: TypeBinaryAck, attachments: 1, nsp: "/", id: 15, payload: []byte(`["bar",{}]`)},
		`52-/admin,["baz",1]`: {typ: TypeBinaryEvent, attachments: 2, nsp: "/admin", id: -1, payload: []byte(`["baz",1]`)},
		`1/admin,`:            {typ: TypeDisconnect, nsp: "/admin", id: -1, payload: []byte{}},
	} {
		got, err := parseHeader([]byte(in))
		if len(got.payload) == 0 && len(want.payload) == 0 {
			got.payload, want.payload = nil, nil
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseHeader(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}
