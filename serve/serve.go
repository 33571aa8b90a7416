// Package serve serves a Pinion app in one call: REST at every service path,
// socket.io at /socket.io/, the ticket stream at /stream, health and
// readiness checks, CORS, timeouts against slow clients, and a graceful
// shutdown.
//
//	app := pinion.New()
//	pinion.Use(app, "todos", memory.Typed[Todo, int](memory.Options{}))
//	log.Fatal(serve.Run(app, serve.Options{}))
//
// The app is set up (App.Setup) before the first request, so a service that
// cannot start fails here, with its error, rather than on the first call.
// When authentication is installed (authentication.Install), the transports
// use it: REST and socket handshakes read its credentials (the Authorization
// header, the cookie when enabled), sockets log in with a token or a ticket
// in their handshake, and the stream opens with a ticket.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/metrics"
	"github.com/pinionhq/pinion/openapi"
	"github.com/pinionhq/pinion/tracing"
	"github.com/pinionhq/pinion/transport/rest"
	"github.com/pinionhq/pinion/transport/socketio"
	"github.com/pinionhq/pinion/transport/stream"
)

// Options configure a Server. The zero value serves with sensible defaults.
type Options struct {
	// Addr is the address Run listens on; empty means ":$PORT", and port
	// 3030 without PORT.
	Addr string
	// Origins are the browser origins allowed besides the server's own
	// ("*" allows any): for CORS, socket handshakes and the stream. A page
	// served by the server itself is always allowed.
	Origins []string
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client; none by default.
	TrustedProxies []string
	// BodyLimit is the largest request body or socket message, in bytes
	// (default 1 MiB).
	BodyLimit int64
	// ReadHeaderTimeout, BodyTimeout and IdleTimeout bound slow clients:
	// the time to send headers, then the body, and an idle keep-alive
	// (defaults 10s, 30s, 2m).
	ReadHeaderTimeout, BodyTimeout, IdleTimeout time.Duration
	// MaxQueuedBytes and MaxQueuedPackets bound the outgoing queue of one
	// socket.io client (see socketio.Options).
	MaxQueuedBytes, MaxQueuedPackets int
	// DrainTimeout bounds how long a shutdown waits for calls in flight
	// (default 15s).
	DrainTimeout time.Duration
	// Ready reports whether the server can answer calls (its database
	// answers); GET /readyz answers 503 while it fails. Nil means always.
	// It gets ReadyTimeout (default 1s) to answer.
	Ready        func(ctx context.Context) error
	ReadyTimeout time.Duration
	// ReadyInterval is how often Serve checks Ready in the background
	// (default 2s), so that the log says when the database goes and comes
	// back, and pinion_database_up follows it, whether or not anything asks
	// /readyz.
	ReadyInterval time.Duration
	// Metrics, when not nil, counts service calls, hook errors, HTTP
	// requests, sockets, logins and readiness (see package metrics), and
	// serves them at MetricsPath (default "/metrics"): on this server, or on
	// a listener of their own when MetricsAddr is set (e.g.
	// "127.0.0.1:9464": an address the scraper reaches and clients do not).
	Metrics     *metrics.Metrics
	MetricsPath string
	MetricsAddr string
	// Tracing, when not nil, makes spans of requests and service calls
	// (see package tracing).
	Tracing *tracing.Tracing
	// Routes are more handlers, by path ("/" for a page, "/assets/*file"),
	// served before the services.
	Routes map[string]http.Handler
	// Docs, when set, serves the app's OpenAPI 3.1 document at
	// /openapi.json and an interactive reference of it at /docs/ (package
	// openapi), with this title and version. Production servers usually
	// leave it off: it lists everything the API can do.
	Docs *openapi.Info
	// Setup, when not nil, replaces App.Setup's context (default: a
	// context of its own, cancelled when New returns).
	Setup context.Context
}

// ErrRouteConflict marks the errors of New for routes that cannot all be
// served: the metrics path on one of the app's routes (a service's, the
// health checks', the transports'), or routes the router refuses together.
// They are configuration errors: nothing was served yet.
var ErrRouteConflict = errors.New("conflicting routes")

// Server serves an app over HTTP.
type Server struct {
	app     *pinion.App
	opts    Options
	logger  *slog.Logger
	sockets *socketio.Server
	handler http.Handler
	ready   readiness
}

// New sets app up and returns the server of it. It fails when a service's
// setup fails.
func New(app *pinion.App, opts Options) (*Server, error) {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = rest.DefaultBodyLimit
	}
	opts.ReadHeaderTimeout = or(opts.ReadHeaderTimeout, 10*time.Second)
	opts.BodyTimeout = or(opts.BodyTimeout, 30*time.Second)
	opts.IdleTimeout = or(opts.IdleTimeout, 2*time.Minute)
	opts.DrainTimeout = or(opts.DrainTimeout, 15*time.Second)
	opts.ReadyTimeout = or(opts.ReadyTimeout, time.Second)
	opts.ReadyInterval = or(opts.ReadyInterval, 2*time.Second)
	if opts.MetricsPath == "" {
		opts.MetricsPath = "/metrics"
	}
	ctx := opts.Setup
	if ctx == nil {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ctx = c
	}
	if err := app.Setup(ctx); err != nil {
		return nil, err
	}
	s := &Server{app: app, opts: opts, logger: app.Logger()}
	s.ready = readiness{check: opts.Ready, timeout: opts.ReadyTimeout, logger: s.logger, ok: true, since: time.Now()}
	opts.Tracing.Observe(app)
	if m := opts.Metrics; m != nil {
		m.Observe(app)
		m.Database(s.ready.state)
		if auth := authentication.From(app); auth != nil {
			m.Authentication(auth)
		}
	}
	handler, err := s.routes()
	if err != nil {
		return nil, errors.Join(err, app.Teardown(context.Background()))
	}
	s.handler = handler
	if m := opts.Metrics; m != nil {
		m.Sockets(s.sockets)
	}
	return s, nil
}

// Available reports, at once, whether the last readiness probe found the
// database answering: nil, or an error while it did not. It is what
// pinion.WithAvailability asks, so that calls fail fast while /readyz says
// the database is down. While down, the watcher (in Serve) probes ten times
// a second, and one call per tenth of a second probes for at most 25 ms
// itself, so that calls pass again as soon as it is back.
func (s *Server) Available() error { return s.ready.available() }

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// routes builds the handler: health checks and extra routes, socket.io, the
// stream, then every service over REST. The metrics path must be a route of
// its own, and the router must take every route: an error wrapping
// ErrRouteConflict says which does not, where the router would panic or one
// route would hide another (a GET of a service's path answered by the
// metrics).
func (s *Server) routes() (h http.Handler, err error) {
	if m := s.opts.Metrics; m != nil && s.opts.MetricsAddr == "" {
		if err := s.checkMetricsPath(); err != nil {
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil { // gin's router panics on routes it cannot take together
			h, err = nil, fmt.Errorf("%w: %v", ErrRouteConflict, r)
		}
	}()
	return s.engine(), nil
}

// checkMetricsPath refuses a metrics path that a request for another route
// of the server, or for a service, would match.
func (s *Server) checkMetricsPath() error {
	p := s.opts.MetricsPath
	if p == "/" || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, ":*") {
		return fmt.Errorf("%w: metrics path %q: want /name (a path of its own, without : or *)", ErrRouteConflict, p)
	}
	routes := []string{"/healthz", "/readyz", "/stream", "/socket.io/*any"}
	if s.opts.Docs != nil {
		routes = append(routes, "/openapi.json", "/docs", "/docs/*file")
	}
	for r := range s.opts.Routes {
		routes = append(routes, r)
	}
	for _, r := range routes {
		if routeMatches(r, p) {
			return fmt.Errorf("%w: metrics path %q is the server's route %s", ErrRouteConflict, p, r)
		}
	}
	if svc, _, _, _ := s.app.LookupID(strings.Split(strings.Trim(p, "/"), "/")); svc != nil {
		return fmt.Errorf("%w: metrics path %q would hide the %s service's GET (a find or get of it)", ErrRouteConflict, p, svc.Path())
	}
	return nil
}

// routeMatches reports whether the request path p matches the router
// pattern route, whose segments may be ":name" (any one) or "*name" (any
// rest).
func routeMatches(route, p string) bool {
	rs, ps := strings.Split(strings.Trim(route, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/")
	for i, r := range rs {
		if strings.HasPrefix(r, "*") {
			return true
		}
		if i >= len(ps) || (ps[i] != r && !(strings.HasPrefix(r, ":") && ps[i] != "")) {
			return false
		}
	}
	return len(rs) == len(ps)
}

// engine is the router of routes.
func (s *Server) engine() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.SetTrustedProxies(s.opts.TrustedProxies) // nil trusts no proxy: c.ClientIP() is the peer
	auth := authentication.From(s.app)
	if m := s.opts.Metrics; m != nil {
		engine.Use(m.Gin()) // first: it sees the status whatever ends the request
	}
	engine.Use(tracing.RequestIDs())
	if t := s.opts.Tracing.Gin("/healthz", "/readyz", s.opts.MetricsPath); t != nil {
		engine.Use(t)
	}
	engine.Use(recovery(s.logger), requestLog(s.logger), bodyDeadline(s.opts.BodyTimeout), rest.CORS(s.opts.Origins))
	if auth != nil {
		engine.Use(cookieGuard(auth))
	}
	engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	engine.GET("/readyz", func(c *gin.Context) {
		if err := s.ready.probe(c.Request.Context()); err != nil {
			c.JSON(http.StatusServiceUnavailable, pinion.Unavailable("The database is not reachable"))
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	if m := s.opts.Metrics; m != nil && s.opts.MetricsAddr == "" {
		engine.GET(s.opts.MetricsPath, gin.WrapH(m.Handler()))
	}
	for path, h := range s.opts.Routes {
		engine.Any(path, gin.WrapH(h))
	}
	if s.opts.Docs != nil {
		engine.GET("/openapi.json", gin.WrapH(openapi.Handler(s.app, *s.opts.Docs)))
		docs := gin.WrapH(openapi.DocsHandler())
		engine.GET("/docs", docs)
		engine.GET("/docs/*file", docs)
	}
	sio := socketio.Options{Origins: s.opts.Origins, MaxPayload: s.opts.BodyLimit,
		MaxQueuedBytes: s.opts.MaxQueuedBytes, MaxQueuedPackets: s.opts.MaxQueuedPackets}
	restOpts := rest.Options{BodyLimit: s.opts.BodyLimit}
	if auth != nil {
		sio.Handshake = auth.Handshake
		restOpts.Authentication = auth.Parse
		engine.GET("/stream", gin.WrapH(stream.New(s.app, stream.Options{Login: auth.LoginWithTicket, Origins: s.opts.Origins})))
	}
	s.sockets = socketio.New(s.app, sio)
	engine.Any("/socket.io/*any", gin.WrapH(s.sockets.Handler()))
	rest.New(s.app, restOpts).Mount(engine)
	return engine
}

// cookieGuard refuses cross-site unsafe requests authenticated by the httpOnly
// cookie (see authentication.Service.CheckCookieRequest). socket.io's
// long-polling POSTs are not service calls: its handshake checks the cookie's
// origin itself.
func cookieGuard(auth *authentication.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/socket.io/") {
			return
		}
		if err := auth.CheckCookieRequest(c.Request); err != nil {
			c.AbortWithStatusJSON(http.StatusForbidden, err)
		}
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Sockets returns the socket.io transport, for its figures.
func (s *Server) Sockets() *socketio.Server { return s.sockets }

// Serve answers on ln until ctx is cancelled, then shuts down gracefully: it
// stops accepting connections, closes the sockets, lets calls in flight
// finish (up to DrainTimeout) and tears the app down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	var metricsSrv *http.Server
	if m := s.opts.Metrics; m != nil && s.opts.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.opts.MetricsAddr)
		if err != nil {
			ln.Close()
			return errors.Join(fmt.Errorf("the metrics listener: %w", err), s.app.Teardown(context.Background()))
		}
		mux := http.NewServeMux()
		mux.Handle(s.opts.MetricsPath, m.Handler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: s.opts.ReadHeaderTimeout}
		go metricsSrv.Serve(mln)
		s.logger.Info("serving metrics", "addr", mln.Addr().String(), "path", s.opts.MetricsPath)
		defer metricsSrv.Close()
	}
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	if s.opts.Ready != nil {
		go s.ready.watch(probeCtx, s.opts.ReadyInterval)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-serveErr:
		return errors.Join(err, s.app.Teardown(context.Background()))
	case <-ctx.Done():
	}
	s.logger.Info("shutting down: draining requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	defer cancel()
	s.sockets.Close() // long-polling requests would hold Shutdown otherwise
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("requests still running after %s: %w", s.opts.DrainTimeout, err)
	}
	return errors.Join(err, s.app.Teardown(shutdownCtx))
}

// ListenAndServe listens on addr and serves until ctx is cancelled.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.app.Teardown(context.Background())
		return err
	}
	return s.Serve(ctx, ln)
}

// Run serves app on Options.Addr (":$PORT", 3030 by default) until the
// process is interrupted (SIGINT, SIGTERM), then shuts down gracefully. It
// returns nil after a clean shutdown.
func Run(app *pinion.App, opts Options) error {
	addr, err := listenAddr(opts.Addr)
	if err != nil {
		return err
	}
	s, err := New(app, opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return s.ListenAndServe(ctx, addr)
}

// listenAddr is Addr with PORT checked: a port number, 0 to 65535, written
// plainly. net.Listen would take "http" for port 80 and report "abc" only
// once the app is set up, as an address lookup error.
func listenAddr(addr string) (string, error) {
	if p := os.Getenv("PORT"); addr == "" && p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 || strconv.Itoa(n) != p {
			return "", fmt.Errorf("PORT=%.64q: want a port number from 0 to 65535", p)
		}
	}
	return Addr(addr), nil
}

// Addr is addr, or ":$PORT" when it is empty, or ":3030" without PORT.
func Addr(addr string) string {
	if addr != "" {
		return addr
	}
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return ":3030"
}
