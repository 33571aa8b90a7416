package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// sioConn is a minimal socket.io (Engine.IO 4, Socket.IO 5) client over a
// WebSocket: enough to call Feathers methods and receive events, cheaply, so
// that thousands of connections and their timings measure the server rather
// than the client. Both servers get the same client.
type sioConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex

	mu      sync.Mutex
	nextID  int
	pending map[int]chan []json.RawMessage
	onEvent func(name string, data json.RawMessage, at time.Time)
	closed  chan struct{}
}

var dialer = websocket.Dialer{HandshakeTimeout: 5 * time.Second}

// dialSIO connects to base (http://host:port) and joins the default namespace.
func dialSIO(base string, onEvent func(string, json.RawMessage, time.Time)) (*sioConn, error) {
	url := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := dialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c := &sioConn{ws: ws, pending: map[int]chan []json.RawMessage{}, onEvent: onEvent, closed: make(chan struct{})}
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != '0' {
		ws.Close()
		return nil, fmt.Errorf("no Engine.IO open packet: %v", err)
	}
	if err := c.write("40"); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, err
		}
		s := string(msg)
		if s == "2" {
			c.write("3")
			continue
		}
		if strings.HasPrefix(s, "40") {
			break
		}
		if strings.HasPrefix(s, "44") {
			ws.Close()
			return nil, fmt.Errorf("connect error: %s", s[2:])
		}
	}
	go c.read()
	return c, nil
}

func (c *sioConn) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

func (c *sioConn) read() {
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
		case strings.HasPrefix(s, "42"):
			var args []json.RawMessage
			if json.Unmarshal(msg[2:], &args) == nil && len(args) > 0 && c.onEvent != nil {
				var name string
				json.Unmarshal(args[0], &name)
				var data json.RawMessage
				if len(args) > 1 {
					data = args[1]
				}
				c.onEvent(name, data, at)
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

// call runs a Feathers method and returns the ack's arguments: (null, result)
// or (error).
func (c *sioConn) call(method string, args ...any) ([]json.RawMessage, error) {
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
}

// login authenticates the connection with a token, as a client's
// reAuthenticate does.
func (c *sioConn) login(token string) error {
	_, err := c.call("create", "authentication", map[string]any{"strategy": "jwt", "accessToken": token}, map[string]any{})
	return err
}

func (c *sioConn) close() { c.ws.Close() }
