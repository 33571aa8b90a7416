// Package mongodbtest gives tests a MongoDB database without any setup: the one
// at MONGODB_TEST_URL when set (a real MongoDB in CI or docker compose), else an
// embedded server started once per test binary.
//
//	func TestMain(m *testing.M) { mongodbtest.Main(m) }
//	func TestX(t *testing.T) { db := mongodbtest.DB(t) … }
package mongodbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/services/mongodb/embedded"
)

var (
	once   sync.Once
	client *mongo.Client
	server *embedded.Server
	dir    string
	err    error
)

// Client returns the shared client, starting the embedded server on first use.
func Client(t testing.TB) *mongo.Client {
	t.Helper()
	once.Do(start)
	if err != nil {
		t.Fatalf("mongodbtest: %v", err)
	}
	return client
}

func start() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uri := os.Getenv("MONGODB_TEST_URL")
	if uri == "" {
		if dir, err = os.MkdirTemp("", "pinion-mongodbtest-"); err != nil {
			return
		}
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		if server, err = embedded.Start(ctx, dir, logger); err != nil {
			return
		}
		uri = server.URI()
	}
	client, err = mongo.Connect(options.Client().ApplyURI(uri))
	if err == nil {
		err = client.Ping(ctx, nil)
	}
	if err != nil {
		err = fmt.Errorf("connecting to %s: %w", uri, err)
	}
}

// DB returns a new, uniquely named database, dropped when the test ends.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	db := Client(t).Database("t_" + hex.EncodeToString(b))
	t.Cleanup(func() { db.Drop(context.Background()) })
	return db
}

// Main runs the tests of a package and then stops the embedded server.
func Main(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// Close disconnects and stops the embedded server, if one was started.
func Close() {
	if client != nil {
		client.Disconnect(context.Background())
	}
	if server != nil {
		server.Close()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
}
