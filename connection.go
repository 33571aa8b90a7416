package pinion

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// Connection is one real-time client (a socket.io connection, a plain WebSocket
// stream). Transports create it; calls arriving on it carry it in
// Params.Connection; channels group connections to decide who receives which
// event.
type Connection struct {
	// ID is unique among live connections.
	ID string
	// Provider is the transport, e.g. "socketio".
	Provider string
	// Headers are the handshake headers.
	Headers http.Header
	// RemoteAddr is the client's address.
	RemoteAddr string

	send    func(event string, data any)
	message func(m *Message)
	pos     atomic.Uint64 // position of the last event sent
	close   func()
	ctx     context.Context
	stop    context.CancelFunc

	since string // Position, until recovered

	// While a recovery is due or runs, the live events chosen for the
	// connection are held, to follow the replayed ones (App.Recover). All
	// three are guarded by the app's history lock.
	holding  bool
	held     []*Message
	overflow bool // more were held than the history keeps

	mu     sync.RWMutex
	user   map[string]any
	auth   *Authentication
	values map[string]any
}

// ConnectionOptions are what a transport provides for a new connection.
type ConnectionOptions struct {
	ID         string
	Provider   string
	Headers    http.Header
	RemoteAddr string
	// Send delivers an event to the client. It must not block: transports queue.
	Send func(event string, data any)
	// Message, when set, delivers service events (and recovery failures)
	// instead of Send: with their id and position, shared by every
	// connection that receives the same (transports may cache what they
	// build from one). It must not block either. A large fan-out calls
	// the Message (or Send) of different connections from several
	// goroutines at once; one connection's service events still come one
	// at a time, in position order.
	Message func(m *Message)
	// Position is where the client says it stopped, for a connection that
	// comes back: once connected (App.Connected) it receives what it missed
	// after it (App.Recover). Until then it gets no service event, even in
	// the channels its login joined: those published meanwhile come with the
	// recovery, in order. Empty for a new client.
	Position string
	// Close ends the connection from the server side.
	Close func()
}

// NewConnection returns a connection for a transport. Its Context ends when the
// transport reports the disconnect (App.Disconnected).
func NewConnection(o ConnectionOptions) *Connection {
	ctx, stop := context.WithCancel(context.Background())
	c := &Connection{
		ID: o.ID, Provider: o.Provider, Headers: o.Headers, RemoteAddr: o.RemoteAddr,
		send: o.Send, message: o.Message, close: o.Close, ctx: ctx, stop: stop, since: o.Position,
	}
	c.holding = o.Position != ""
	return c
}

// deliver sends a message of the app (a service event, a recovery failure).
func (c *Connection) deliver(m *Message) {
	if c.message != nil {
		c.message(m)
		return
	}
	if m.boxed == nil {
		c.Send(m.Event, m.Data)
		return
	}
	c.Send(m.Event, m.boxed)
}

// Context is cancelled when the connection ends: work done for it stops then.
func (c *Connection) Context() context.Context { return c.ctx }

// Send delivers an event to this client.
func (c *Connection) Send(event string, data any) {
	if c.send != nil {
		c.send(event, data)
	}
}

// Close disconnects the client.
func (c *Connection) Close() {
	if c.close != nil {
		c.close()
	}
}

// User returns the authenticated entity of the connection, or nil. An
// Identity reads it as the app's user type (me.ConnUser(conn), me.ConnID(conn)).
func (c *Connection) User() map[string]any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.user
}

// Authentication returns the connection's authentication, or nil.
func (c *Connection) Authentication() *Authentication {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.auth
}

// SetAuthenticated records a login on the connection; nil values log it out.
// Every later call on the connection carries them in its params.
func (c *Connection) SetAuthenticated(auth *Authentication, user map[string]any) {
	c.mu.Lock()
	c.auth, c.user = auth, user
	c.mu.Unlock()
}

// SetUser replaces the connection's user (after the user was changed) while
// keeping its authentication.
func (c *Connection) SetUser(user map[string]any) {
	c.mu.Lock()
	if c.auth != nil {
		c.user = user
	}
	c.mu.Unlock()
}

// Set stores a value on the connection for the rest of its life.
func (c *Connection) Set(key string, value any) {
	c.mu.Lock()
	if c.values == nil {
		c.values = map[string]any{}
	}
	c.values[key] = value
	c.mu.Unlock()
}

// Value returns a value stored with Set.
func (c *Connection) Value(key string) any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values[key]
}

// ConnectionListener is told about connections coming and going.
type ConnectionListener func(ctx context.Context, conn *Connection)

type lifecycle struct {
	mu           sync.RWMutex
	onConnect    []ConnectionListener
	onDisconnect []ConnectionListener
}

// OnConnection registers fn for every new real-time connection (after a login
// made during its handshake). The chat app puts connections in "anonymous" here.
func (a *App) OnConnection(fn ConnectionListener) {
	a.lifecycle.mu.Lock()
	a.lifecycle.onConnect = append(a.lifecycle.onConnect, fn)
	a.lifecycle.mu.Unlock()
}

// OnDisconnect registers fn for every connection that ends.
func (a *App) OnDisconnect(fn ConnectionListener) {
	a.lifecycle.mu.Lock()
	a.lifecycle.onDisconnect = append(a.lifecycle.onDisconnect, fn)
	a.lifecycle.mu.Unlock()
}

// Connected is called by transports when a connection is established. A
// connection not logged in by its handshake joins the Anonymous channel.
func (a *App) Connected(ctx context.Context, conn *Connection) {
	if conn.User() == nil {
		a.Channel(Anonymous).Join(conn)
	}
	a.lifecycle.mu.RLock()
	fns := slices.Clone(a.lifecycle.onConnect)
	a.lifecycle.mu.RUnlock()
	for _, fn := range fns {
		fn(ctx, conn)
	}
	if conn.since != "" {
		a.Recover(ctx, conn, conn.since)
		conn.since = ""
	}
}

// Disconnected is called by transports when a connection ends: its context is
// cancelled, listeners run, and it leaves every channel.
func (a *App) Disconnected(ctx context.Context, conn *Connection) {
	a.lifecycle.mu.RLock()
	fns := slices.Clone(a.lifecycle.onDisconnect)
	a.lifecycle.mu.RUnlock()
	// The context goes first: a login or a Join still running for this
	// connection sees it ended and leaves nothing behind.
	conn.stop()
	for _, fn := range fns {
		fn(ctx, conn)
	}
	a.LeaveAll(conn)
	conn.SetAuthenticated(nil, nil)
}
