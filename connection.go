package pinion

import (
	"net/http"
	"sync"
)

// Connection is one real-time client (a socket.io connection). Transports create it;
// calls that arrive on it carry it in Params.Connection, and channels group
// connections to decide who receives which event.
type Connection struct {
	// ID is unique among live connections.
	ID string
	// Provider is the transport, e.g. "socketio".
	Provider string
	// Headers are the handshake headers.
	Headers http.Header
	// RemoteAddr is the client's address.
	RemoteAddr string

	mu   sync.RWMutex
	user map[string]any
	auth *Authentication
}

// User returns the authenticated entity of the connection, or nil.
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

// SetAuthenticated records a login on the connection.
func (c *Connection) SetAuthenticated(auth *Authentication, user map[string]any) {
	c.mu.Lock()
	c.auth, c.user = auth, user
	c.mu.Unlock()
}
