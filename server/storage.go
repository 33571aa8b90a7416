package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/metrics"
	"github.com/pinionhq/pinion/services/mongodb/embedded"
	"github.com/pinionhq/pinion/tracing"
)

// database is the MongoDB the server uses: the one at MONGODB_URL, or an
// embedded one under the data directory.
type database struct {
	db       *mongo.Database
	client   *mongo.Client
	embedded *embedded.Server
}

func openDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger, m *metrics.Metrics, t *tracing.Tracing) (*database, error) {
	uri, name := cfg.MongoDBURL, cfg.Database
	d := &database{}
	if uri == "" {
		dir := filepath.Join(cfg.DataDir, "mongodb")
		srv, err := embedded.Start(ctx, dir, logger)
		if err != nil {
			return nil, fmt.Errorf("starting the embedded store in %s: %w", dir, err)
		}
		d.embedded = srv
		uri = srv.URI()
		logger.Info("embedded MongoDB-compatible store started", "dir", dir, "uri", uri)
	} else if n := databaseName(uri); n != "" {
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
		d.close(ctx)
		return nil, fmt.Errorf("connecting to MongoDB: %w", err)
	}
	d.client = client
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
	if d == nil {
		return nil
	}
	return d.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// close disconnects first, so that the embedded server does not wait for idle
// connections, then stops the embedded server.
func (d *database) close(ctx context.Context) error {
	var errs []error
	if d.client != nil {
		errs = append(errs, d.client.Disconnect(ctx))
	}
	if d.embedded != nil {
		errs = append(errs, d.embedded.Close())
	}
	return errors.Join(errs...)
}
