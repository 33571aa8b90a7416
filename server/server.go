// Package server assembles Pinion's default app, the feathers-chat server: users,
// messages and authentication on MongoDB (or the embedded store, or memory),
// served over REST and socket.io, with health checks and graceful shutdown.
// cmd/server runs it; end-to-end tests start it in-process.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
	"github.com/pinionhq/pinion/authentication/mongostore"
	"github.com/pinionhq/pinion/cluster"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/services/memory"
	"github.com/pinionhq/pinion/services/messages"
	"github.com/pinionhq/pinion/services/mongodb"
	"github.com/pinionhq/pinion/services/rooms"
	"github.com/pinionhq/pinion/services/users"
	"github.com/pinionhq/pinion/transport/rest"
	"github.com/pinionhq/pinion/transport/socketio"
	"github.com/pinionhq/pinion/transport/stream"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Server is the assembled default app.
type Server struct {
	App    *pinion.App
	Auth   *authentication.Service
	Config *config.Config

	logger  *slog.Logger
	db      *database
	store   *mongostore.Store
	sockets *socketio.Server
	node    *cluster.Node
	handler http.Handler
}

// New builds the server: storage, services, transports. It does not listen yet.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Server, error) {
	authCfg, err := authentication.ParseConfig(cfg.Authentication)
	if err != nil {
		return nil, config.Invalid(err)
	}
	if cfg.AuthSecret != "" {
		authCfg.Secret = cfg.AuthSecret
	}
	generated, err := authCfg.ResolveSecret(cfg.Production(), cfg.DataDir)
	if err != nil {
		return nil, config.Invalid(err)
	}
	if generated {
		logger.Warn("no AUTH_SECRET set: using a generated secret kept in the data directory; set AUTH_SECRET to share tokens between instances", "dir", cfg.DataDir)
	}

	s := &Server{Config: cfg, logger: logger}
	app := pinion.New(pinion.WithLogger(logger), pinion.WithExposedErrors(!cfg.Production()))
	s.App = app

	var userStore, messageStore any
	var authOpts []authentication.Option
	paginate := adapter.Options{Paginate: cfg.Paginate}
	switch cfg.Storage {
	case "memory":
		userStore = memory.New(memory.Options{Options: adapter.Options{ID: "_id", Paginate: cfg.Paginate}, Unique: []string{"email"}})
		// Memory ids are numbers (0, 1, …), so userId is one too.
		messageStore = memory.New(memory.Options{Options: adapter.Options{ID: "_id", Paginate: cfg.Paginate,
			Fields: adapter.Fields{"createdAt": adapter.Number, "userId": adapter.Number}}})
	default:
		if s.db, err = openDatabase(ctx, cfg, logger); err != nil {
			return nil, err
		}
		userStore = mongodb.New(s.db.db.Collection("users"), mongodb.Options{Options: paginate,
			Indexes: []mongo.IndexModel{{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true).SetName("email_1")}}})
		messageStore = mongodb.New(s.db.db.Collection("messages"), mongodb.Options{
			Options: adapter.Options{Paginate: cfg.Paginate, Fields: adapter.Fields{"createdAt": adapter.Number, "userId": adapter.ObjectID}},
			Indexes: []mongo.IndexModel{{Keys: bson.D{{Key: "createdAt", Value: -1}}}},
		})
		s.store = mongostore.New(s.db.db, mongostore.Options{Logger: logger})
		if err := s.store.Start(ctx); err != nil {
			s.close(ctx)
			return nil, err
		}
		authOpts = append(authOpts, authentication.WithRevocations(s.store), authentication.WithThrottle(s.store),
			authentication.WithRefreshTokens(s.store), authentication.WithTickets(s.store))
	}
	authOpts = append(authOpts, authentication.WithCookieOrigins(explicit(cfg.Origins)...))

	auth, err := authentication.New(app, authCfg, authOpts...)
	if err != nil {
		s.close(ctx)
		return nil, err
	}
	auth.Register("local", local.New(auth))
	if authCfg.Webhook.URL != "" {
		auth.Register("webhook", auth.NewWebhook())
	}
	s.Auth = auth
	app.Use("authentication", auth, pinion.WithMethods("create", "remove"), pinion.WithHooks(auth.Hooks()))
	app.Use("authentication/tickets", auth.TicketService(), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}))
	users.Register(app, userStore)
	messages.Register(app, messageStore)
	rooms.Register(app)
	channels(app, auth)

	if err := app.Setup(ctx); err != nil {
		s.close(ctx)
		return nil, err
	}
	if cfg.NATSURL != "" {
		host, _ := os.Hostname()
		if s.node, err = cluster.Join(ctx, app, cluster.Options{URL: cfg.NATSURL, Name: "pinion " + host}); err != nil {
			s.close(ctx)
			return nil, err
		}
		logger.Info("sharing events with other instances", "nats", cfg.NATSURL)
	}
	s.handler = s.routes()
	return s, nil
}

// routes builds the HTTP handler: health checks, then every service over REST.
func (s *Server) routes() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	// Validated by config; nil trusts no proxy, so c.ClientIP() is the peer.
	engine.SetTrustedProxies(s.Config.TrustedProxies)
	engine.Use(recovery(s.logger), requestLog(s.logger), bodyDeadline(time.Duration(s.Config.Timeouts.Body)), rest.CORS(s.Config.Origins), s.cookieGuard)
	engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	engine.GET("/readyz", func(c *gin.Context) {
		if err := s.db.ping(c.Request.Context()); err != nil {
			s.logger.Warn("readiness check failed", "error", err)
			c.JSON(http.StatusServiceUnavailable, pinion.Unavailable("The database is not reachable"))
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	s.sockets = socketio.New(s.App, socketio.Options{Origins: s.Config.Origins, Handshake: s.Auth.Handshake, MaxPayload: s.Config.BodyLimit})
	engine.Any("/socket.io/*any", gin.WrapH(s.sockets.Handler()))
	engine.GET("/stream", gin.WrapH(stream.New(s.App, stream.Options{Login: s.Auth.LoginWithTicket, Origins: s.Config.Origins})))
	rest.New(s.App, rest.Options{BodyLimit: s.Config.BodyLimit, Authentication: s.Auth.Parse}).Mount(engine)
	return engine
}

// cookieGuard refuses cross-site unsafe requests authenticated by the httpOnly
// cookie (see authentication.Service.CheckCookieRequest). socket.io's
// long-polling POSTs are not service calls: its handshake checks the cookie's
// origin itself.
func (s *Server) cookieGuard(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/socket.io/") {
		return
	}
	if err := s.Auth.CheckCookieRequest(c.Request); err != nil {
		c.AbortWithStatusJSON(http.StatusForbidden, err)
	}
}

// explicit drops "*" from an origin list: a wildcard never vouches for a
// cookie-authenticated request.
func explicit(origins []string) []string {
	var out []string
	for _, o := range origins {
		if o != "*" {
			out = append(out, o)
		}
	}
	return out
}

// Handler is the server's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on cfg.Addr() until ctx is cancelled, then shuts down gracefully: it
// stops accepting connections, lets requests in flight finish (up to
// drainTimeout), tears the app down and closes the database.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Config.Addr())
	if err != nil {
		s.close(context.Background())
		return err
	}
	return s.Serve(ctx, ln)
}

const drainTimeout = 15 * time.Second

// Serve is Run on a listener the caller made.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: time.Duration(s.Config.Timeouts.ReadHeader),
		IdleTimeout:       time.Duration(s.Config.Timeouts.Idle),
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.logger.Info("listening", "addr", ln.Addr().String(), "storage", s.Config.Storage, "env", s.Config.Env)

	select {
	case err := <-serveErr:
		s.close(context.Background())
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down: draining requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	s.sockets.Close() // long-polling requests would hold Shutdown otherwise
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("requests still running after %s: %w", drainTimeout, err)
	}
	return errors.Join(err, s.close(shutdownCtx))
}

// close tears down the app, then the stores and the database.
func (s *Server) close(ctx context.Context) error {
	var errs []error
	if s.node != nil {
		errs = append(errs, s.node.Close())
	}
	if s.App != nil {
		errs = append(errs, s.App.Teardown(ctx))
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.db != nil {
		errs = append(errs, s.db.close(ctx))
	}
	return errors.Join(errs...)
}

// Close releases everything without serving (for tests that use Handler).
func (s *Server) Close(ctx context.Context) error { return s.close(ctx) }
