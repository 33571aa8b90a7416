package engineio

import (
	"sync"
	"time"
)

const (
	transportPolling = iota
	transportWebSocket
)

// Socket is one Engine.IO session. Its methods are safe for concurrent use.
type Socket struct {
	srv     *Server
	id      string
	hs      *Handshake
	handler Handler

	// deliver serializes the calls of the handler: the readers of a session
	// (a POST, then the WebSocket it upgrades to) take it for each message.
	deliver sync.Mutex

	mu        sync.Mutex
	transport uint8
	closed    bool // Send refuses; the handler has been or will be told
	notified  bool // OnClose has been called or is being called
	busy      bool // OnMessage is running
	draining  bool // closed, kept until a last GET takes the CLOSE packet
	reason    string

	// The outbound queue: what waits to be written, and, on a WebSocket, the
	// batch being written (inflight).
	queue             []*Message
	qbytes            int
	inflight, nflight int
	writing           bool // a WebSocket writer goroutine is running
	ws                *wsConn
	probe             *wsConn     // a WebSocket in its upgrade, before UPGRADE
	pollWait          *waitingGET // the pending GET, nil without one
	noop              bool        // the pending GET answers NOOP (upgrade)

	// The heartbeat: one timer, whose state changes only under mu. due is
	// when it should fire; a firing before due is a stale one (the timer was
	// reset while its function was starting) and does nothing.
	timer    *time.Timer
	due      time.Time
	awaiting bool // a PING is out, the timer is the pong timeout
	late     bool // the pong timeout passed while the handler held the reads
}

// ID returns the session id.
func (s *Socket) ID() string { return s.id }

// Transport returns "polling" or "websocket".
func (s *Socket) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.transport == transportWebSocket {
		return "websocket"
	}
	return "polling"
}

// RemoteAddr returns the address of the client that opened the session.
func (s *Socket) RemoteAddr() string { return s.hs.RemoteAddr }

// Request returns what the socket kept of the request that opened it.
func (s *Socket) Request() *Handshake { return s.hs }

// Buffered returns what waits to be written to the client, or is being
// written.
func (s *Socket) Buffered() (bytes, messages int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.qbytes + s.inflight, len(s.queue) + s.nflight
}

// Send queues msgs to be written together, in order; it never blocks. It
// returns ErrClosed on a closed socket, and a *TooSlowError, closing the socket
// with reason "too slow", when the socket's queue is already past
// MaxQueuedBytes or MaxQueuedMessages: a single send larger than the bounds
// goes to a client whose queue is short.
func (s *Socket) Send(msgs ...*Message) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if bytes, n := s.qbytes+s.inflight, len(s.queue)+s.nflight; bytes >= s.srv.opts.MaxQueuedBytes || n >= s.srv.opts.MaxQueuedMessages {
		err := &TooSlowError{Bytes: bytes, Messages: n + len(msgs)}
		for _, m := range msgs {
			err.Bytes += m.size()
		}
		s.mu.Unlock()
		s.close(ReasonTooSlow)
		return err
	}
	if len(msgs) == 1 && len(s.queue) == 0 && !s.writing && s.ws != nil && s.transport == transportWebSocket {
		s.sendNow(msgs[0]) // unlocks s.mu
		return nil
	}
	s.push(msgs...)
	s.mu.Unlock()
	return nil
}

// SendMessage is Send of one message; it puts no slice of arguments on the
// heap when called through an interface.
func (s *Socket) SendMessage(m *Message) error { return s.Send(m) }

// sendNow writes m to the socket's idle WebSocket from the sender's
// goroutine, as far as the connection takes it without waiting; a writer
// goroutine does the rest, if any. A fan-out to thousands of sockets then
// costs a write each, not a goroutine each. s.mu is held, and unlocked.
func (s *Socket) sendNow(m *Message) {
	c := s.ws
	s.writing = true
	s.inflight, s.nflight = m.size(), 1
	s.mu.Unlock()
	frame := m.frameBytes()
	n, locked, err := c.tryWrite(frame)
	s.mu.Lock()
	s.inflight, s.nflight = 0, 0
	switch {
	case err != nil:
		s.writing = false
		s.mu.Unlock()
		s.close(ReasonTransportError)
		return
	case n == len(frame):
		s.writing = false
		if len(s.queue) > 0 || s.closed {
			// Sent meanwhile, or a graceful close waits for its frame.
			s.writing = true
			go s.writeWebSocket(c)
		}
	case locked:
		// Part of the frame is written: the rest goes first, and nothing
		// (not even a pong) may come between, so the write lock passes to
		// the goroutine.
		s.inflight, s.nflight = len(frame)-n, 1
		go s.finishWrite(c, frame[n:])
	default:
		s.queue = append([]*Message{m}, s.queue...)
		s.qbytes += m.size()
		go s.writeWebSocket(c)
	}
	s.mu.Unlock()
}

// finishWrite writes the rest of a frame that sendNow began, with c's
// write lock held, then the queue.
func (s *Socket) finishWrite(c *wsConn, rest []byte) {
	_, err := c.Conn.Write(rest)
	c.wmu.Unlock()
	s.mu.Lock()
	s.inflight, s.nflight = 0, 0
	s.mu.Unlock()
	if err != nil {
		s.close(ReasonTransportError)
		c.Close()
		s.mu.Lock()
		s.writing = false
		s.mu.Unlock()
		return
	}
	s.writeWebSocket(c)
}

// push queues msgs and wakes what writes them. s.mu is held.
func (s *Socket) push(msgs ...*Message) {
	for _, m := range msgs {
		s.queue = append(s.queue, m)
		s.qbytes += m.size()
	}
	s.flush()
}

// flush has the queue written: it wakes the pending GET, or starts the
// WebSocket writer. s.mu is held.
func (s *Socket) flush() {
	if len(s.queue) == 0 {
		return
	}
	switch {
	case s.transport == transportPolling:
		s.wake()
	case !s.writing && s.ws != nil:
		s.writing = true
		go s.writeWebSocket(s.ws)
	}
}

// wake answers the pending GET, if any. s.mu is held.
func (s *Socket) wake() {
	if s.pollWait != nil {
		close(s.pollWait.wake)
		s.pollWait = nil
	}
}

// take empties the queue. s.mu is held.
func (s *Socket) take() []*Message {
	q := s.queue
	s.queue, s.qbytes = nil, 0
	return q
}

// Close closes the socket (reason "forced close"), after what is queued has
// been written.
func (s *Socket) Close() { s.shut(ReasonForcedClose, true) }

// CloseWith closes the socket with reason, given to Handler.OnClose, after
// what is queued has been written: for a layer above that ends the session
// for its own reasons ("parse error" of a Socket.IO packet, ...).
func (s *Socket) CloseWith(reason string) { s.shut(reason, true) }

// close ends the session for one of the engine's reasons: only a forced
// close or a shutdown writes what is queued first; an error drops it.
func (s *Socket) close(reason string) {
	s.shut(reason, reason == ReasonForcedClose || reason == ReasonShuttingDown)
}

// shut ends the session once, tells the handler and frees the transport;
// graceful writes what is queued first (and, on polling, the CLOSE packet to
// the next GET).
func (s *Socket) shut(reason string, graceful bool) {
	s.mu.Lock()
	if s.closed {
		if s.draining && !graceful {
			s.draining = false
			s.mu.Unlock()
			s.srv.remove(s)
			return
		}
		s.mu.Unlock()
		return
	}
	s.closed, s.reason = true, reason
	tell := !s.busy
	s.notified = s.notified || tell
	probe := s.probe
	s.probe = nil
	var conn *wsConn
	remove := true
	switch {
	case s.transport == transportWebSocket:
		if graceful {
			// The writer writes what is queued, then a close frame, and closes
			// the connection; a client that does not read has until the
			// deadline.
			s.ws.SetWriteDeadline(time.Now().Add(s.srv.opts.PingTimeout))
			if !s.writing {
				s.writing = true
				go s.writeWebSocket(s.ws)
			}
		} else {
			conn = s.ws
			s.queue, s.qbytes = nil, 0
		}
	default:
		// The pending GET gets a CLOSE packet after what is queued if the
		// close is graceful, or a NOOP if the client closed.
		last := pollClose
		if !graceful {
			s.queue, s.qbytes = nil, 0
		}
		if reason == ReasonTransportClose {
			last = pollNoop
		}
		s.push(last)
		if s.pollWait == nil && (graceful || reason == ReasonTransportClose) {
			// Without a pending GET, keep the session for the client's next
			// one, or one ping timeout: the GET may be on its way (a client
			// that sends CLOSE has a GET pending, from its point of view).
			s.draining, remove = true, false
		}
	}
	if s.timer != nil {
		if s.draining {
			s.due = time.Now().Add(s.srv.opts.PingTimeout)
			s.timer.Reset(s.srv.opts.PingTimeout)
		} else {
			s.timer.Stop()
		}
	}
	s.mu.Unlock()

	if remove {
		s.srv.remove(s)
	} else {
		s.srv.drain(s)
	}
	if probe != nil {
		probe.Close()
	}
	if conn != nil {
		conn.Close()
	}
	if tell {
		s.handler.OnClose(reason)
	}
}

// heartbeat is the function of the heartbeat timer.
func (s *Socket) heartbeat() {
	s.mu.Lock()
	now := time.Now()
	switch {
	case now.Before(s.due):
		// Stale: the timer was reset after it started to fire.
	case s.draining:
		s.draining = false
		s.mu.Unlock()
		s.srv.remove(s)
		return
	case s.closed:
	case s.awaiting && s.busy:
		// The PONG may wait behind the message the handler holds: its
		// deadline starts again when the handler returns (onMessage).
		s.late = true
	case s.awaiting:
		s.mu.Unlock()
		s.close(ReasonPingTimeout)
		return
	default:
		// The pong's deadline counts from when the PING was due, not from
		// when this function ran: a late timer does not stretch it.
		s.awaiting = true
		s.due = s.due.Add(s.srv.opts.PingTimeout)
		s.timer.Reset(s.due.Sub(now))
		s.push(pingPacket)
	}
	s.mu.Unlock()
}

// overdue reports whether the socket's PONG is late, though its timer has
// not fired yet (it may be late itself, on a loaded machine). s.mu is held.
func (s *Socket) overdue() bool {
	return s.awaiting && !s.closed && !s.busy && !time.Now().Before(s.due)
}

// expired closes the socket if its PONG is late, and reports whether it did:
// the requests of a client check it, so that a session is not kept alive
// by a timer that has not run yet.
func (s *Socket) expired() bool {
	s.mu.Lock()
	late := s.overdue()
	s.mu.Unlock()
	if late {
		s.close(ReasonPingTimeout)
	}
	return late
}

// pong ends the wait for a PONG and schedules the next PING.
func (s *Socket) pong() {
	if s.expired() {
		return
	}
	s.mu.Lock()
	if s.awaiting && !s.closed {
		s.awaiting, s.late = false, false
		s.due = time.Now().Add(s.srv.opts.PingInterval)
		s.timer.Reset(s.srv.opts.PingInterval)
	}
	s.mu.Unlock()
}

// onMessage gives a message to the handler, unless the socket is closed. Its
// callers hold s.deliver. If the socket closes while the handler runs, the
// handler is told when it returns.
func (s *Socket) onMessage(data []byte, binary bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.busy = true
	s.mu.Unlock()
	s.handler.OnMessage(data, binary)
	s.mu.Lock()
	s.busy = false
	if now := time.Now(); s.awaiting && !s.closed && (s.late || !now.Before(s.due)) {
		// The pong deadline passed while the handler held the reads.
		s.late = false
		s.due = now.Add(s.srv.opts.PingTimeout)
		s.timer.Reset(s.srv.opts.PingTimeout)
	}
	tell := s.closed && !s.notified
	s.notified = s.notified || tell
	reason := s.reason
	s.mu.Unlock()
	if tell {
		s.handler.OnClose(reason)
	}
}

// openPacket is the socket's OPEN packet.
func (s *Socket) openPacket(tail []byte) *Message {
	b := make([]byte, 0, 8+len(s.id)+len(tail))
	b = append(append(append(b, `{"sid":"`...), s.id...), tail...)
	return &Message{typ: typeOpen, data: b}
}

// Control packets, shared by every socket.
var (
	pingPacket = newControl(typePing, "")
	pollNoop   = newControl(typeNoop, "")
	pollClose  = newControl(typeClose, "")
)
