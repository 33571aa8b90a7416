// Package socketio serves an App's services over socket.io with the Feathers
// socket protocol, on zishang520's socket.io for Go (v3): long-polling,
// WebSocket and the upgrade between them, at /socket.io/ beside REST.
//
// A client calls a method by emitting its name with the service path and the
// method's arguments, and gets an acknowledgement (null, result) or (error):
//
//	socket.emit('create', 'messages', {text: 'hi'}, {}, (err, message) => …)
//
// Service events reach a connection as "<path> <event>" when the app's channels
// say so. Calls on one connection run in order; a panic answers a GeneralError.
package socketio

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/origin"
)

// Options configure the socket.io transport.
type Options struct {
	// Origins allowed to connect besides the server's own ("*" allows any).
	// Browsers send Origin on the handshake; requests without one (Node
	// clients) are allowed.
	Origins []string
	// Handshake, when set, runs for every new connection before it is
	// accepted, with the handshake request and the client's auth payload
	// (io(url, {auth: {…}})). The authentication service logs the connection
	// in here; an error refuses it with a connect_error carrying the error.
	Handshake func(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error
	// PingInterval and PingTimeout are Engine.IO's heartbeat (defaults 25s, 20s).
	PingInterval, PingTimeout time.Duration
	// MaxPayload is the largest message accepted (default 1 MB).
	MaxPayload int64
	// CallTimeout bounds one method call (default 30s).
	CallTimeout time.Duration
	// MaxQueuedBytes and MaxQueuedPackets bound what may wait to be written to
	// one connection (defaults 8 MiB and 8,192 packets). A client that lets
	// more pile up, because it reads slower than events come or has stopped
	// reading, is disconnected (SlowDisconnects counts them): a slow client
	// holds at most this much of the server's memory, instead of everything
	// published to it for as long as it stays connected.
	//
	// The limits apply to what is already waiting when a packet comes, so a
	// single result larger than MaxQueuedBytes still reaches a client that
	// keeps up. Bytes are the packets' data; each queued packet also costs
	// about 170 bytes of bookkeeping, which the packet limit bounds when
	// events are small (under 1 KiB, where the byte limit is not reached
	// first). The packet limit is high because bursts are: a multi create
	// publishes one event per record at once, faster than a socket writes
	// them. A local client reading at full speed was disconnected by a burst
	// of 5,000 small events with a limit of 1,000, by one of 20,000 with
	// 4,096, not with 8,192.
	MaxQueuedBytes, MaxQueuedPackets int
	// NoClient turns off serving the browser client at
	// /socket.io/socket.io.js (socket.io's serveClient: false).
	NoClient bool
}

// Server is the socket.io transport of an App.
type Server struct {
	app    *pinion.App
	opts   Options
	io     *socket.Server
	logger *slog.Logger

	handler http.Handler
	slow    atomic.Uint64 // connections closed for being too slow

	opened, refused, delivered, dropped atomic.Uint64 // see Stats

	mu        sync.Mutex
	conns     map[socket.SocketId]*pinion.Connection
	closed    map[string]uint64          // by reason, see Stats
	tooSlows  map[engine.Socket]struct{} // closed by tooSlow, until their disconnect
	frames    frameCache
	methodSet map[string]pinion.Method // the methods of the services, shared by every socket
	methodGen int                      // the number of services methodSet was made for
}

// New returns the transport for app.
func New(app *pinion.App, opts Options) *Server {
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 20 * time.Second
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 1e6
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	if opts.MaxQueuedBytes <= 0 {
		opts.MaxQueuedBytes = 8 << 20
	}
	if opts.MaxQueuedPackets <= 0 {
		opts.MaxQueuedPackets = 8192
	}
	s := &Server{app: app, opts: opts, logger: app.Logger(), conns: map[socket.SocketId]*pinion.Connection{},
		closed: map[string]uint64{}, tooSlows: map[engine.Socket]struct{}{}}

	so := socket.DefaultServerOptions()
	so.SetPingInterval(opts.PingInterval)
	so.SetPingTimeout(opts.PingTimeout)
	so.SetMaxHttpBufferSize(opts.MaxPayload)
	so.SetServeClient(false)  // Handler serves the embedded client itself (client.go)
	so.SetParser(newParser()) // $sort order, and no event before its CONNECT is set up (parser.go)
	// Transports the client ends are released (transports.go).
	so.SetTransports(releasingTransports())
	// A connection that never joins the namespace is closed after 10 s (45 s
	// by default): it holds an engine session and its timers for nothing.
	so.SetConnectTimeout(10 * time.Second)
	so.SetCors(&types.Cors{Origin: s.corsOrigin(), Credentials: true})
	so.SetAllowRequest(func(ctx *types.HttpContext) error {
		if r := ctx.Request(); !origin.Allowed(s.opts.Origins, r) {
			return fmt.Errorf("origin %s is not allowed", r.Header.Get("Origin"))
		}
		return nil
	})
	s.io = socket.NewServer(nil, so)
	s.io.Use(s.handshake)
	s.io.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			s.connected(sock)
		}
	})
	s.handler = s.io.ServeHandler(nil) // makes the engine
	s.io.Engine().On("connection", func(args ...any) {
		if conn, ok := args[0].(engine.Socket); ok {
			watch(conn, opts.MaxQueuedBytes, opts.MaxQueuedPackets, func(bytes, packets int) {
				// Not on the goroutine that queued the packet: it may hold
				// the client's write lock, or a publisher's.
				go s.tooSlow(conn, bytes, packets)
			})
		}
	})
	return s
}

// tooSlow disconnects a client whose queue is full, dropping what it holds. A
// socket.io client that reads again reconnects on its own; what it missed
// meanwhile it can fetch from the services.
func (s *Server) tooSlow(conn engine.Socket, bytes, packets int) {
	s.slow.Add(1)
	s.dropped.Add(uint64(packets))
	s.mu.Lock()
	s.tooSlows[conn] = struct{}{}
	s.mu.Unlock()
	name := ""
	if t := conn.Transport(); t != nil {
		name = t.Name()
	}
	s.logger.Warn("socket.io client too slow: disconnected", "remote", conn.RemoteAddress(), "transport", name,
		"queued_bytes", bytes, "queued_packets", packets)
	conn.Close(true) // discard: a graceful close would wait for the queue to drain
}

// SlowDisconnects is the number of connections closed because their client
// did not read what was sent to it fast enough (Options.MaxQueuedBytes and
// MaxQueuedPackets), since the server started: a counter for metrics.
func (s *Server) SlowDisconnects() uint64 { return s.slow.Load() }

// Stats are the transport's counters since it started, for metrics.
type Stats struct {
	// Connections is the number of live connections.
	Connections int
	// Opened counts the connections accepted; Refused the handshakes that
	// Options.Handshake refused.
	Opened, Refused uint64
	// Closed counts the connections that ended, by socket.io's reason:
	// "client namespace disconnect" (the client left), "server namespace
	// disconnect" (the server ended it: a logout elsewhere, a revoked
	// token), "transport close", "transport error", "ping timeout",
	// "server shutting down", and "too slow" for SlowDisconnects.
	Closed map[string]uint64
	// Delivered counts the events written to connections' queues (a
	// channel's fan-out writes one per connection); Dropped the events that
	// were not: sent to a connection that had gone, or discarded with the
	// queue of a client disconnected as too slow.
	Delivered, Dropped uint64
	// SlowDisconnects is SlowDisconnects().
	SlowDisconnects uint64
}

// Stats returns the transport's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Connections: len(s.conns), Closed: make(map[string]uint64, len(s.closed))}
	for k, v := range s.closed {
		st.Closed[k] = v
	}
	s.mu.Unlock()
	st.Opened, st.Refused = s.opened.Load(), s.refused.Load()
	st.Delivered, st.Dropped = s.delivered.Load(), s.dropped.Load()
	st.SlowDisconnects = s.slow.Load()
	return st
}

func (s *Server) corsOrigin() any {
	if slices.Contains(s.opts.Origins, "*") {
		return true // echo the request's origin, so credentials work
	}
	origins := make([]any, len(s.opts.Origins))
	for i, o := range s.opts.Origins {
		origins[i] = o
	}
	return origins
}

// Handler serves /socket.io/: Engine.IO and, unless Options.NoClient, the
// socket.io client builds (/socket.io/socket.io.js and the others a Node
// socket.io server serves; see client.go).
func (s *Server) Handler() http.Handler {
	if s.opts.NoClient {
		return s.handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !serveClient(w, r) {
			s.handler.ServeHTTP(w, r)
		}
	})
}

// Close disconnects every client.
func (s *Server) Close() {
	done := make(chan struct{})
	s.io.Close(func(error) { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Connections is the number of live connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// handshake creates the connection and lets the Handshake option log it in
// before the client is told it is connected, as Feathers does with an
// Authorization header on the handshake.
//
// It runs on a goroutine of its own, which ends with it: the login (a token
// verified, hooks, the user looked up) would otherwise grow the stack of the
// connection's reader goroutine, which lives as long as the connection, and
// keep it grown. The reader waits meanwhile (the CONNECT's gate, parser.go),
// so the client's next packets still come after it.
func (s *Server) handshake(sock *socket.Socket, next func(*socket.ExtendedError)) {
	// Taken here, before the decoder looks whether it was.
	gate := takeGate(sock.Handshake().Auth)
	go s.doHandshake(sock, gate, next)
}

func (s *Server) doHandshake(sock *socket.Socket, gate *connectGate, next func(*socket.ExtendedError)) {
	r := sock.Request().Request()
	conn := pinion.NewConnection(pinion.ConnectionOptions{
		ID:       string(sock.Id()),
		Provider: pinion.ProviderSocketIO,
		// The library keeps the handshake request for the socket's
		// life, and nothing changes its headers: shared, not copied.
		Headers:    r.Header,
		RemoteAddr: sock.Handshake().Address,
		Send:       func(event string, data any) { s.send(sock, event, data) },
		Message:    func(m *pinion.Message) { s.message(sock, m) },
		Position:   position(sock),
		Close:      func() { sock.Disconnect(false) },
	})
	// The library drops a socket whose transport closes before it is
	// connected without any event; a login made by the handshake would then
	// never end. The listener goes first, so that a close during a slow login
	// (a polling client gone, a missed ping) is seen too.
	st := &pending{conn: conn, gate: gate}
	onClose := func(...any) {
		st.gate.open()
		if st.settle(closed) {
			s.app.Disconnected(context.Background(), conn)
		}
	}
	sock.Conn().Once("close", onClose)
	if sock.Conn().ReadyState() != "open" {
		onClose()
	}
	if s.opts.Handshake != nil {
		ctx, cancel := context.WithTimeout(conn.Context(), s.opts.CallTimeout)
		err := s.opts.Handshake(ctx, conn, r, sock.Handshake().Auth)
		cancel()
		if err != nil {
			s.refused.Add(1)
			// The handshake may have done things with the connection before
			// it failed (a login whose later hooks failed has joined it to
			// channels, and tracks its session): nothing else would end it.
			if st.settle(refused) {
				s.app.Disconnected(context.Background(), conn)
			}
			st.gate.open()
			fe := s.app.ExternalError(context.Background(), err)
			b, _ := json.Marshal(fe)
			var data map[string]any
			json.Unmarshal(b, &data)
			next(socket.NewExtendedError(fe.Message, data))
			return
		}
	}
	sock.SetData(st)
	next(nil)
}

// pending is a connection between the handshake and the "connection" event:
// exactly one of connected, closed and refused settles it.
type pending struct {
	conn  *pinion.Connection
	gate  *connectGate // opened once the socket is connected, refused or gone
	mu    sync.Mutex
	state pendingState
}

type pendingState int

const (
	waiting pendingState = iota
	connected
	closed
	refused
)

// settle moves p from waiting to state, and reports whether it did: only the
// first settle counts.
func (p *pending) settle(state pendingState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != waiting {
		return false
	}
	p.state = state
	return true
}

func (s *Server) connected(sock *socket.Socket) {
	st, ok := sock.Data().(*pending)
	if !ok || !st.settle(connected) {
		if ok {
			st.gate.open()
		}
		sock.Disconnect(true)
		return
	}
	// The client's next packets wait for the handlers registered here.
	defer st.gate.open()
	conn := st.conn
	s.mu.Lock()
	s.conns[sock.Id()] = conn
	s.mu.Unlock()
	s.opened.Add(1)

	// One listener for every method, not one per method: each listener
	// is a few hundred bytes of the library's per-socket event tables.
	// The library calls it as the packet is read; the call runs on the
	// socket's task queue, in order, as the library's own handlers would.
	methods := s.methods()
	sock.OnAny(func(args ...any) {
		if len(args) == 0 {
			return
		}
		name, _ := args[0].(string)
		m, ok := methods[name]
		if !ok {
			return // not a method: no answer, as in Feathers
		}
		sock.Enqueue(func() {
			if sock.Connected() {
				s.call(conn, m, args[1:])
			}
		})
	})
	var once sync.Once
	gone := func(reason string) {
		once.Do(func() {
			s.mu.Lock()
			delete(s.conns, sock.Id())
			if _, ok := s.tooSlows[sock.Conn()]; ok {
				delete(s.tooSlows, sock.Conn())
				reason = "too slow"
			}
			s.closed[reason]++
			s.mu.Unlock()
			s.app.Disconnected(context.Background(), conn)
		})
	}
	sock.On("disconnect", func(args ...any) {
		reason := "unknown"
		if len(args) > 0 {
			if r := fmt.Sprint(args[0]); r != "" {
				reason = r
			}
		}
		gone(reason)
	})
	// The library marks the socket connected, then emits "connection" (this
	// call) on the socket's queue, while a client that leaves is closed on
	// another goroutine: one that left in between had its "disconnect"
	// emitted before the listener above was there, and its connection would
	// have stayed in its channels for good.
	if !sock.Connected() {
		gone("left while connecting")
		return
	}
	s.app.Connected(conn.Context(), conn)
}

// methods are the event names handled: every method some service exposes, as
// Feathers registers them. Other names get no answer at all, as in Feathers.
func (s *Server) methods() map[string]pinion.Method {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svcs := s.app.Services(); s.methodSet == nil || s.methodGen != len(svcs) {
		out := map[string]pinion.Method{}
		for _, svc := range svcs {
			for _, m := range svc.Methods() {
				out[string(m)] = m
			}
		}
		s.methodSet, s.methodGen = out, len(svcs)
	}
	return s.methodSet
}

// send delivers an event to one socket. Channels hand every connection of an
// event the same encoded payload (a json.RawMessage); the socket.io frame around
// it is built once and written to each connection as is, instead of being
// encoded again for every socket.
func (s *Server) send(sock *socket.Socket, event string, data any) {
	if !sock.Connected() {
		s.dropped.Add(1)
		return
	}
	s.delivered.Add(1)
	raw, ok := data.(json.RawMessage)
	if !ok || len(raw) == 0 {
		sock.Emit(event, data)
		return
	}
	frame := s.frames.get(event, raw)
	sock.Client().WriteToEngine([]types.BufferInterface{types.NewStringBuffer(frame)}, &socket.WriteOptions{})
}

// message delivers a service event with its position, as a second argument
// after the data: `2["messages created",{…},{"id":…,"position":…}]`. A
// Feathers client hands it to the listener as its second parameter, which
// listeners written for Feathers ignore. The frame is built once per message
// and written to every connection as is.
func (s *Server) message(sock *socket.Socket, m *pinion.Message) {
	if !sock.Connected() {
		s.dropped.Add(1)
		return
	}
	s.delivered.Add(1)
	frame := s.frames.message(m)
	sock.Client().WriteToEngine([]types.BufferInterface{types.NewStringBuffer(frame)}, &socket.WriteOptions{})
}

// position is where a client that comes back stopped: `since` in its
// handshake's auth payload (io(url, {auth: {since}})) or query string.
func position(sock *socket.Socket) string {
	hs := sock.Handshake()
	if p, ok := hs.Auth["since"].(string); ok {
		return p
	}
	return sock.Request().Query().Peek("since")
}

// frameCache remembers the last frame built: a fan-out asks for the same one
// once per connection.
type frameCache struct {
	mu    sync.Mutex
	event string
	data  *byte
	n     int
	frame []byte

	msg      *pinion.Message
	msgFrame []byte
}

// message returns the EVENT packet of m.
func (c *frameCache) message(m *pinion.Message) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.msg == m {
		return c.msgFrame
	}
	name, _ := json.Marshal(m.Event)
	frame := make([]byte, 0, len(name)+len(m.Data)+len(m.Meta)+5)
	frame = append(frame, '2', '[')
	frame = append(frame, name...)
	frame = append(frame, ',')
	frame = append(frame, m.Data...)
	if len(m.Meta) > 0 {
		frame = append(frame, ',')
		frame = append(frame, m.Meta...)
	}
	frame = append(frame, ']')
	c.msg, c.msgFrame = m, frame
	return frame
}

// get returns the socket.io EVENT packet `2["<event>",<raw>]`.
func (c *frameCache) get(event string, raw json.RawMessage) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data == &raw[0] && c.n == len(raw) && c.event == event {
		return c.frame
	}
	name, _ := json.Marshal(event)
	frame := make([]byte, 0, len(name)+len(raw)+4)
	frame = append(frame, '2', '[')
	frame = append(frame, name...)
	frame = append(frame, ',')
	frame = append(frame, raw...)
	frame = append(frame, ']')
	c.event, c.data, c.n, c.frame = event, &raw[0], len(raw), frame
	return frame
}
