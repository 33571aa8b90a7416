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
	"github.com/pinionhq/pinion/services/mongodb/embedded"
)

// database is the MongoDB the server uses: the one at MONGODB_URL, or an
// embedded one under the data directory.
type database struct {
	db       *mongo.Database
	client   *mongo.Client
	embedded *embedded.Server
}

func openDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*database, error) {
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
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		d.close(ctx)
		return nil, fmt.Errorf("connecting to MongoDB: %w", err)
	}
	d.client = client
	pingCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, nil); err != nil {
		d.close(ctx)
		return nil, fmt.Errorf("MongoDB at %s is not reachable: %w", redact(uri), err)
	}
	d.db = client.Database(name)
	return d, nil
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

func (d *database) ping(ctx context.Context) error {
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
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
