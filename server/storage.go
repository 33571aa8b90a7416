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

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/services/sqlite"
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

func openDatabase(ctx context.Context, cfg *config.Config) (*database, error) {
	uri, name := cfg.MongoDBURL, cfg.Database
	if n := databaseName(uri); n != "" {
		name = n
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connecting to MongoDB: %w", err)
	}
	d := &database{client: client}
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
	return d.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

func (d *database) close(ctx context.Context) error {
	var errs []error
	if d.client != nil {
		errs = append(errs, d.client.Disconnect(ctx))
	}
	return errors.Join(errs...)
}
