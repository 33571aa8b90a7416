package mongodb_test

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

// seeded is a paginated messages service holding 100 messages, called
// directly (no hooks): the benchmarks measure the adapter and the database.
func seeded(b *testing.B) *mongodb.Service {
	s := mongodb.New(mongodbtest.DB(b).Collection("messages"), mongodb.Options{Options: adapter.Options{
		Paginate: pinion.Paginate{Default: 10, Max: 50},
		Multi:    []pinion.Method{"create"},
	}})
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"text": fmt.Sprintf("message %d", i), "createdAt": float64(i), "userId": bson.NewObjectID()}
	}
	if _, err := s.Create(ctx, items, nil); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	s := seeded(b)
	res, err := s.Find(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	id := pinion.IDString(res.(*pinion.Page).Data[0]["_id"]) // as REST gives it
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, id, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFind reads the newest page of 10 with its total, as a chat does.
func BenchmarkFind(b *testing.B) {
	s := seeded(b)
	params := &pinion.Params{Query: map[string]any{"$sort": map[string]any{"createdAt": "-1"}}}
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Find(ctx, params)
		if err != nil {
			b.Fatal(err)
		}
		if p := res.(*pinion.Page); p.Total != 100 || len(p.Data) != 10 {
			b.Fatalf("page of %d, total %d", len(p.Data), p.Total)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	s := seeded(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Create(ctx, map[string]any{"text": "hello", "createdAt": 1.0}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
