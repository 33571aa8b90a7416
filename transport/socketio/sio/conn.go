package sio

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// conn is the protocol's state of one engine connection: its engine
// Handler.
type conn struct {
	srv *Server
	es  engineSocket

	mu        sync.Mutex
	room      sync.Cond // signalled when handled events make room, and on close
	sockets   []*Socket // the namespaces joined or being joined
	queue     []task    // what was read and waits to be handled, in order
	working   bool      // a goroutine runs the queue
	events    int       // events read and not yet handled
	bytes     int       // and their size
	closed    bool
	why       string      // the reason the protocol closed the connection
	partial   *partial    // a binary packet waiting for its attachments
	timer     *time.Timer // the connect timeout, while no namespace is joined
	throttled bool        // reads have been held at least once
}

// task is a packet to handle: a CONNECT (auth, ns) or an event (e).
type task struct {
	sock *Socket
	ns   Namespace
	auth map[string]any
	e    *Event
	size int
}

// partial is a binary packet whose attachments are still coming.
type partial struct {
	h           header
	args        []any
	sock        *Socket // nil for an ack, whose attachments are read and dropped
	attachments [][]byte
	size        int // counted in events and bytes
}

// fail closes the connection for a protocol error of the client.
func (c *conn) fail(err error) {
	reason := engineio.ReasonTransportError
	if errors.Is(err, errParse) {
		reason = engineio.ReasonParseError
	}
	c.srv.opts.Logger.Debug("socket.io: closing a connection", "remote", c.es.RemoteAddr(), "error", err)
	c.mu.Lock()
	if c.why == "" {
		c.why = reason
	}
	c.mu.Unlock()
	c.es.Close()
}

func (c *conn) connectTimeout() {
	c.mu.Lock()
	idle := len(c.sockets) == 0 && !c.closed
	c.mu.Unlock()
	if idle {
		c.es.Close()
	}
}

// OnMessage implements engineio.Handler.
func (c *conn) OnMessage(data []byte, binary bool) {
	if binary {
		c.attachment(data)
		return
	}
	c.mu.Lock()
	waiting := c.partial != nil
	c.mu.Unlock()
	if waiting {
		c.fail(parseErr("a text packet while attachments were expected"))
		return
	}
	h, err := parseHeader(data)
	if err != nil {
		c.fail(err)
		return
	}
	switch h.typ {
	case TypeConnect:
		c.connect(h)
	case TypeDisconnect:
		if len(h.payload) != 0 {
			c.fail(parseErr("a DISCONNECT with a payload"))
			return
		}
		if s := c.socket(h.nsp); s != nil {
			c.leave(s, ReasonClientDisconnect)
		}
	case TypeEvent, TypeBinaryEvent:
		s := c.socket(h.nsp)
		if s == nil {
			c.fail(errInvalidState)
			return
		}
		// Room first: a connection that sends faster than it is served
		// waits here, before its packet is decoded.
		if !c.reserve(len(data)) {
			return
		}
		args, err := decodeArgs(h, c.srv.opts.DecodeArgs)
		if err != nil {
			c.release(len(data))
			c.fail(err)
			return
		}
		if h.typ == TypeBinaryEvent && h.attachments > 0 {
			c.mu.Lock()
			c.partial = &partial{h: h, args: args, sock: s, size: len(data)}
			c.mu.Unlock()
			return
		}
		c.enqueue(task{sock: s, e: &Event{Args: args, sock: s, id: h.id}, size: len(data)})
	case TypeAck, TypeBinaryAck:
		// The server asks for no acknowledgement: checked, then dropped.
		if _, err := decodeArgs(h, c.srv.opts.DecodeArgs); err != nil {
			c.fail(err)
			return
		}
		if h.typ == TypeBinaryAck && h.attachments > 0 {
			c.mu.Lock()
			c.partial = &partial{h: h}
			c.mu.Unlock()
		}
	default: // CONNECT_ERROR is the server's
		c.fail(parseErr("a packet of type %d from a client", h.typ))
	}
}

// attachment takes the next attachment of the binary packet being read.
func (c *conn) attachment(data []byte) {
	c.mu.Lock()
	p := c.partial
	if p == nil {
		c.mu.Unlock()
		c.fail(parseErr("binary data while no attachment was expected"))
		return
	}
	p.attachments = append(p.attachments, slices.Clone(data))
	done := len(p.attachments) == p.h.attachments
	if done {
		c.partial = nil
	}
	if p.sock != nil {
		// Attachments count with their event, without waiting: the
		// packet's header was let in, and the client sends them with it.
		p.size += len(data)
		c.bytes += len(data)
		c.srv.inbytes.Add(int64(len(data)))
	}
	c.mu.Unlock()
	if !done || p.sock == nil {
		return
	}
	for i, a := range p.args {
		r, err := reconstruct(a, p.attachments)
		if err != nil {
			c.release(p.size)
			c.fail(err)
			return
		}
		p.args[i] = r
	}
	c.enqueue(task{sock: p.sock, e: &Event{Args: p.args, sock: p.sock, id: p.h.id}, size: p.size})
}

// socket returns the socket of namespace nsp, joined or being joined.
func (c *conn) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sockets {
		if s.nsp == nsp {
			return s
		}
	}
	return nil
}

func (c *conn) connect(h header) {
	auth, err := decodeAuth(h.payload)
	if err != nil {
		c.fail(err)
		return
	}
	if c.socket(h.nsp) != nil {
		return // joined or joining already
	}
	ns := c.srv.opts.Namespaces[h.nsp]
	if ns == nil {
		c.refuse(h.nsp, map[string]any{"message": "Invalid namespace"})
		return
	}
	s := &Socket{c: c, nsp: h.nsp, id: newID()}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.sockets = append(c.sockets, s)
	c.mu.Unlock()
	c.enqueue(task{sock: s, ns: ns, auth: auth})
}

func (c *conn) refuse(nsp string, data any) {
	if msgs, err := Encode(TypeConnectError, nsp, -1, data); err == nil {
		c.es.Send(msgs...)
	}
}

// reserve waits until the connection has room for an event of size bytes,
// and counts it; it reports false if the connection closed meanwhile.
func (c *conn) reserve(size int) bool {
	o := &c.srv.opts
	c.mu.Lock()
	defer c.mu.Unlock()
	full := func() bool { return c.events >= o.MaxEvents || c.events > 0 && c.bytes+size > o.MaxBytes }
	for told := false; !c.closed && full(); {
		if !told && o.OnThrottle != nil {
			told = true
			events, bytes := c.events, c.bytes
			c.mu.Unlock()
			o.OnThrottle(c.es.Request(), events, bytes)
			c.mu.Lock()
			continue
		}
		c.room.Wait()
	}
	if c.closed {
		return false
	}
	c.events++
	c.bytes += size
	c.srv.inflight.Add(1)
	c.srv.inbytes.Add(int64(size))
	return true
}

// release uncounts an event of size bytes, handled or dropped.
func (c *conn) release(size int) {
	c.mu.Lock()
	c.events--
	c.bytes -= size
	c.mu.Unlock()
	c.srv.inflight.Add(-1)
	c.srv.inbytes.Add(-int64(size))
	c.room.Signal() // one reader waits at most: the engine's, in OnMessage
}

func (c *conn) enqueue(t task) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		if t.e != nil {
			c.release(t.size)
		}
		return
	}
	c.queue = append(c.queue, t)
	start := !c.working
	c.working = true
	c.mu.Unlock()
	if start {
		go c.work()
	}
}

// work handles the queue until it is empty, then ends: an idle connection
// has no goroutine of its own here.
func (c *conn) work() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.queue = nil
			c.working = false
			c.mu.Unlock()
			return
		}
		t := c.queue[0]
		c.queue[0] = task{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if t.e != nil {
			if t.sock.state.Load() == joined {
				t.sock.sess.OnEvent(t.e)
			}
			c.release(t.size)
		} else {
			c.join(t.sock, t.ns, t.auth)
		}
	}
}

// join runs a namespace's Connect and answers the CONNECT.
func (c *conn) join(s *Socket, ns Namespace, auth map[string]any) {
	sess, err := ns.Connect(s, auth)
	if err != nil {
		c.mu.Lock()
		c.sockets = slices.DeleteFunc(c.sockets, func(x *Socket) bool { return x == s })
		gone := s.state.Load() == left
		s.state.Store(left)
		c.mu.Unlock()
		if !gone {
			var data any = map[string]any{"message": err.Error()}
			if ce, ok := err.(interface{ ConnectErrorData() any }); ok {
				data = ce.ConnectErrorData()
			}
			c.refuse(s.nsp, data)
		}
		return
	}
	c.mu.Lock()
	if s.state.Load() == left { // the client left during Connect
		why := s.why
		c.mu.Unlock()
		sess.OnDisconnect(why)
		return
	}
	s.sess = sess
	// Joined before the answer is queued: what is sent to the socket from
	// now on comes after it, or, sent in between, just before it, which a
	// client keeps for once it is connected.
	s.state.Store(joined)
	c.timer.Stop()
	c.mu.Unlock()
	if msgs, err := Encode(TypeConnect, s.nsp, -1, map[string]string{"sid": s.id}); err == nil {
		c.es.Send(msgs...)
	}
	if s.state.Load() != joined {
		return // left meanwhile: leave ended the session
	}
	sess.OnConnect()
}

// leave ends s with reason, once.
func (c *conn) leave(s *Socket, reason string) {
	c.mu.Lock()
	i := slices.Index(c.sockets, s)
	if i < 0 {
		c.mu.Unlock()
		return
	}
	c.sockets = slices.Delete(c.sockets, i, i+1)
	prev := s.state.Swap(left)
	s.why = reason
	sess := s.sess
	if len(c.sockets) == 0 && !c.closed {
		c.timer.Reset(c.srv.opts.ConnectTimeout)
	}
	c.mu.Unlock()
	if prev == joined {
		sess.OnDisconnect(reason)
	}
	// A socket still joining is ended by join, after its Connect.
}

// OnClose implements engineio.Handler.
func (c *conn) OnClose(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.why != "" {
		reason = c.why
	}
	c.timer.Stop()
	socks := c.sockets
	// Drop what waits: the sessions end now. The task being handled, if
	// any, releases its own count.
	var dropped, size int
	for _, t := range c.queue {
		if t.e != nil {
			dropped++
			size += t.size
		}
	}
	if p := c.partial; p != nil && p.sock != nil {
		dropped++
		size += p.size
	}
	c.partial = nil
	c.queue = nil
	c.events -= dropped
	c.bytes -= size
	c.room.Broadcast()
	c.mu.Unlock()
	c.srv.inflight.Add(-int64(dropped))
	c.srv.inbytes.Add(-int64(size))
	// The sessions end on a goroutine of their own: the engine may close the
	// connection from inside a Send (a full queue), whose caller may hold
	// locks of its own (a fan-out's) that ending a session takes too.
	if len(socks) > 0 {
		go func() {
			for _, s := range socks {
				c.leave(s, reason)
			}
		}()
	}
}
