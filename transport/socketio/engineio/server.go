package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// DefaultHeaders are the request headers a socket keeps in its Handshake:
// those the socket.io layer and its hooks read (origin checks, cookies and
// tokens, the client's address behind a proxy). Options.Headers adds more.
var DefaultHeaders = []string{
	"Origin", "Cookie", "Authorization", "User-Agent", "Accept-Language", "Referer", "Host", "Sec-Fetch-Site",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip",
	// W3C trace context: a socket's calls continue the trace of its
	// handshake (package tracing).
	"Traceparent", "Tracestate", "Baggage",
}

// engineParams are the query parameters of the protocol itself, not kept in
// a Handshake.
var engineParams = [...]string{"EIO", "transport", "sid", "t", "j", "b64"}

// Handshake is what a socket keeps of the request that opened it: not the
// whole *http.Request, whose body, context and connection state would be
// kept alive for as long as the socket.
type Handshake struct {
	// Query is the handshake's query without Engine.IO's own parameters
	// (EIO, transport, sid, t, j, b64); nil when nothing else was given.
	Query url.Values
	// Header holds the headers of DefaultHeaders and Options.Headers that
	// the request had (Host from the request's host); nil if none.
	Header     http.Header
	RemoteAddr string
	Time       time.Time
	Secure     bool // the request came over TLS
}

// Server is an Engine.IO v4 server. Its zero value is not usable: call
// NewServer.
type Server struct {
	opts    Options
	headers []string // canonical names of the headers kept
	open    []byte   // the handshake's JSON after the sid, polling
	openWS  []byte   // the same for a WebSocket handshake (no upgrades)

	mu      sync.Mutex
	sockets map[string]*Socket // the open sessions
	closing map[string]*Socket // closed, kept until a last GET takes their CLOSE packet
	closed  bool
	poller  *poller // made with the first WebSocket; nil where there is none
	polling bool    // the poller was tried

}

// NewServer returns a server configured by opts, with the defaults filled in.
func NewServer(opts Options) *Server {
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 20 * time.Second
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 1e6
	}
	if opts.MaxQueuedBytes <= 0 {
		opts.MaxQueuedBytes = 8 << 20
	}
	if opts.MaxQueuedMessages <= 0 {
		opts.MaxQueuedMessages = 8192
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, sockets: make(map[string]*Socket), closing: make(map[string]*Socket)}
	for _, h := range append(DefaultHeaders, opts.Headers...) {
		s.headers = append(s.headers, textproto.CanonicalMIMEHeaderKey(h))
	}
	tail := func(upgrades string) []byte {
		return []byte(`","upgrades":` + upgrades +
			`,"pingInterval":` + strconv.FormatInt(opts.PingInterval.Milliseconds(), 10) +
			`,"pingTimeout":` + strconv.FormatInt(opts.PingTimeout.Milliseconds(), 10) +
			`,"maxPayload":` + strconv.FormatInt(opts.MaxPayload, 10) + `}`)
	}
	s.open, s.openWS = tail(`["websocket"]`), tail(`[]`)
	return s
}

// Engine.IO's error codes, sent in the JSON body of a refused request.
const (
	codeUnknownTransport = 0
	codeUnknownSID       = 1
	codeBadHandshake     = 2
	codeBadRequest       = 3
	codeForbidden        = 4
	codeUnsupportedEIO   = 5
)

var codeMessages = [...]string{
	"Transport unknown", "Session ID unknown", "Bad handshake method",
	"Bad request", "Forbidden", "Unsupported protocol version",
}

// ServeHTTP serves the Engine.IO requests r, whatever its path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// When r arrived, if known (see ConnContext): looked up for every
	// request, so that no later request of r's connection passes for its
	// first.
	at := arrival(r)
	// The checks go in engine.io's order: transport, then protocol version.
	q := r.URL.Query()
	transport := q.Get("transport")
	if transport != "polling" && transport != "websocket" {
		refuse(w, http.StatusBadRequest, codeUnknownTransport, "")
		return
	}
	if q.Get("EIO") != "4" {
		refuse(w, http.StatusBadRequest, codeUnsupportedEIO, "")
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		s.handshake(w, r, q, transport)
		return
	}
	s.mu.Lock()
	sock := s.sockets[sid]
	if sock == nil {
		sock = s.closing[sid]
	}
	s.mu.Unlock()
	if sock == nil {
		refuse(w, http.StatusBadRequest, codeUnknownSID, "")
		return
	}
	if transport == "websocket" {
		if !s.allow(w, r) {
			return
		}
		sock.upgrade(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		sock.poll(w, r, at)
	case http.MethodPost:
		sock.post(w, r)
	default:
		refuse(w, http.StatusBadRequest, codeBadRequest, "")
	}
}

// handshake opens a session.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request, q url.Values, transport string) {
	if r.Method != http.MethodGet {
		refuse(w, http.StatusBadRequest, codeBadHandshake, "")
		return
	}
	if transport == "websocket" && !isUpgrade(r) {
		refuse(w, http.StatusBadRequest, codeBadRequest, "")
		return
	}
	if !s.allow(w, r) {
		return
	}
	var conn *wsConn
	if transport == "websocket" {
		var err error
		if conn, err = acceptWebSocket(w, r); err != nil {
			refuse(w, http.StatusBadRequest, codeBadRequest, err.Error())
			return
		}
	}
	if conn != nil {
		conn.poller = s.pollerFor(conn)
	}
	sock := s.newSocket(r, q, conn)
	if !s.register(sock) {
		if conn == nil {
			refuse(w, http.StatusServiceUnavailable, codeBadRequest, "server shutting down")
		}
		return
	}
	if conn != nil {
		if !conn.park() {
			go sock.readWebSocket(conn, false, false)
		}
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Write(sock.openPacket(s.open).pollingBytes())
}

// newSocket makes the socket of a handshake and calls OnOpen. A WebSocket
// session queues its OPEN packet first, so that it goes before anything
// OnOpen sends; a polling session writes it as the handshake's answer.
func (s *Server) newSocket(r *http.Request, q url.Values, conn *wsConn) *Socket {
	// What is kept is kept for the socket's life: the query without the
	// engine's own parameters, and the headers named, each map made only if
	// it has something to hold (a socket.io client's query often has none).
	for _, k := range engineParams {
		delete(q, k)
	}
	if len(q) == 0 {
		q = nil
	}
	hs := &Handshake{Query: q, RemoteAddr: r.RemoteAddr, Time: time.Now(), Secure: r.TLS != nil}
	for _, h := range s.headers {
		v, ok := r.Header[h]
		if h == "Host" && r.Host != "" {
			v, ok = []string{r.Host}, true
		}
		if ok {
			if hs.Header == nil {
				hs.Header = make(http.Header, 4)
			}
			hs.Header[h] = v
		}
	}
	// The socket is busy until OnOpen has returned its handler: if it
	// closes meanwhile (its OPEN packet's write fails, the client having
	// gone during the handshake, as happens under load), the handler is told
	// once it is there, as when the socket closes during OnMessage.
	sock := &Socket{srv: s, id: newID(), hs: hs, busy: true}
	if conn != nil {
		conn.sock = sock
		sock.transport, sock.ws = transportWebSocket, conn
		sock.push(sock.openPacket(s.openWS))
	}
	var h Handler
	if s.opts.OnOpen != nil {
		h = s.opts.OnOpen(sock)
	}
	if h == nil {
		h = discard{}
	}
	sock.mu.Lock()
	sock.handler, sock.busy = h, false
	tell := sock.closed && !sock.notified
	sock.notified = sock.notified || tell
	reason := sock.reason
	sock.mu.Unlock()
	if tell {
		h.OnClose(reason)
	}
	return sock
}

// register adds sock to the server and starts its heartbeat, unless the
// server is closed (it answers false then) or sock already is.
func (s *Server) register(sock *Socket) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sock.close(ReasonShuttingDown)
		return false
	}
	s.sockets[sock.id] = sock
	s.mu.Unlock()
	sock.mu.Lock()
	if sock.closed && !sock.draining {
		// Closed before it was here to be removed (its OPEN packet's write
		// failed): it would stay for good.
		sock.mu.Unlock()
		s.remove(sock)
		return true
	}
	sock.due = time.Now().Add(s.opts.PingInterval)
	sock.timer = time.AfterFunc(s.opts.PingInterval, sock.heartbeat)
	sock.mu.Unlock()
	return true
}

// pollerFor returns the poller that watches c while it is idle, or nil if c
// is to be read by a goroutine of its own.
func (s *Server) pollerFor(c *wsConn) *poller {
	if !pollable(c) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.polling && !s.closed {
		s.polling = true
		p, err := newPoller()
		if err != nil {
			s.opts.Logger.Warn("engineio: idle WebSockets will each have a goroutine", "err", err)
		} else {
			s.poller = p
		}
	}
	return s.poller
}

// remove forgets sock.
func (s *Server) remove(sock *Socket) {
	s.mu.Lock()
	if s.sockets[sock.id] == sock {
		delete(s.sockets, sock.id)
	}
	if s.closing[sock.id] == sock {
		delete(s.closing, sock.id)
	}
	s.mu.Unlock()
}

// drain moves the closed sock to the sessions kept for a last GET.
func (s *Server) drain(sock *Socket) {
	s.mu.Lock()
	if s.sockets[sock.id] == sock {
		delete(s.sockets, sock.id)
		s.closing[sock.id] = sock
	}
	s.mu.Unlock()
}

// allow runs Options.Allow and refuses r when it fails.
func (s *Server) allow(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Allow == nil {
		return true
	}
	err := s.opts.Allow(r)
	if err == nil {
		return true
	}
	status := http.StatusForbidden
	var coded interface{ StatusCode() int }
	if errors.As(err, &coded) && coded.StatusCode() >= 400 && coded.StatusCode() < 600 {
		status = coded.StatusCode()
	}
	code := codeForbidden
	if status != http.StatusForbidden {
		code = codeBadRequest
	}
	refuse(w, status, code, err.Error())
	return false
}

// refuse answers a request engine.io's way, and closes its connection: a
// WebSocket client refused before its upgrade would otherwise keep the
// connection open.
func refuse(w http.ResponseWriter, status, code int, message string) {
	if message == "" {
		message = codeMessages[code]
	}
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	w.Write(body)
}

// Close closes every socket with reason "server shutting down" and refuses
// new sessions.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	socks := make([]*Socket, 0, len(s.sockets))
	for _, sock := range s.sockets {
		socks = append(socks, sock)
	}
	p := s.poller
	s.mu.Unlock()
	for _, sock := range socks {
		sock.close(ReasonShuttingDown)
	}
	if p != nil {
		p.Close()
	}
}

// Count returns the number of open sessions.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets)
}

// newID returns a session id: 120 random bits, URL-safe.
func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

type discard struct{}

func (discard) OnMessage([]byte, bool) {}
func (discard) OnClose(string)         {}
