package embedded_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/services/mongodb/embedded"
)

func TestStartStop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	coll := c.Database("pinion").Collection("things")
	if _, err := coll.InsertOne(ctx, bson.M{"a": 1}); err != nil {
		t.Fatal(err)
	}
	c.Disconnect(ctx)
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}

	// The data survives a restart.
	srv, err = embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _ = mongo.Connect(options.Client().ApplyURI(srv.URI()))
	defer c.Disconnect(ctx)
	n, err := c.Database("pinion").Collection("things").CountDocuments(ctx, bson.M{})
	if err != nil || n != 1 {
		t.Fatalf("after restart: %d documents, %v", n, err)
	}
}
