// Package faultproxy is a TCP proxy on loopback that tests cut: put it
// between a client and a server (a database), then make the server stop
// answering (Hang: a partition, where bytes go nowhere; Stall: bytes held
// and delivered late), or go away (Refuse: every connection closed, new ones
// closed at once), and come back (Restore), without touching either side.
package faultproxy

import (
	"io"
	"net"
	"sync"
)

// Proxy forwards connections to a target.
type Proxy struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	mode   mode
	pairs  map[*pair]struct{}
	closed bool
	// resume is closed when forwarding resumes after Stall; nil when not
	// stalled.
	resume chan struct{}
}

type mode int

const (
	up mode = iota
	hung
	refusing
)

// pair is one client connection and, when forwarded, its server connection.
type pair struct {
	client, server net.Conn
	mu             sync.Mutex
	broken         bool // its bytes were dropped: it can never be whole again
}

// New listens on a free loopback port and forwards to target (host:port).
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, pairs: map[*pair]struct{}{}}
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget changes where new connections go (a server restarted on another
// port).
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Hang stops forwarding: what either side sends is dropped, new connections
// are accepted and go nowhere. The connections open now are broken for good.
func (p *Proxy) Hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = hung
	for pr := range p.pairs {
		pr.mu.Lock()
		pr.broken = true
		pr.mu.Unlock()
	}
}

// Stall holds every byte, in both directions, until Restore delivers them:
// a database that stopped (SIGSTOP, a full disk, a stalled backend) and
// comes back with what it was sent, so that a write its client gave up on
// takes effect late.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resume == nil {
		p.resume = make(chan struct{})
	}
}

// held waits while the proxy is stalled.
func (p *Proxy) held() {
	p.mu.Lock()
	r := p.resume
	p.mu.Unlock()
	if r != nil {
		<-r
	}
}

// Refuse closes every connection and every new one at once.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	p.mode = refusing
	pairs := p.take()
	p.mu.Unlock()
	closeAll(pairs)
}

// Restore forwards new connections again, delivers what a Stall held, and
// closes the connections a Hang broke (as a healed partition resets them).
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.mode = up
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
	}
	var broken []*pair
	for pr := range p.pairs {
		pr.mu.Lock()
		if pr.broken {
			broken = append(broken, pr)
			delete(p.pairs, pr)
		}
		pr.mu.Unlock()
	}
	p.mu.Unlock()
	closeAll(broken)
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
	}
	pairs := p.take()
	p.mu.Unlock()
	p.ln.Close()
	closeAll(pairs)
}

func (p *Proxy) take() []*pair {
	out := make([]*pair, 0, len(p.pairs))
	for pr := range p.pairs {
		out = append(out, pr)
	}
	clear(p.pairs)
	return out
}

func closeAll(pairs []*pair) {
	for _, pr := range pairs {
		pr.client.Close()
		if pr.server != nil {
			pr.server.Close()
		}
	}
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	p.mu.Lock()
	m, target, closed := p.mode, p.target, p.closed
	p.mu.Unlock()
	if closed || m == refusing {
		c.Close()
		return
	}
	pr := &pair{client: c, broken: m == hung}
	if !pr.broken {
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		pr.server = s
	}
	p.mu.Lock()
	if p.closed || p.mode == refusing {
		p.mu.Unlock()
		closeAll([]*pair{pr})
		return
	}
	p.pairs[pr] = struct{}{}
	p.mu.Unlock()
	if pr.server == nil {
		io.Copy(io.Discard, c) // goes nowhere until Restore closes it
		return
	}
	go p.copy(pr, pr.server, pr.client)
	p.copy(pr, pr.client, pr.server)
}

// copy forwards from src to dst while pr is whole, and drops the bytes once
// it is broken.
func (p *Proxy) copy(pr *pair, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			pr.mu.Lock()
			broken := pr.broken
			pr.mu.Unlock()
			if !broken {
				p.held()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
		}
		if err != nil {
			break
		}
	}
	pr.mu.Lock()
	broken := pr.broken
	pr.mu.Unlock()
	if !broken { // a broken pair stays open until Restore or Close
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.pairs, pr)
		p.mu.Unlock()
	}
}
