// Package socketiotest is a small Go client for the Feathers socket protocol
// (socket.io: Engine.IO 4, Socket.IO 5, over a WebSocket), for an app's tests,
// as net/http/httptest is for its REST routes: dial the app's server, call
// its services as a Feathers client does (Call, Send), log in (Login, or a
// token in DialAuth's CONNECT payload) and receive its events (DialEvents).
//
// It is deliberately minimal and cheap: no long-polling, no reconnection, no
// binary attachments, and events are handed over undecoded, so that thousands
// of connections measure the server rather than the client. Pinion's own
// tests and benchmarks use it.
package socketiotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Conn is one client connection.
type Conn struct {
	ws  *websocket.Conn
	wmu sync.Mutex

	mu        sync.Mutex
	nextID    int
	pending   map[int]chan []json.RawMessage
	onEvent   func(Event)
	closed    chan struct{}
	connected chan error // the answer to CONNECT
	once      sync.Once
}

var dialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second}

// Dial connects to base (http://host:port) and joins the default namespace.
// onEvent, when not nil, receives every event with its arrival time.
func Dial(base string, onEvent func(name string, data json.RawMessage, at time.Time)) (*Conn, error) {
	return DialHeader(base, nil, onEvent)
}

// DialHeader is Dial with request headers (Origin, Authorization, Cookie).
func DialHeader(base string, h http.Header, onEvent func(name string, data json.RawMessage, at time.Time)) (*Conn, error) {
	return DialAuth(base, h, nil, onEvent)
}

// DialAuth is DialHeader with the CONNECT packet's auth payload, as
// io(url, {auth: {…}}) sends it ({token} or {ticket} for Pinion).
func DialAuth(base string, h http.Header, auth map[string]any, onEvent func(name string, data json.RawMessage, at time.Time)) (*Conn, error) {
	var fn func(Event)
	if onEvent != nil {
		fn = func(e Event) { onEvent(e.Name, e.Data, e.At) }
	}
	return DialEvents(base, h, auth, fn)
}

// Event is an event received, with the meta argument Pinion sends after
// the data of service events ({"id":…,"position":…}), nil when none came.
type Event struct {
	Name       string
	Data, Meta json.RawMessage
	At         time.Time
}

// DialEvents is DialAuth with events received whole.
func DialEvents(base string, h http.Header, auth map[string]any, onEvent func(Event)) (*Conn, error) {
	return dial(&dialer, base, h, auth, onEvent)
}

// DialFrom is DialEvents from the local address local, on a port the
// kernel picks. A client of more sockets than one address has ephemeral
// ports (about 28,000 by default on Linux, net.ipv4.ip_local_port_range)
// spreads them over several addresses: on Linux every 127.x.y.z is a
// loopback address.
func DialFrom(local net.IP, base string, h http.Header, auth map[string]any, onEvent func(Event)) (*Conn, error) {
	d := dialer
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}
	d.NetDialContext = nd.DialContext
	return dial(&d, base, h, auth, onEvent)
}

func dial(d *websocket.Dialer, base string, h http.Header, auth map[string]any, onEvent func(Event)) (*Conn, error) {
	url := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := d.Dial(url, h)
	if err != nil {
		return nil, err
	}
	c := &Conn{ws: ws, pending: map[int]chan []json.RawMessage{}, onEvent: onEvent, closed: make(chan struct{}), connected: make(chan error, 1)}
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != '0' {
		ws.Close()
		return nil, fmt.Errorf("no Engine.IO open packet: %v", err)
	}
	go c.read()
	if err := c.connect(auth); err != nil {
		ws.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) connect(auth map[string]any) error {
	packet := "40"
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			return err
		}
		packet += string(b)
	}
	if err := c.write(packet); err != nil {
		return err
	}
	select {
	case err := <-c.connected:
		return err
	case <-c.closed:
		return errors.New("the server closed the connection before answering CONNECT")
	case <-time.After(15 * time.Second):
		return errors.New("no answer to CONNECT")
	}
}

func (c *Conn) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

func (c *Conn) read() {
	defer close(c.closed)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		s := string(msg)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "40"):
			c.once.Do(func() { c.connected <- nil })
		case strings.HasPrefix(s, "44"):
			c.once.Do(func() { c.connected <- fmt.Errorf("connect error: %s", s[2:]) })
		case strings.HasPrefix(s, "42"):
			if c.onEvent != nil {
				if name, data, ok := splitEvent(msg); ok {
					data, meta := splitMeta(data)
					c.onEvent(Event{Name: name, Data: data, Meta: meta, At: at})
				}
			}
		case strings.HasPrefix(s, "43"):
			i := 2
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			id, _ := strconv.Atoi(s[2:i])
			var args []json.RawMessage
			json.Unmarshal(msg[i:], &args)
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- args
			}
		}
	}
}

var errTimeout = errors.New("no ack within 30s")

// Call runs a Feathers method and returns the ack's arguments: (null, result),
// or an error carrying the first argument.
func (c *Conn) Call(method string, args ...any) ([]json.RawMessage, error) {
	wait, err := c.Send(method, args...)
	if err != nil {
		return nil, err
	}
	return wait()
}

// Send writes a call without waiting for its ack: calls sent one after the
// other from one goroutine reach the server in that order. The returned
// function waits for the ack.
func (c *Conn) Send(method string, args ...any) (wait func() ([]json.RawMessage, error), err error) {
	payload, err := json.Marshal(append([]any{method}, args...))
	if err != nil {
		return nil, err
	}
	ch := make(chan []json.RawMessage, 1)
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.write("42" + strconv.Itoa(id) + string(payload)); err != nil {
		return nil, err
	}
	return func() ([]json.RawMessage, error) {
		select {
		case res := <-ch:
			if len(res) > 0 && string(res[0]) != "null" {
				return res, fmt.Errorf("%s failed: %s", method, res[0])
			}
			return res, nil
		case <-c.closed:
			return nil, errors.New("connection closed")
		case <-time.After(30 * time.Second):
			return nil, errTimeout
		}
	}, nil
}

// Login authenticates the connection with a token, as a client's
// reAuthenticate does.
func (c *Conn) Login(token string) error {
	_, err := c.Call("create", "authentication", map[string]any{"strategy": "jwt", "accessToken": token}, map[string]any{})
	return err
}

// Close drops the connection.
func (c *Conn) Close() { c.ws.Close() }

// Closed is closed when the server ends the connection.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// splitEvent reads `42["name",data]` without decoding data: event names are
// plain, and a client of thousands of sockets must stay cheap.
func splitEvent(msg []byte) (string, json.RawMessage, bool) {
	rest := msg[2:]
	if len(rest) < 4 || rest[0] != '[' || rest[1] != '"' || rest[len(rest)-1] != ']' {
		return slowSplit(msg)
	}
	end := bytes.IndexByte(rest[2:], '"')
	if end < 0 || bytes.IndexByte(rest[2:2+end], '\\') >= 0 {
		return slowSplit(msg)
	}
	name := string(rest[2 : 2+end])
	data := rest[2+end+1 : len(rest)-1]
	if len(data) > 0 && data[0] == ',' {
		data = data[1:]
	}
	return name, data, true
}

func slowSplit(msg []byte) (string, json.RawMessage, bool) {
	var args []json.RawMessage
	if json.Unmarshal(msg[2:], &args) != nil || len(args) == 0 {
		return "", nil, false
	}
	var name string
	json.Unmarshal(args[0], &name)
	var data json.RawMessage
	if len(args) > 1 {
		data = args[1]
	}
	return name, data, true
}

// metaStart begins the meta argument of a service event.
var metaStart = []byte(`,{"id":"`)

// splitMeta takes the meta argument off the end of an event's arguments
// (`{…},{"id":"…","position":"…"}`) without decoding the data.
func splitMeta(args json.RawMessage) (data, meta json.RawMessage) {
	i := bytes.LastIndex(args, metaStart)
	if i < 0 || bytes.IndexByte(args[i+2:], '{') >= 0 || !bytes.HasSuffix(args, []byte(`"}`)) {
		return args, nil
	}
	return args[:i], args[i+1:]
}
