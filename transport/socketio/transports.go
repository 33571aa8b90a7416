package socketio

import (
	"sync/atomic"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Engine.IO v3.0.2 gives every transport a write goroutine (a queue) that only
// the transport's DoClose stops, and DoClose also closes a WebSocket's
// connection. Transport.Close skips DoClose once the transport has marked
// itself closed (transports/transport.go:161), and a transport does that when
// the client ends it: a WebSocket the client closes or drops
// (websocket.go:54), a polling session the client closes with a CLOSE packet
// (polling.go:230). The engine then "closes" it with Close, which does
// nothing (socket.go:430), and the goroutine, and for a WebSocket the
// descriptor in CLOSE_WAIT, stayed for the life of the process: with every
// client that disconnected from the namespace before leaving, every polling
// client that left, every upgrade given up.
//
// releasingTransports builds the library's transports and finishes what they
// leave: once one has closed itself, DoClose runs.
func releasingTransports() *types.Set[transports.TransportCtor] {
	return types.NewSet[transports.TransportCtor](
		&releasing{TransportCtor: engine.Polling},
		&releasing{TransportCtor: engine.WebSocket},
	)
}

type releasing struct{ transports.TransportCtor }

// New implements transports.TransportCtor.
func (r *releasing) New(ctx *types.HttpContext) transports.Transport {
	t := r.TransportCtor.New(ctx)
	if t.Name() == transports.POLLING {
		return &polling{Transport: t}
	}
	// A WebSocket ends on its reader goroutine. When the server ended it,
	// DoClose has run already, and running it again only closes a closed
	// connection. Not here: "close" listeners run under a lock that DoClose
	// may take again.
	t.Once("close", func(...any) { go t.DoClose(nil) })
	return t
}

// polling releases a polling transport after the request in which the client
// closed it. DoClose would answer that request itself if it ran during it.
type polling struct {
	transports.Transport
	released atomic.Bool
}

// Start passes the engine's Start on: the session's data requests wait for
// it (third_party/zishang520-socket.io, patch 0005), so a wrapper that
// hid it would keep them waiting.
func (p *polling) Start() { p.Transport.(transports.Polling).Start() }

// OnRequest implements transports.Transport: the engine hands every request
// of the session to it, and a POST is read, handled and answered before it
// returns.
func (p *polling) OnRequest(ctx *types.HttpContext) {
	p.Transport.OnRequest(ctx)
	if p.ReadyState() == "closed" && p.released.CompareAndSwap(false, true) {
		// The close has answered the pending poll, if any; discarded, the
		// transport then sends no CLOSE packet and waits for no poll: DoClose
		// only stops the goroutine.
		p.Discard()
		p.DoClose(nil)
	}
}
