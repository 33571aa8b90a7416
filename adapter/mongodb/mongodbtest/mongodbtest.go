// Package mongodbtest gives tests a MongoDB database without any setup: the
// server at MONGODB_TEST_URL when that is set (a real MongoDB in CI or docker
// compose), else an embedded FerretDB started once per test binary, on first
// use, with its data in a temporary directory. Tests never need an external
// database.
//
// Every test gets a database of its own, dropped when it ends, so tests may run
// in parallel and test binaries may share one server:
//
//	func TestMain(m *testing.M) { mongodbtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		coll := mongodbtest.DB(t).Collection("things")
//		…
//	}
//
// Main stops the embedded server and removes its data after the tests; a
// package that does not use it leaves a temporary directory behind.
package mongodbtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
)

// EnvURL names the environment variable holding the URL of an external server.
const EnvURL = "MONGODB_TEST_URL"

var (
	once   sync.Once
	client *mongo.Client
	server *embedded.Server
	dir    string
	err    error
)

// Client returns the client shared by the tests of the binary, connecting (and
// starting the embedded server) on first use. It fails the test if the
// database cannot be reached.
func Client(t testing.TB) *mongo.Client {
	t.Helper()
	once.Do(start)
	if err != nil {
		t.Fatalf("mongodbtest: %v", err)
	}
	return client
}

func start() {
	// The first start of a machine builds FerretDB (embedded.Start).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	uri := os.Getenv(EnvURL)
	if uri == "" {
		if dir, err = os.MkdirTemp("", "pinion-mongodbtest-"); err != nil {
			return
		}
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		if server, err = embedded.Start(ctx, dir, logger); err != nil {
			err = fmt.Errorf("starting the embedded server: %w", err)
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

// Embedded reports whether the tests run on the embedded FerretDB (no
// MONGODB_TEST_URL), for tests of what FerretDB does differently from MongoDB.
func Embedded() bool { return os.Getenv(EnvURL) == "" }

// DB returns a new database with a unique name, dropped when the test and its
// subtests end.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	db := Client(t).Database("t_" + strings.ToLower(rand.Text()[:12]))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("mongodbtest: dropping %s: %v", db.Name(), err)
		}
	})
	return db
}

// Main runs the tests of a package, then disconnects and stops the embedded
// server and removes its data. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mongodbtest:", err)
	}
	os.Exit(code)
}

// Close disconnects the shared client, then stops the embedded server, if one
// was started, and removes its data. Main calls it.
func Close() error {
	var errs []error
	if client != nil {
		errs = append(errs, client.Disconnect(context.Background()))
	}
	if server != nil {
		errs = append(errs, server.Close())
	}
	if dir != "" {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}
