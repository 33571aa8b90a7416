package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/metrics"
	"github.com/pinionhq/pinion/tracing"
)

// DatabaseFile is the name of the embedded store's file in the data directory.
const DatabaseFile = "pinion.db"

// openSQLite opens the embedded store, DATA_DIR/pinion.db, first migrating
// the data of the former embedded store (FerretDB's files under
// DATA_DIR/mongodb) when the file does not exist yet (see migrate.go).
func openSQLite(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*sqlite.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("the data directory %s: %w", cfg.DataDir, err)
	}
	path := filepath.Join(cfg.DataDir, DatabaseFile)
	sync := sqlite.Full
	if cfg.SQLite.Synchronous == "normal" {
		sync = sqlite.Normal
	}
	if err := migrateFerretDB(ctx, cfg, path, sync, logger); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(path, sqlite.WithSynchronous(sync))
	if err != nil {
		return nil, fmt.Errorf("opening the embedded store: %w", err)
	}
	logger.Info("embedded store opened", "file", db.Path(), "synchronous", cfg.SQLite.Synchronous)
	return db, nil
}

// database is the MongoDB at MONGODB_URL.
type database struct {
	db     *mongo.Database
	client *mongo.Client
}

func openDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger, m *metrics.Metrics, t *tracing.Tracing) (*database, error) {
	uri, name := cfg.MongoDBURL, cfg.Database
	if n := databaseName(uri); n != "" {
		name = n
	}
	opts := options.Client().ApplyURI(uri).SetTimeout(30 * time.Second)
	if m != nil {
		opts.SetPoolMonitor(m.PoolMonitor())
	}
	if mon := t.CommandMonitor(); mon != nil {
		opts.SetMonitor(mon)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to MongoDB: %w", err)
	}
	d := &database{client: client}
	if err := waitFor(ctx, client, redact(uri), time.Duration(cfg.DatabaseTimeouts.Startup), logger); err != nil {
		d.close(ctx)
		return nil, err
	}
	d.db = client.Database(name)
	return d, nil
}

// waitFor pings the database until it answers, with a growing pause between
// attempts (250ms doubling to 5s), for at most total, and says in the log
// that it is waiting: a database that starts after the server (a container
// that comes up later) is waited for, one that never comes is given up on.
func waitFor(ctx context.Context, client *mongo.Client, where string, total time.Duration, logger *slog.Logger) error {
	start := time.Now()
	deadline := start.Add(total)
	pause := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		// A ping waits for a server as long as it may: a second each, so
		// that the log says soon that the database is not there.
		pingCtx, cancel := context.WithTimeout(ctx, min(time.Until(deadline), time.Second))
		err := client.Ping(pingCtx, nil)
		cancel()
		if err == nil {
			if attempt > 1 {
				logger.Info("the database answers", "uri", where, "attempts", attempt, "waited", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("MongoDB at %s: %w", where, ctx.Err())
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("MongoDB at %s is not reachable after %s and %d attempts (databaseTimeouts.startup): %w",
				where, total, attempt, err)
		}
		pause = min(pause, left)
		logger.Warn("the database is not reachable yet; retrying", "uri", where, "attempt", attempt,
			"retry_in", pause, "give_up_in", left.Round(time.Second), "error", err)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return fmt.Errorf("MongoDB at %s: %w", where, ctx.Err())
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// databaseName is the database named in a MongoDB URL path, if any.
func databaseName(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return strings.Trim(u.Path, "/")
}

// redact hides credentials in a URL for logs.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	u.User = url.User("***")
	return u.String()
}

// ping is the readiness check; serve bounds it (databaseTimeouts.ready).
func (d *database) ping(ctx context.Context) error {
	return d.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// close disconnects from MongoDB.
func (d *database) close(ctx context.Context) error {
	var errs []error
	if d.client != nil {
		errs = append(errs, d.client.Disconnect(ctx))
	}
	return errors.Join(errs...)
}
