package devtools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrClosed is the error of a call on a browser that has exited or whose
// connection is closed.
var ErrClosed = errors.New("devtools: the browser's connection is closed")

// An Error is an error that the browser answered a command with.
type Error struct {
	Method  string `json:"-"` // the command, such as "Page.navigate"
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("devtools: %s: %s (%d)", e.Method, e.Message, e.Code)
	if e.Data != "" {
		s += ": " + e.Data
	}
	return s
}

// command is a message to the browser. SessionID names the tab; it is empty
// for the browser itself.
type command struct {
	ID        int64  `json:"id"`
	SessionID string `json:"sessionId,omitempty"`
	Method    string `json:"method"`
	Params    any    `json:"params"`
}

// incoming is a message from the browser: the answer to a command (ID,
// Result or Error) or an event (Method, Params) of a tab (SessionID) or of
// the browser.
type incoming struct {
	ID        int64           `json:"id"`
	SessionID string          `json:"sessionId"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *Error          `json:"error"`
}

// eventHandler receives the events of one session. The reading goroutine
// calls it, one event at a time, so it must return quickly and must not
// call the browser.
type eventHandler func(method string, params json.RawMessage)

// conn is the connection to a browser started with --remote-debugging-pipe:
// it writes commands to the pipe the browser reads on its fd 3 and reads
// answers and events from the pipe it writes on fd 4. Each message is a JSON
// object followed by a NUL byte.
type conn struct {
	w io.WriteCloser
	r io.ReadCloser

	writeMu sync.Mutex // one message at a time on w

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan *incoming
	sessions map[string]eventHandler
	err      error         // why the connection ended; set before done closes
	done     chan struct{} // closed when the reading goroutine ends
}

// newConn starts reading r; the connection ends when r does, or on close.
func newConn(w io.WriteCloser, r io.ReadCloser) *conn {
	c := &conn{
		w:        w,
		r:        r,
		pending:  make(map[int64]chan *incoming),
		sessions: make(map[string]eventHandler),
		done:     make(chan struct{}),
	}
	go c.read()
	return c
}

// read dispatches the browser's messages until the pipe ends.
func (c *conn) read() {
	br := bufio.NewReader(c.r)
	var err error
	for {
		var b []byte
		b, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		b = bytes.TrimSuffix(b, []byte{0})
		msg := new(incoming)
		if err = json.Unmarshal(b, msg); err != nil {
			err = fmt.Errorf("decoding a message of the browser: %w", err)
			break
		}
		c.mu.Lock()
		if msg.ID != 0 {
			ch := c.pending[msg.ID]
			delete(c.pending, msg.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- msg // buffered: the caller may have given up
			}
			continue
		}
		handle := c.sessions[msg.SessionID]
		c.mu.Unlock()
		if handle != nil {
			handle(msg.Method, msg.Params)
		}
	}
	if errors.Is(err, io.EOF) {
		err = ErrClosed
	} else {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	c.mu.Lock()
	c.err = err
	c.pending = nil
	c.mu.Unlock()
	close(c.done)
}

// call sends a command to the browser (sessionID "") or to a tab and waits
// for its answer, which it decodes into result unless result is nil.
func (c *conn) call(ctx context.Context, sessionID, method string, params, result any) error {
	ch := make(chan *incoming, 1)
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()

	if params == nil {
		params = struct{}{}
	}
	b, err := json.Marshal(command{ID: id, SessionID: sessionID, Method: method, Params: params})
	if err == nil {
		c.writeMu.Lock()
		_, err = c.w.Write(append(b, 0))
		c.writeMu.Unlock()
	}
	if err != nil {
		c.forget(id)
		return fmt.Errorf("%s: %w", method, err)
	}

	var msg *incoming
	select {
	case msg = <-ch:
	case <-c.done:
		select {
		case msg = <-ch: // answered just before the end
		default:
			return fmt.Errorf("%s: %w", method, c.err)
		}
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
	if msg.Error != nil {
		msg.Error.Method = method
		return msg.Error
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(msg.Result, result); err != nil {
		return fmt.Errorf("%s: decoding the result: %w", method, err)
	}
	return nil
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// listen sends the events of a session to handle, or stops sending them if
// handle is nil.
func (c *conn) listen(sessionID string, handle eventHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if handle == nil {
		delete(c.sessions, sessionID)
	} else {
		c.sessions[sessionID] = handle
	}
}

// close closes both pipes, which ends the reading goroutine, and waits for
// it.
func (c *conn) close() error {
	err := errors.Join(c.w.Close(), c.r.Close())
	<-c.done
	return err
}
