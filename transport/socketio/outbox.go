package socketio

import (
	"sync"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
)

// Engine.IO v3.0.2 queues what a connection sends without any bound, in two
// places: the socket's writeBuffer (engine socket.go:518), where packets wait
// while the transport is busy, and the batch that the transport's write
// goroutine is writing (websocket.go:130, polling.go:256), handed over whole by
// flush (socket.go:544) and blocked for as long as the client does not read.
// Every packet there is the connection's own copy (the socket.io client clones
// each frame it writes, client.go:178), so a client that stops reading kept
// everything published to it until it went away.
//
// An outbox counts what is in both places, from the engine socket's events:
// "packetCreate" adds a packet to the writeBuffer, "flush" moves the whole
// writeBuffer to the transport, and the transport's "drain" says its batch is
// written. Transports write one batch at a time (a transport stays unwritable
// until its batch has drained), so a drain ends everything in flight.
type outbox struct {
	conn       engine.Socket
	maxBytes   int
	maxPackets int
	full       func(bytes, packets int) // called once, when a limit is passed

	mu              sync.Mutex
	bytes, packets  int // in the writeBuffer
	flying, nflying int // in the transport's batch
	overflowed      bool
}

// watch counts what conn queues and calls full, once, when a packet is
// queued while maxBytes or maxPackets are waiting already. A packet is
// never refused on its own size: one larger than maxBytes goes to a client
// whose queue is short.
func watch(conn engine.Socket, maxBytes, maxPackets int, full func(bytes, packets int)) *outbox {
	o := &outbox{conn: conn, maxBytes: maxBytes, maxPackets: maxPackets, full: full}
	conn.On("packetCreate", func(args ...any) {
		if p, ok := args[0].(*packet.Packet); ok {
			o.created(packetSize(p))
		}
	})
	conn.On("flush", func(args ...any) {
		if batch, ok := args[0].([]*packet.Packet); ok {
			o.flushed(batch)
		}
	})
	o.watchTransport(conn.Transport())
	conn.On("upgrade", func(args ...any) {
		if t, ok := args[0].(transports.Transport); ok {
			o.watchTransport(t)
		}
	})
	return o
}

// watchTransport follows the drains of t while it is the connection's
// transport: a polling transport given up for a WebSocket may still drain
// its last batch.
func (o *outbox) watchTransport(t transports.Transport) {
	if t == nil {
		return
	}
	t.On("drain", func(...any) {
		if o.conn.Transport() == t {
			o.drained()
		}
	})
}

func packetSize(p *packet.Packet) int {
	if b, ok := p.Data.(interface{ Len() int }); ok {
		return b.Len()
	}
	return 0
}

func (o *outbox) created(size int) {
	o.mu.Lock()
	bytes, packets := o.bytes+o.flying, o.packets+o.nflying
	over := !o.overflowed && (bytes >= o.maxBytes || packets >= o.maxPackets)
	o.overflowed = o.overflowed || over
	o.bytes += size
	o.packets++
	o.mu.Unlock()
	if over {
		o.full(bytes+size, packets+1)
	}
}

func (o *outbox) flushed(batch []*packet.Packet) {
	size := 0
	for _, p := range batch {
		size += packetSize(p)
	}
	o.mu.Lock()
	// The packets the connection made before it was watched (its open
	// packet) were not counted.
	o.bytes = max(o.bytes-size, 0)
	o.packets = max(o.packets-len(batch), 0)
	o.flying += size
	o.nflying += len(batch)
	o.mu.Unlock()
}

func (o *outbox) drained() {
	o.mu.Lock()
	o.flying, o.nflying = 0, 0
	o.mu.Unlock()
}
