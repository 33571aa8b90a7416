// Package stream is a plain WebSocket transport that only listens, like
// nano-stream-ws: GET /stream?t=<ticket> upgrades to a WebSocket that pushes the
// service events the user's channels receive, as JSON text frames
// {"path": "messages", "event": "created", "data": {…}, "id": …, "position": …},
// and ignores what the client sends. The ticket is single-use and
// short-lived, so no long-lived token travels in a URL.
//
// A client that comes back passes the position of the last frame it got:
// GET /stream?t=<ticket>&since=<position>. It receives what it missed, in
// order, before anything new, or a frame {"path": "recovery", "event":
// "failed", "data": <Feathers error>} telling it to fetch again.
package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/origin"
)

// Provider names stream connections in params and channels.
const Provider = "stream"

// Options configure the stream transport.
type Options struct {
	// Login checks the ticket of a request and logs the connection in (the
	// authentication service's LoginWithTicket). An error refuses the upgrade
	// with 401.
	Login func(ctx context.Context, conn *pinion.Connection, ticket string) error
	// Origins allowed to open a stream besides the server's own ("*" allows
	// any); requests without an Origin header (non-browser clients) are
	// allowed.
	Origins []string
	// Buffer is the number of frames queued for a slow client before it is
	// disconnected (default 256): a slow client never holds up others.
	Buffer int
}

// Handler serves the stream endpoint.
type Handler struct {
	app      *pinion.App
	opts     Options
	upgrader websocket.Upgrader
	logger   *slog.Logger
	nextID   atomic.Uint64

	writeBuffers sync.Pool
}

// New returns the stream handler of app. Options.Login is required: a stream
// without a login would serve anyone.
func New(app *pinion.App, opts Options) *Handler {
	if opts.Login == nil {
		panic("stream: Options.Login is nil")
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 256
	}
	h := &Handler{app: app, opts: opts, logger: app.Logger()}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(r *http.Request) bool { return origin.Allowed(opts.Origins, r) },
		// Streams are mostly idle: they borrow a write buffer per write
		// instead of holding one each.
		WriteBufferPool: &h.writeBuffers,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			refuse(w, pinion.NewError(status, reason.Error()))
		},
	}
	return h
}

type frame struct {
	Path     string          `json:"path"`
	Event    string          `json:"event"`
	Data     json.RawMessage `json:"data"`
	ID       string          `json:"id,omitempty"`
	Position string          `json:"position,omitempty"`
}

// A ping goes out every pingInterval; a client silent for readTimeout (no
// pong, no message) is dropped.
const (
	pingInterval = 30 * time.Second
	readTimeout  = 2*pingInterval + 10*time.Second
)

// ServeHTTP checks the ticket, upgrades, and streams events until the client
// goes away.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, pinion.BadRequest("GET /stream expects a WebSocket upgrade"))
		return
	}
	size := h.opts.Buffer
	if r.URL.Query().Get("since") != "" {
		size += h.app.MaxReplay() // a recovery queues what was missed at once
	}
	frames := make(chan []byte, size)
	overflow := make(chan struct{})
	var overflowed atomic.Bool
	closing := make(chan struct{}) // the server ends the stream (conn.Close)
	var closeOnce sync.Once
	queue := func(b []byte, ok bool) {
		if !ok {
			return
		}
		select {
		case frames <- b:
		default:
			if overflowed.CompareAndSwap(false, true) {
				close(overflow)
			}
		}
	}
	conn := pinion.NewConnection(pinion.ConnectionOptions{
		ID:         fmt.Sprintf("stream-%d", h.nextID.Add(1)),
		Provider:   Provider,
		Headers:    r.Header.Clone(),
		RemoteAddr: r.RemoteAddr,
		Send:       func(event string, data any) { queue(encode(event, data, "", "")) },
		Message:    func(m *pinion.Message) { queue(encode(m.Event, m.Data, m.ID, m.Position)) },
		Position:   r.URL.Query().Get("since"),
		Close:      func() { closeOnce.Do(func() { close(closing) }) },
	})
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	err := h.opts.Login(ctx, conn, r.URL.Query().Get("t"))
	cancel()
	if err != nil {
		fe := h.app.ExternalError(r.Context(), err)
		if fe.Code != http.StatusUnauthorized && fe.Code < 500 {
			fe = pinion.NotAuthenticated("%s", fe.Message)
		}
		h.logger.Info("stream refused", "reason", fe.Message, "remote", r.RemoteAddr)
		refuse(w, fe)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.logger.Info("stream upgrade failed", "error", err, "remote", r.RemoteAddr)
		h.app.Disconnected(context.Background(), conn)
		return
	}
	h.app.Connected(conn.Context(), conn)
	// A client that answers no ping within readTimeout is gone: its read fails.
	ws.SetReadDeadline(time.Now().Add(readTimeout))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(readTimeout)) })
	done := make(chan struct{})
	go func() { // the client may send anything: it is read and dropped
		defer close(done)
		for {
			if _, _, err := ws.NextReader(); err != nil {
				return
			}
			ws.SetReadDeadline(time.Now().Add(readTimeout))
		}
	}()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
loop:
	for {
		select {
		case b := <-frames:
			ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
				break loop
			}
		case <-ping.C:
			if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)); err != nil {
				break loop
			}
		case <-overflow:
			h.logger.Warn("stream client too slow: disconnected", "remote", r.RemoteAddr)
			ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too slow"), time.Now().Add(time.Second))
			break loop
		case <-closing:
			ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "authentication ended"), time.Now().Add(time.Second))
			break loop
		case <-done:
			break loop
		case <-conn.Context().Done():
			break loop
		}
	}
	ws.Close()
	h.app.Disconnected(context.Background(), conn)
}

// encode builds a frame from "<path> <event>", the event's data, id and
// position.
func encode(name string, data any, id, position string) ([]byte, bool) {
	i := strings.LastIndexByte(name, ' ')
	if i < 0 {
		return nil, false
	}
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return nil, false
		}
	}
	b, err := json.Marshal(frame{Path: name[:i], Event: name[i+1:], Data: raw, ID: id, Position: position})
	return b, err == nil
}

// refuse answers a WebSocket upgrade it does not make, and closes the
// connection after the answer, as Node's servers do: a client that asked to
// upgrade does not expect the connection to serve another request, and
// Node's ws client waits for it to close before its process may exit.
func refuse(w http.ResponseWriter, e *pinion.Error) {
	w.Header().Set("Connection", "close")
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *pinion.Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Status())
	w.Write(b)
}
