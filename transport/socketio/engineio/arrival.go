package engineio

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// ConnContext is for http.Server.ConnContext: it notes when each connection
// was accepted, so that of two overlapping long-polling GETs of one session
// the server can tell which came first, and refuse the other.
//
// Without it, the GET whose handler runs first counts as the first, and that
// is net/http's scheduling, not the order the requests came in: a loaded
// server that finds two new connections waiting accepts them in order, then
// runs the goroutine of the newest first. The accept loop is the one place
// where the order is kept, and it calls ConnContext once per connection, in
// order. The time noted is the arrival of the connection's first request,
// which a client sends as soon as it connects; for the requests after it on
// the same connection the arrival is not known, and the GET whose handler
// runs first counts as the first. Requests that other handlers of the
// http.Server serve are not counted: on a connection whose first request
// went elsewhere, the first Engine.IO request passes for the first.
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, acceptedKey{}, &accepted{at: time.Now()})
}

type acceptedKey struct{}

// accepted is when a connection was accepted, and whether a request of it
// has been seen yet.
type accepted struct {
	at   time.Time
	seen atomic.Bool
}

// arrival returns when r arrived, or the zero time if that is not known: r
// is not the first request of its connection (that ConnContext noted) to
// reach the server.
func arrival(r *http.Request) time.Time {
	a, _ := r.Context().Value(acceptedKey{}).(*accepted)
	if a == nil || a.seen.Swap(true) {
		return time.Time{}
	}
	return a.at
}

// earlier reports whether a request that arrived at a came before one that
// arrived at b, as far as is known.
func earlier(a, b time.Time) bool {
	return !a.IsZero() && !b.IsZero() && a.Before(b)
}
