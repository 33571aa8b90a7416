// Package sio is the Socket.IO v5 protocol (https://github.com/socketio/socket.io-protocol)
// over an Engine.IO v4 server (package engineio): namespaces, CONNECT with an
// auth payload and CONNECT_ERROR, events and acknowledgements, binary events
// and acks with their attachments, and DISCONNECT both ways.
//
// It keeps little per connection: the namespaces joined, the packets read and
// not yet handled, and a binary packet being reassembled. There are no event
// listener tables and no rooms: a Session gets every event of its namespace
// and decides itself, and who receives what is the application's business.
//
// What a client sends is handled in order, one packet at a time, on a
// goroutine that lives while there is work: the namespace's Connect, then
// the session's OnEvent for each event. Reads are bounded: when a connection
// has Options.MaxEvents events or MaxBytes bytes read and not yet handled,
// its reads stop (the engine's OnMessage blocks) until the handlers catch up,
// so a client that sends faster than it is served holds a bounded amount of
// memory instead of a queue that grows with what it sends.
package sio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// Options configure a Server.
type Options struct {
	// Namespaces are the namespaces served, by name ("/" is the main one). A
	// CONNECT to any other is refused with "Invalid namespace".
	Namespaces map[string]Namespace
	// ConnectTimeout closes a connection that has joined no namespace within
	// it, after it opened or after it left its last one (default 45s).
	ConnectTimeout time.Duration
	// MaxEvents and MaxBytes bound the events read from one connection and
	// not yet handled, and their size in bytes (defaults 64 and 4 MiB). Past
	// either, the connection's reads stop until its handlers catch up. An
	// event larger than MaxBytes is still read when nothing else is waiting
	// (the engine's MaxPayload bounds it).
	MaxEvents, MaxBytes int
	// DecodeArgs decodes the JSON array of an event's or an ack's arguments
	// (default json.Unmarshal into []any). Attachments are put in place of
	// their placeholders afterwards.
	DecodeArgs func(payload []byte) ([]any, error)
	// OnThrottle, when set, is called each time a connection's reads stop
	// because a bound was reached, with what it has waiting.
	OnThrottle func(s *Handshake, events, bytes int)
	// Logger gets what the server has to say; default slog.Default().
	Logger *slog.Logger
}

// Handshake is what the engine kept of the request that opened a connection.
type Handshake = engineio.Handshake

// Namespace accepts the clients that join it.
type Namespace interface {
	// Connect is called when a client sends a CONNECT for the namespace, with
	// its auth payload ({} when none), in order with the connection's other
	// packets: the packets that follow wait for it. It returns the session
	// of the client in the namespace, or an error that refuses it: the
	// CONNECT_ERROR's data is the error's ConnectErrorData() when it has that
	// method, else {"message": err.Error()}.
	Connect(s *Socket, auth map[string]any) (Session, error)
}

// Session is a client's presence in a namespace.
type Session interface {
	// OnConnect is called once the client has been told it is connected.
	// The socket sends from just before the answer: what the session is
	// sent during Connect (a login's channels) is dropped, what comes after
	// it is not.
	OnConnect()
	// OnEvent is called for each event of the client, in order, one at a
	// time; e is valid only during the call (Ack may be called later).
	OnEvent(e *Event)
	// OnDisconnect is called once when the session ends, with its reason:
	// "client namespace disconnect", "server namespace disconnect", or the
	// engine's reason for closing the connection ("transport close", "ping
	// timeout", "parse error", ...). It may run while OnEvent or
	// OnConnect does.
	OnDisconnect(reason string)
}

// Reasons a session ends besides the engine's.
const (
	ReasonClientDisconnect = "client namespace disconnect"
	ReasonServerDisconnect = "server namespace disconnect"
)

// Event is an event a client sent.
type Event struct {
	// Args are the event's arguments, its name first: JSON values as
	// DecodeArgs gives them, attachments as []byte.
	Args []any
	sock *Socket
	id   int64
}

// WantsAck reports whether the client asked for an acknowledgement.
func (e *Event) WantsAck() bool { return e.id >= 0 }

// Ack answers the event with args (as Socket.Emit encodes them); it does
// nothing when the client asked for no acknowledgement, or for a second call.
func (e *Event) Ack(args ...any) error {
	if e.id < 0 {
		return nil
	}
	id := e.id
	e.id = -1
	if args == nil {
		args = []any{}
	}
	msgs, err := Encode(TypeAck, e.sock.nsp, id, args)
	if err != nil {
		return err
	}
	return e.sock.Send(msgs...)
}

// Server is the Socket.IO layer of an engine: give Open to
// engineio.Options.OnOpen.
type Server struct {
	opts     Options
	inflight atomic.Int64 // events read and not yet handled, all connections
	inbytes  atomic.Int64
}

// NewServer returns a server with opts.
func NewServer(opts Options) *Server {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 45 * time.Second
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 64
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 4 << 20
	}
	if opts.DecodeArgs == nil {
		opts.DecodeArgs = func(b []byte) ([]any, error) {
			var args []any
			err := json.Unmarshal(b, &args)
			return args, err
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{opts: opts}
}

// InFlight returns the events read from all connections and not yet handled,
// and their bytes.
func (s *Server) InFlight() (events int, bytes int64) {
	return int(s.inflight.Load()), s.inbytes.Load()
}

// Open is the engine's OnOpen: it returns the handler of a new connection.
func (s *Server) Open(es *engineio.Socket) engineio.Handler { return s.open(es) }

// engineSocket is what the protocol uses of an engine socket.
type engineSocket interface {
	Send(msgs ...*engineio.Message) error
	SendMessage(m *engineio.Message) error
	Close()
	Request() *engineio.Handshake
	RemoteAddr() string
	Transport() string
}

func (s *Server) open(es engineSocket) *conn {
	c := &conn{srv: s, es: es}
	c.room.L = &c.mu
	c.timer = time.AfterFunc(s.opts.ConnectTimeout, c.connectTimeout)
	return c
}

// socket states.
const (
	joining int32 = iota
	joined
	left
)

// Socket is a client in a namespace.
type Socket struct {
	c     *conn
	nsp   string
	id    string
	state atomic.Int32
	sess  Session // set once joined, under c.mu
	why   string  // the reason it left, under c.mu
}

// ID is the socket's id, sent to the client in the CONNECT answer. It is not
// the engine session's id, which authorizes the session's requests.
func (s *Socket) ID() string { return s.id }

// Namespace is the socket's namespace.
func (s *Socket) Namespace() string { return s.nsp }

// Handshake is what the engine kept of the request that opened the connection.
func (s *Socket) Handshake() *Handshake { return s.c.es.Request() }

// RemoteAddr is the client's address.
func (s *Socket) RemoteAddr() string { return s.c.es.RemoteAddr() }

// Transport is the connection's transport: "polling" or "websocket".
func (s *Socket) Transport() string { return s.c.es.Transport() }

// Connected reports whether the client is in the namespace.
func (s *Socket) Connected() bool { return s.state.Load() == joined }

// Emit sends an event: its name and arguments, encoded with encoding/json,
// []byte values in the arguments' maps and slices as binary attachments.
func (s *Socket) Emit(name string, args ...any) error {
	msgs, err := Encode(TypeEvent, s.nsp, -1, append([]any{name}, args...))
	if err != nil {
		return err
	}
	return s.Send(msgs...)
}

// Send writes encoded packets (see Encode and EncodeEvent) to the client,
// if it is in the namespace; it never blocks. It returns engineio.ErrClosed
// when the client is not, and the engine's error when the connection's queue
// is full (engineio.ErrTooSlow: the engine closes it).
func (s *Socket) Send(msgs ...*engineio.Message) error {
	if s.state.Load() != joined {
		return engineio.ErrClosed
	}
	return s.c.es.Send(msgs...)
}

// SendMessage is Send of one message. A fan-out calls it for every member:
// unlike Send, it puts no slice of arguments on the heap (an interface's
// variadic call does).
func (s *Socket) SendMessage(m *engineio.Message) error {
	if s.state.Load() != joined {
		return engineio.ErrClosed
	}
	return s.c.es.SendMessage(m)
}

// Disconnect ends the client's session in the namespace: the client is sent a
// DISCONNECT, and the session's OnDisconnect gets "server namespace
// disconnect".
func (s *Socket) Disconnect() {
	if s.state.Load() == joined {
		if msgs, err := Encode(TypeDisconnect, s.nsp, -1, nil); err == nil {
			s.c.es.Send(msgs...)
		}
	}
	s.c.leave(s, ReasonServerDisconnect)
}

// ConnectError is a refusal with the CONNECT_ERROR data socket.io servers
// send for a middleware's error: {"message": Message, "data": Data}.
type ConnectError struct {
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *ConnectError) Error() string { return e.Message }

// ConnectErrorData implements the refusal of Namespace.Connect.
func (e *ConnectError) ConnectErrorData() any { return e }

func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Handshake's request as an *http.Request: what handshake hooks written for
// net/http read (headers, query, remote address).
func Request(h *Handshake) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/socket.io/", nil)
	if h != nil {
		r.URL.RawQuery = h.Query.Encode()
		r.Header = h.Header
		r.RemoteAddr = h.RemoteAddr
		if host := h.Header.Get("Host"); host != "" {
			r.Host = host
		}
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return r
}

var errInvalidState = errors.New("an event for a namespace the client has not joined")
