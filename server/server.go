// Package server assembles Pinion's default app, the feathers-chat server: users,
// messages and authentication on the embedded SQLite store (or MongoDB, or memory),
// served over REST and socket.io, with health checks and graceful shutdown, and
// its own chat page at "/" (page.go).
// cmd/server runs it; end-to-end tests start it in-process.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/mongostore"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/cluster"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/metrics"
	"github.com/pinionhq/pinion/openapi"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/services/messages"
	"github.com/pinionhq/pinion/services/presence"
	"github.com/pinionhq/pinion/services/rooms"
	"github.com/pinionhq/pinion/services/users"
	"github.com/pinionhq/pinion/tracing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Info titles the default app's OpenAPI document.
var Info = openapi.Info{Title: "Pinion chat", Version: "1.0.0",
	Description: "The feathers-chat API: users, messages, rooms and authentication, over REST and socket.io."}

// Server is the assembled default app.
type Server struct {
	App    *pinion.App
	Auth   *authentication.Service
	Config *config.Config
	// Metrics are the server's metrics, nil when config turns them off.
	Metrics *metrics.Metrics
	// Tracing makes spans when OTEL_EXPORTER_OTLP_ENDPOINT is set; nil
	// (off) otherwise.
	Tracing *tracing.Tracing

	logger *slog.Logger
	db     *database  // storage mongodb
	lite   *sqlite.DB // storage sqlite
	store  interface{ Close() }
	node   *cluster.Node
	http   *serve.Server
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
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	if cfg.Metrics.Enabled {
		s.Metrics = metrics.New()
	}
	if s.Tracing, err = tracing.FromEnv(ctx, "pinion"); err != nil {
		logger.Warn("tracing is off", "error", err)
	} else if s.Tracing.Enabled() {
		logger.Info("exporting traces over OTLP")
	}
	var userStore, messageStore any
	var idempotency pinion.IdempotencyStore
	var authOpts []authentication.Option
	switch cfg.Storage {
	case "memory":
		userStore = memory.New(memory.Options{Options: adapter.Options{ID: "_id", Paginate: cfg.Paginate}, Unique: []string{"email"}})
		// Memory ids are numbers (0, 1, …), so userId is one too.
		messageStore = memory.New(memory.Options{Options: adapter.Options{ID: "_id", Paginate: cfg.Paginate,
			Fields: adapter.Fields{"createdAt": adapter.Number, "userId": adapter.Number}}})
	case "sqlite":
		if s.lite, err = openSQLite(ctx, cfg, logger); err != nil {
			return nil, err
		}
		userStore = sqlite.New(s.lite, "users", UserOptions(cfg))
		messageStore = sqlite.New(s.lite, "messages", MessageOptions(cfg))
		store := sqlitestore.New(s.lite, sqlitestore.Options{Logger: logger})
		if err := store.Start(ctx); err != nil {
			s.close(ctx)
			return nil, err
		}
		s.store = store
		authOpts = append(authOpts, authentication.WithRevocations(store), authentication.WithThrottle(store),
			authentication.WithRefreshTokens(store), authentication.WithTickets(store))
		idempotency = sqlite.NewIdempotency(s.lite)
	default: // mongodb
		if s.db, err = openDatabase(ctx, cfg, logger, s.Metrics, s.Tracing); err != nil {
			return nil, err
		}
		userStore = mongodb.New(s.db.db.Collection("users"), MongoUserOptions(cfg))
		messageStore = mongodb.New(s.db.db.Collection("messages"), MongoMessageOptions(cfg))
		store := mongostore.New(s.db.db, mongostore.Options{Logger: logger})
		if err := store.Start(ctx); err != nil {
			s.close(ctx)
			return nil, err
		}
		s.store = store
		authOpts = append(authOpts, authentication.WithRevocations(store), authentication.WithThrottle(store),
			authentication.WithRefreshTokens(store), authentication.WithTickets(store))
		idempotency = mongodb.NewIdempotency(s.db.db.Collection("pinion.idempotency"))
	}
	authOpts = append(authOpts, authentication.WithCookieOrigins(explicit(cfg.Origins)...))

	opts := []pinion.Option{pinion.WithLogger(logger), pinion.WithExposedErrors(!cfg.Production()),
		pinion.WithHistory(cfg.Realtime.HistoryOptions())}
	if cfg.Storage != "memory" {
		// External calls wait at most the call timeout; writes run to their
		// outcome whatever the wait (see pinion.WithCallTimeout). While
		// /readyz finds the database down, calls answer 503 at once.
		opts = append(opts, pinion.WithCallTimeout(time.Duration(cfg.DatabaseTimeouts.Call)),
			pinion.WithAvailability(s.available),
			pinion.WithIdempotency(pinion.IdempotencyOptions{Store: idempotency, TTL: time.Duration(cfg.DatabaseTimeouts.IdempotencyKeys)}))
	}
	app := pinion.New(opts...)
	s.App = app
	if cfg.Storage != "memory" {
		// First of the app's hooks, so that it sees what all the others do;
		// the timeout is WithCallTimeout's.
		app.Hooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {mongodb.Guard(0)}}})
	}

	if s.Auth, err = authentication.Install(app, authCfg, authOpts...); err != nil {
		s.close(ctx)
		return nil, err
	}
	users.Register(app, userStore)
	messages.Register(app, messageStore)
	rooms.Register(app)
	// Who is in a room: its members see it (presence service, events).
	app.TrackPresence(func(channel string) bool { return strings.HasPrefix(channel, rooms.Prefix) })
	presence.Register(app)
	// Every event goes to the authenticated connections, except messages
	// for a room, which go to its members only.
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if room := rooms.Channel(e.Data, "channel"); room != "" {
			return []*pinion.Channel{app.Channel(rooms.Prefix + room)}
		}
		return []*pinion.Channel{app.Channel(pinion.Authenticated)}
	})

	var docs *openapi.Info
	if cfg.Docs {
		docs = &Info
	}
	s.http, err = serve.New(app, serve.Options{
		Docs:              docs,
		Origins:           cfg.Origins,
		TrustedProxies:    cfg.TrustedProxies,
		BodyLimit:         cfg.BodyLimit,
		ReadHeaderTimeout: time.Duration(cfg.Timeouts.ReadHeader),
		BodyTimeout:       time.Duration(cfg.Timeouts.Body),
		IdleTimeout:       time.Duration(cfg.Timeouts.Idle),
		MaxQueuedBytes:    cfg.Sockets.MaxQueuedBytes,
		MaxQueuedPackets:  cfg.Sockets.MaxQueuedPackets,
		Ready:             s.ready,
		Routes:            PageRoutes(), // the chat page at "/", its files under /app/
		ReadyTimeout:      time.Duration(cfg.DatabaseTimeouts.Ready),
		Metrics:           s.Metrics,
		MetricsPath:       cfg.Metrics.Path,
		MetricsAddr:       cfg.Metrics.Addr,
		Tracing:           s.Tracing,
		Setup:             ctx,
	})
	if err != nil {
		s.close(ctx)
		if errors.Is(err, serve.ErrRouteConflict) {
			err = config.Invalid(err) // metrics.path on a route of the app
		}
		return nil, err
	}
	if cfg.NATSURL != "" {
		host, _ := os.Hostname()
		if s.node, err = cluster.Join(ctx, app, cluster.Options{URL: cfg.NATSURL, Name: "pinion " + host,
			JetStream:        cfg.Realtime.JetStream,
			PresenceInterval: time.Duration(cfg.Realtime.PresenceInterval), PresenceTimeout: time.Duration(cfg.Realtime.PresenceTimeout),
			Counted: s.clusterCounted()}); err != nil {
			s.close(ctx)
			return nil, err
		}
		logger.Info("sharing events with other instances", "nats", cfg.NATSURL, "jetstream", s.node.JetStream())
	}
	return s, nil
}

// UserOptions are the users table's on the embedded store: emails are unique.
func UserOptions(cfg *config.Config) sqlite.Options {
	return sqlite.Options{Options: adapter.Options{Paginate: cfg.Paginate},
		Indexes: []sqlite.Index{{Fields: []string{"email"}, Unique: true}}}
}

// MessageOptions are the messages table's on the embedded store, indexed
// for the chat's queries: the newest messages (createdAt), those of a room or
// of no room, newest first ({channel, createdAt}, counted per room, so that
// the total of such a page is one lookup), a user's (userId).
func MessageOptions(cfg *config.Config) sqlite.Options {
	return sqlite.Options{
		Options: adapter.Options{Paginate: cfg.Paginate, Fields: adapter.Fields{"createdAt": adapter.Number, "userId": adapter.ObjectID}},
		Indexes: []sqlite.Index{{Fields: []string{"createdAt"}}, {Fields: []string{"channel", "createdAt"}, Counted: true}, {Fields: []string{"userId"}}},
	}
}

// MongoUserOptions are the users collection's on MongoDB.
func MongoUserOptions(cfg *config.Config) mongodb.Options {
	return mongodb.Options{Options: adapter.Options{Paginate: cfg.Paginate},
		Indexes: []mongo.IndexModel{{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true).SetName("email_1")}}}
}

// MongoMessageOptions are the messages collection's on MongoDB.
func MongoMessageOptions(cfg *config.Config) mongodb.Options {
	return mongodb.Options{
		Options: adapter.Options{Paginate: cfg.Paginate, Fields: adapter.Fields{"createdAt": adapter.Number, "userId": adapter.ObjectID}},
		Indexes: []mongo.IndexModel{{Keys: bson.D{{Key: "createdAt", Value: -1}}}},
	}
}

// clusterCounted counts the events shared with other instances in the
// metrics, if there are metrics.
func (s *Server) clusterCounted() func(received bool) {
	if s.Metrics == nil {
		return nil
	}
	return s.Metrics.ClusterEvent
}

// ready answers whether the database answers, for /readyz; serve bounds it
// (databaseTimeouts.ready).
func (s *Server) ready(ctx context.Context) error {
	switch {
	case s.db != nil:
		return s.db.ping(ctx)
	case s.lite != nil:
		return s.lite.Ping(ctx)
	}
	return nil
}

// available answers whether the last readiness probe found the database
// up; nil before the HTTP server exists.
func (s *Server) available() error {
	if s.http == nil {
		return nil
	}
	return s.http.Available()
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
func (s *Server) Handler() http.Handler { return s.http }

// Run serves on cfg.Addr() until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Config.Addr())
	if err != nil {
		s.close(context.Background())
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller made: it serves until ctx is
// cancelled, lets requests in flight finish, tears the app down and closes
// the database.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.logger.Info("serving", "storage", s.Config.Storage, "env", s.Config.Env)
	err := s.http.Serve(ctx, ln)
	return errors.Join(err, s.closeStores(context.Background()))
}

// close tears down the app, then the stores and the database.
func (s *Server) close(ctx context.Context) error {
	var errs []error
	if s.App != nil {
		errs = append(errs, s.App.Teardown(ctx))
	}
	return errors.Join(append(errs, s.closeStores(ctx))...)
}

// closeStores closes what the app's services use: NATS, the shared
// authentication state, the database.
func (s *Server) closeStores(ctx context.Context) error {
	var errs []error
	if s.node != nil {
		errs = append(errs, s.node.Close())
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.db != nil {
		errs = append(errs, s.db.close(ctx))
	}
	if s.lite != nil {
		errs = append(errs, s.lite.Close())
	}
	errs = append(errs, s.Tracing.Shutdown(ctx))
	return errors.Join(errs...)
}

// Close releases everything without serving (for tests that use Handler).
func (s *Server) Close(ctx context.Context) error { return s.close(ctx) }
