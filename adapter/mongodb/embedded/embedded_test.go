package embedded_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
)

func connect(t *testing.T, srv *embedded.Server) *mongo.Client {
	t.Helper()
	if !strings.HasPrefix(srv.URI(), "mongodb://127.0.0.1:") {
		t.Fatalf("URI = %q, want mongodb://127.0.0.1:<port>", srv.URI())
	}
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStartStop(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/not/yet/there"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	srv, err := embedded.Start(ctx, dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, srv)
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
	coll := c.Database("pinion").Collection("things")
	if _, err := coll.InsertOne(ctx, bson.M{"a": 1}); err != nil {
		t.Fatal(err)
	}
	// A failed command, which FerretDB logs as a warning: it must not reach
	// the logger, even at debug level.
	if err := c.Database("pinion").RunCommand(ctx, bson.D{{Key: "noSuchCommand", Value: 1}}).Err(); err == nil {
		t.Error("an unknown command succeeded")
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v, want under a second once clients disconnected", d)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for line := range strings.Lines(logs.String()) {
		if !strings.Contains(line, "level=ERROR") || !strings.Contains(line, "component=ferretdb") {
			t.Errorf("FerretDB logged below Error level or untagged: %s", line)
		}
	}

	// The data survives a restart.
	srv, err = embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c = connect(t, srv)
	defer c.Disconnect(context.Background())
	n, err := c.Database("pinion").Collection("things").CountDocuments(ctx, bson.M{})
	if err != nil || n != 1 {
		t.Fatalf("after a restart: %d documents, %v; want 1", n, err)
	}
}

// TestCloseWithClients checks that Close does not hang on clients that stay
// connected: FerretDB waits 3 seconds for them, then closes their connections.
func TestCloseWithClients(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for FerretDB's 3 second grace period")
	}
	ctx := t.Context()
	srv, err := embedded.Start(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, srv)
	defer c.Disconnect(context.Background())
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with a connected client", d)
	}
}

// TestParallel starts two servers at once: each has its own port and data.
func TestParallel(t *testing.T) {
	ctx := t.Context()
	servers := make([]*embedded.Server, 2)
	errs := make(chan error, len(servers))
	for i := range servers {
		go func() {
			var err error
			servers[i], err = embedded.Start(ctx, t.TempDir(), nil)
			errs <- err
		}()
	}
	for range servers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if servers[0].URI() == servers[1].URI() {
		t.Errorf("both servers at %s", servers[0].URI())
	}
	for _, srv := range servers {
		c := connect(t, srv)
		if err := c.Ping(ctx, nil); err != nil {
			t.Error(err)
		}
		c.Disconnect(ctx)
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}
}
