package engineio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Options configure a Server. The zero value of each field is its default.
type Options struct {
	// PingInterval and PingTimeout are the heartbeat: a PING every
	// PingInterval, and a session closed ("ping timeout") when its PONG has
	// not come PingTimeout later. Defaults 25s and 20s.
	PingInterval, PingTimeout time.Duration
	// MaxPayload is the largest HTTP request body or WebSocket message a
	// client may send, in bytes; default 1e6. A larger POST is answered 413,
	// a larger WebSocket message closes the socket.
	MaxPayload int64
	// Allow, when set, runs for every handshake and upgrade request before it
	// is accepted (origin checks, auth by header). An error refuses the
	// request with the error's status code (an error with a StatusCode() int
	// method, such as *HTTPError; 403 otherwise), answered as engine.io does:
	// {"code":..,"message":..} with Connection: close.
	Allow func(r *http.Request) error
	// OnOpen is called once for each new session, before any of its messages
	// are delivered, and returns the handler of its messages. It must not
	// block: the handshake waits for it.
	OnOpen func(s *Socket) Handler
	// MaxQueuedBytes and MaxQueuedMessages bound what may wait to be written
	// to one socket; past them the socket is closed with reason "too slow"
	// and Send returns a *TooSlowError (ErrTooSlow). Defaults 8 MiB and 8192.
	MaxQueuedBytes, MaxQueuedMessages int
	// Headers names the request headers kept in each socket's Handshake
	// besides those of DefaultHeaders.
	Headers []string
	// Logger gets the server's warnings; default slog.Default().
	Logger *slog.Logger
}

// Handler gets the messages of one socket.
type Handler interface {
	// OnMessage gets each message of the socket, in order, one at a time.
	// While it runs the socket reads nothing more from its client
	// (backpressure: a handler that blocks stops the reads), and the
	// heartbeat waits: a PONG held up behind a busy handler has PingTimeout
	// from when OnMessage returns. data is valid only during the call.
	OnMessage(data []byte, binary bool)
	// OnClose is called once when the socket is closed, with its reason
	// ("transport close", "ping timeout", "transport error", "forced close",
	// "too slow", "server shutting down", "parse error").
	OnClose(reason string)
}

// Close reasons given to Handler.OnClose.
const (
	ReasonTransportClose = "transport close" // the client closed the transport or sent CLOSE
	ReasonTransportError = "transport error" // a read or write failed, or the client broke the protocol
	ReasonParseError     = "parse error"     // the client sent a packet that does not parse
	ReasonPingTimeout    = "ping timeout"    // no PONG within PingTimeout
	ReasonForcedClose    = "forced close"    // Socket.Close
	ReasonTooSlow        = "too slow"        // the outbound queue passed its bounds
	ReasonShuttingDown   = "server shutting down"
)

// Errors returned by Socket.Send.
var (
	ErrClosed  = errors.New("engineio: socket closed")
	ErrTooSlow = errors.New("engineio: socket too slow: outbound queue full")
)

// TooSlowError is the error of a Send refused because the socket's queue
// was past its bounds; it matches ErrTooSlow (errors.Is).
type TooSlowError struct {
	// Bytes and Messages were queued at the refusal, the refused ones
	// included.
	Bytes, Messages int
}

func (e *TooSlowError) Error() string {
	return fmt.Sprintf("%v (%d bytes, %d messages)", ErrTooSlow, e.Bytes, e.Messages)
}

// Is reports whether target is ErrTooSlow.
func (e *TooSlowError) Is(target error) bool { return target == ErrTooSlow }

// Queued returns what was queued at the refusal, the refused messages
// included.
func (e *TooSlowError) Queued() (bytes, messages int) { return e.Bytes, e.Messages }

// HTTPError is an error with the HTTP status code that refuses a request.
type HTTPError struct {
	Code    int
	Message string
}

func (e *HTTPError) Error() string   { return e.Message }
func (e *HTTPError) StatusCode() int { return e.Code }
