package engineio

import (
	"net/http"
	"net/url"
	"time"
)

// Handshake is what a socket keeps of the request that opened it.
type Handshake struct {
	Query      url.Values
	Header     http.Header // only the headers of DefaultHeaders and Options.Headers
	RemoteAddr string
	Time       time.Time
	Secure     bool // the request came over TLS
}

// Server is an Engine.IO v4 server.
type Server struct{ opts Options }

// NewServer returns a server with opts.
func NewServer(opts Options) *Server { return &Server{opts: opts} }

// ServeHTTP serves Engine.IO requests; the caller mounts it at its path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

// Close closes every socket ("server shutting down").
func (s *Server) Close() {}

// Count returns the number of open sessions.
func (s *Server) Count() int { return 0 }

// Socket is one Engine.IO session.
type Socket struct{}

func (s *Socket) ID() string                  { return "" }
func (s *Socket) Transport() string           { return "polling" }
func (s *Socket) RemoteAddr() string          { return "" }
func (s *Socket) Request() *Handshake         { return nil }
func (s *Socket) Send(msgs ...*Message) error { return ErrClosed }
func (s *Socket) Buffered() (bytes, msgs int) { return 0, 0 }
func (s *Socket) Close()                      {}

const (
	opText   = 1
	opBinary = 2
)

func appendFrameHeader(b []byte, op byte, n int) []byte { return b }
