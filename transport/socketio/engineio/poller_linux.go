package engineio

import (
	"net"
	"sync"
	"syscall"
)

// A poller watches idle WebSockets with its own epoll instance, so that an
// idle connection needs no goroutine blocked in a read (its stack and its
// goroutine are most of what an idle socket would cost). When a connection
// has something to read, the poller starts a goroutine that reads it with
// the ordinary net.Conn (the runtime's poller), until the connection is
// idle again and parks itself back here.
//
// Each connection is registered once, EPOLLONESHOT: after an event it is
// disarmed until its reader parks it again, so that one goroutine at most
// reads it. An event names a slot and its generation, never a file
// descriptor: a closed connection's slot is reused with a new generation,
// and an event still on its way for the old one is ignored.
type poller struct {
	epfd int
	wake [2]int // a pipe that Close writes to, to end the wait

	mu    sync.Mutex
	slots []*wsConn
	gens  []uint32
	free  []int32
	done  bool
}

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{epfd: epfd}
	if err := syscall.Pipe2(p.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: -1}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p.wake[0])
		syscall.Close(p.wake[1])
		return nil, err
	}
	go p.run()
	return p, nil
}

// pollable reports whether c's readiness can be watched on its file
// descriptor: a plain TCP connection, not TLS (whose records may wait,
// decrypted, in the tls.Conn).
func pollable(c *wsConn) bool {
	_, ok := c.Conn.(*net.TCPConn)
	return ok
}

// run waits for events and hands each ready connection to a reader.
func (p *poller) run() {
	var events [128]syscall.EpollEvent
	for {
		n, err := syscall.EpollWait(p.epfd, events[:], -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd < 0 {
				syscall.Close(p.epfd)
				syscall.Close(p.wake[0])
				syscall.Close(p.wake[1])
				return
			}
			p.mu.Lock()
			var c *wsConn
			if int(ev.Fd) < len(p.slots) && p.gens[ev.Fd] == uint32(ev.Pad) {
				c = p.slots[ev.Fd]
			}
			p.mu.Unlock()
			if c != nil {
				go c.sock.readWebSocket(c, false, true)
			}
		}
	}
}

// park arms c: the poller starts a reader when c has something to read.
// It reports false if c cannot be parked, or has something to read already
// (a burst of messages is read by one reader, not one each), and must then
// be read by its goroutine.
func (p *poller) park(c *wsConn) bool {
	if readable(c.Conn.(*net.TCPConn)) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || c.gone {
		return false
	}
	op := syscall.EPOLL_CTL_MOD
	if c.slot < 0 {
		fd := -1
		raw, err := c.Conn.(*net.TCPConn).SyscallConn()
		if err != nil {
			return false
		}
		raw.Control(func(f uintptr) { fd = int(f) })
		if fd < 0 {
			return false
		}
		if n := len(p.free); n > 0 {
			c.slot = p.free[n-1]
			p.free = p.free[:n-1]
		} else {
			c.slot = int32(len(p.slots))
			p.slots = append(p.slots, nil)
			p.gens = append(p.gens, 0)
		}
		p.slots[c.slot] = c
		c.fd = int32(fd)
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     c.slot,
		Pad:    int32(p.gens[c.slot]),
	}
	if err := syscall.EpollCtl(p.epfd, op, int(c.fd), &ev); err != nil {
		p.release(c)
		return false
	}
	return true
}

// readable reports whether a read of tc would not wait: it has data, or
// its end (which the read then reports).
func readable(tc *net.TCPConn) bool {
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	var b [1]byte
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		_, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // one look: never wait
	})
	return err == nil && rerr == nil
}

// forget removes c, before it is closed.
func (p *poller) forget(c *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.gone = true
	if c.slot >= 0 {
		if !p.done {
			// Closing the connection would remove it too; an event
			// already on its way finds its slot's generation changed.
			syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(c.fd), nil)
		}
		p.release(c)
	}
}

// release frees c's slot. p.mu is held.
func (p *poller) release(c *wsConn) {
	p.slots[c.slot] = nil
	p.gens[c.slot]++
	p.free = append(p.free, c.slot)
	c.slot = -1
}

// Close ends the poller's wait; the connections it watches are closed by
// their sockets.
func (p *poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.done = true
		syscall.Write(p.wake[1], []byte{0})
	}
}

// tryWrite writes what of b the connection takes without waiting. It
// reports how much, and whether it keeps the write lock held (when b is
// written in part: its rest must go next); n is 0 when the lock or the
// connection is busy, or c is not a plain TCP connection.
func (c *wsConn) tryWrite(b []byte) (n int, locked bool, err error) {
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok || !c.wmu.TryLock() {
		return 0, false, nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		c.wmu.Unlock()
		return 0, false, nil
	}
	var werr error
	err = raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // one attempt: the socket is non-blocking
	})
	if werr == syscall.EAGAIN || werr == syscall.EINTR {
		n, werr = 0, nil
	}
	if err == nil {
		err = werr
	}
	if n < 0 {
		n = 0
	}
	if err != nil || n == 0 || n == len(b) {
		c.wmu.Unlock()
		return n, false, err
	}
	return n, true, nil
}
