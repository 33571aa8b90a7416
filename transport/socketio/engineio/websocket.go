package engineio

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// upgradeTimeout bounds the upgrade of a polling session: from the
// WebSocket's opening to its UPGRADE packet.
const upgradeTimeout = 10 * time.Second

// wsConn is a WebSocket connection hijacked from net/http, read and written
// with no buffer of its own: an idle connection holds nothing but its
// socket.
type wsConn struct {
	net.Conn
	pre []byte     // bytes net/http had read past the request
	wmu sync.Mutex // one writer at a time: the socket's, or a control reply

	sock   *Socket
	poller *poller // nil: read by a goroutine of its own
	slot   int32   // the poller's, -1 when not registered
	fd     int32
	gone   bool // closed: the poller must not take it again
}

// park hands c to the poller until it has something to read, and reports
// whether it did; if not, the caller goes on reading.
func (c *wsConn) park() bool {
	return c.poller != nil && len(c.pre) == 0 && c.poller.park(c)
}

// Close forgets c in the poller, then closes it.
func (c *wsConn) Close() error {
	if c.poller != nil {
		c.poller.forget(c)
	}
	return c.Conn.Close()
}

func (c *wsConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// write writes bufs, whole, under the write lock.
func (c *wsConn) write(bufs net.Buffers) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(bufs) == 1 {
		// A plain write: writev would have the connection keep an iovec
		// array for the rest of its life.
		_, err := c.Conn.Write(bufs[0])
		return err
	}
	_, err := bufs.WriteTo(c.Conn)
	return err
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHas(r.Header, "Connection", "upgrade") &&
		headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptWebSocket completes the opening handshake of r and takes its
// connection from net/http, dropping net/http's buffers. Nothing is
// written to w when it fails before the hijack.
func acceptWebSocket(w http.ResponseWriter, r *http.Request) (*wsConn, error) {
	if !isUpgrade(r) {
		return nil, errors.New("not a WebSocket request")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return nil, errors.New("unsupported WebSocket version")
	}
	key := r.Header.Get("Sec-Websocket-Key")
	if key == "" {
		return nil, errors.New("missing Sec-WebSocket-Key")
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, errors.New("connection cannot be hijacked")
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	c := &wsConn{Conn: conn, slot: -1}
	if n := brw.Reader.Buffered(); n > 0 {
		c.pre = make([]byte, n)
		io.ReadFull(brw.Reader, c.pre)
	}
	conn.SetDeadline(time.Time{})
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	if _, err := io.WriteString(conn, resp); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// appendFrameHeader appends the header of an unmasked, final frame of n
// bytes.
func appendFrameHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n <= 125:
		return append(b, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

var (
	errProtocol = errors.New("engineio: WebSocket protocol error")
	errTooLarge = errors.New("engineio: message larger than maxPayload")
	errPeerGone = errors.New("engineio: WebSocket closed by the client")
)

// Close codes (RFC 6455 section 7.4.1).
const (
	closeNormal   = 1000
	closeProtocol = 1002
	closeTooLarge = 1009
)

// readMessage reads the next data message of c, of at most max bytes,
// answering the control frames it meets. The header is read into the
// stack, and the payload into a buffer made for it: between messages, the
// connection holds no buffer.
func readMessage(c *wsConn, max int64) (op byte, data []byte, err error) {
	var hdr [14]byte
	for {
		if _, err := io.ReadFull(c, hdr[:2]); err != nil {
			return 0, nil, err
		}
		fin, rsv, fop := hdr[0]&0x80 != 0, hdr[0]&0x70, hdr[0]&0x0f
		masked, n7 := hdr[1]&0x80 != 0, int64(hdr[1]&0x7f)
		if rsv != 0 || !masked {
			return 0, nil, errProtocol
		}
		ext := 0
		switch n7 {
		case 126:
			ext = 2
		case 127:
			ext = 8
		}
		if _, err := io.ReadFull(c, hdr[2:2+ext+4]); err != nil {
			return 0, nil, err
		}
		n := n7
		switch ext {
		case 2:
			n = int64(binary.BigEndian.Uint16(hdr[2:]))
		case 8:
			n = int64(binary.BigEndian.Uint64(hdr[2:]))
			if n < 0 {
				return 0, nil, errTooLarge
			}
		}
		mask := hdr[2+ext : 2+ext+4]
		if fop >= opClose {
			if !fin || n > 125 {
				return 0, nil, errProtocol
			}
			var payload [125]byte
			p := payload[:n]
			if _, err := io.ReadFull(c, p); err != nil {
				return 0, nil, err
			}
			unmask(p, mask, 0)
			switch fop {
			case opPing:
				c.write(net.Buffers{appendFrameHeader(nil, opPong, len(p)), p})
			case opClose:
				c.write(net.Buffers{closeFrame(closeNormal)})
				return 0, nil, errPeerGone
			case opPong:
			default:
				return 0, nil, errProtocol
			}
			continue
		}
		switch {
		case fop == opContinuation && data == nil, fop != opContinuation && data != nil:
			return 0, nil, errProtocol
		case fop == opText, fop == opBinary:
			op = fop
			data = []byte{}
		case fop != opContinuation:
			return 0, nil, errProtocol
		}
		if int64(len(data))+n > max {
			return 0, nil, errTooLarge
		}
		start := len(data)
		data = append(data, make([]byte, n)...)
		if _, err := io.ReadFull(c, data[start:]); err != nil {
			return 0, nil, err
		}
		unmask(data[start:], mask, 0)
		if fin {
			return op, data, nil
		}
	}
}

func unmask(b, mask []byte, pos int) {
	for i := range b {
		b[i] ^= mask[(pos+i)&3]
	}
}

func closeFrame(code uint16) []byte {
	return binary.BigEndian.AppendUint16(appendFrameHeader(nil, opClose, 2), code)
}

// readWebSocket reads the socket's WebSocket until it ends. A WebSocket
// opened to upgrade a polling session (probe) first goes through the
// upgrade: PING "probe", PONG "probe", then UPGRADE.
//
// Between messages, the reader parks the connection in the server's poller
// and ends: the poller starts a new one (ready) when the connection has
// something to read.
func (s *Socket) readWebSocket(c *wsConn, probe, ready bool) {
	max := s.srv.opts.MaxPayload
	if probe {
		c.SetReadDeadline(time.Now().Add(upgradeTimeout))
	}
	for {
		if !probe && !ready && c.park() {
			return
		}
		ready = false
		op, data, err := readMessage(c, max)
		if err != nil {
			s.wsFailed(c, probe, err)
			return
		}
		if op == opBinary {
			if probe {
				s.wsFailed(c, probe, errProtocol)
				return
			}
			s.deliver.Lock()
			s.onMessage(data, true)
			s.deliver.Unlock()
			continue
		}
		if len(data) == 0 {
			s.wsFailed(c, probe, errBadPacket)
			return
		}
		typ, data := data[0], data[1:]
		if probe {
			switch {
			case typ == typePing && string(data) == "probe":
				if err := c.write(net.Buffers{(&Message{typ: typePong, data: data}).frameBytes()}); err != nil {
					s.wsFailed(c, probe, err)
					return
				}
				if !s.probed(c) {
					c.Close()
					return
				}
			case typ == typeUpgrade:
				if !s.upgraded(c) {
					c.Close()
					return
				}
				c.SetReadDeadline(time.Time{})
				probe = false
			case typ == typeNoop:
			default:
				s.wsFailed(c, probe, errBadPacket)
				return
			}
			continue
		}
		s.deliver.Lock()
		open := s.onPacket(typ, data, false)
		s.deliver.Unlock()
		if !open {
			return
		}
	}
}

// wsFailed ends a WebSocket whose read failed: the session, or only the
// upgrade if it was a probe.
func (s *Socket) wsFailed(c *wsConn, probe bool, err error) {
	if probe {
		s.mu.Lock()
		if s.probe == c {
			s.probe, s.noop = nil, false
		}
		s.flush()
		s.mu.Unlock()
		c.Close()
		return
	}
	switch {
	case errors.Is(err, errTooLarge):
		c.write(net.Buffers{closeFrame(closeTooLarge)})
		s.close(ReasonTransportError)
	case errors.Is(err, errProtocol):
		c.write(net.Buffers{closeFrame(closeProtocol)})
		s.close(ReasonTransportError)
	case errors.Is(err, errBadPacket):
		s.close(ReasonParseError)
	default:
		s.close(ReasonTransportClose)
	}
	c.Close()
}

// upgrade opens the WebSocket that a polling session upgrades to.
func (s *Socket) upgrade(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	busy := s.closed || s.transport != transportPolling || s.probe != nil
	s.mu.Unlock()
	c, err := acceptWebSocket(w, r)
	if err != nil {
		refuse(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	c.sock, c.poller = s, s.srv.pollerFor(c)
	s.mu.Lock()
	if busy || s.closed || s.transport != transportPolling || s.probe != nil {
		// As engine.io does, a session that cannot upgrade (any more)
		// closes the WebSocket once open.
		s.mu.Unlock()
		c.write(net.Buffers{closeFrame(closeNormal)})
		c.Close()
		return
	}
	s.probe = c
	s.mu.Unlock()
	go s.readWebSocket(c, true, false)
}

// probed is the client's PING "probe" on the new WebSocket: the pending GET
// ends with a NOOP so that the client can pause polling, and GETs get NOOPs
// until the upgrade is done; what is sent meanwhile waits for the
// WebSocket.
func (s *Socket) probed(c *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != c {
		return false
	}
	s.noop = true
	s.wake()
	return true
}

// upgraded switches the session to the WebSocket c, which writes what was
// queued while the upgrade went on.
func (s *Socket) upgraded(c *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != c || !s.noop {
		return false
	}
	s.probe, s.noop = nil, false
	s.transport, s.ws = transportWebSocket, c
	s.wake()
	s.flush()
	return true
}

// writeWebSocket writes the queue to c until it is empty; it runs only
// while there is something to write. When the socket is closed gracefully,
// it ends the connection with a close frame.
func (s *Socket) writeWebSocket(c *wsConn) {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			closed := s.closed
			s.writing = false
			s.mu.Unlock()
			if closed {
				c.write(net.Buffers{closeFrame(closeNormal)})
				c.Close()
			}
			return
		}
		batch := s.take()
		for _, m := range batch {
			s.inflight += m.size()
		}
		s.nflight = len(batch)
		s.mu.Unlock()

		bufs := make(net.Buffers, len(batch))
		for i, m := range batch {
			bufs[i] = m.frameBytes()
		}
		err := c.write(bufs)

		s.mu.Lock()
		s.inflight, s.nflight = 0, 0
		s.mu.Unlock()
		if err != nil {
			s.close(ReasonTransportError)
			c.Close()
			s.mu.Lock()
			s.writing = false
			s.queue, s.qbytes = nil, 0
			s.mu.Unlock()
			return
		}
	}
}
