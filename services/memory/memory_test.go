package memory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/services/memory"
)

func TestAdapter(t *testing.T) {
	for _, id := range []string{"id", "_id"} {
		t.Run(id, func(t *testing.T) {
			adaptertest.Run(t, id, func(t testing.TB, opts adapter.Options) any {
				return memory.New(memory.Options{Options: opts})
			})
		})
	}
}

var ctx = context.Background()

func TestStringIDsFindNumericRecords(t *testing.T) {
	s := memory.New(memory.Options{})
	created, _ := s.Create(ctx, map[string]any{"text": "a"}, nil)
	if created.(map[string]any)["id"] != 0 {
		t.Fatalf("first auto id = %v, want 0 as in Feathers", created)
	}
	// REST passes ids as strings.
	if _, err := s.Get(ctx, "0", nil); err != nil {
		t.Fatal(err)
	}
}

func TestConflicts(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []string{"create"}}, Unique: []string{"email"}})
	if _, err := s.Create(ctx, map[string]any{"email": "a@b.c"}, nil); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"duplicate unique": func() error { _, err := s.Create(ctx, map[string]any{"email": "a@b.c"}, nil); return err },
		"duplicate id":     func() error { _, err := s.Create(ctx, map[string]any{"id": 0.0}, nil); return err },
		"duplicate in one list": func() error {
			_, err := s.Create(ctx, []any{map[string]any{"email": "x@y"}, map[string]any{"email": "x@y"}}, nil)
			return err
		},
		"patch into a duplicate": func() error {
			s.Create(ctx, map[string]any{"email": "c@d"}, nil)
			_, err := s.Patch(ctx, 0, map[string]any{"email": "c@d"}, nil)
			return err
		},
	} {
		err := call()
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 409 {
			t.Errorf("%s: err = %v, want 409 Conflict", name, err)
		}
	}
	// A failed list creates nothing.
	res, _ := s.Find(ctx, &pinion.Params{Query: map[string]any{"email": "x@y"}})
	if n := len(res.([]map[string]any)); n != 0 {
		t.Errorf("partial create: %d records", n)
	}
}

func TestInsertionOrder(t *testing.T) {
	s := memory.New(memory.Options{})
	for i := range 5 {
		s.Create(ctx, map[string]any{"n": float64(i)}, nil)
	}
	s.Remove(ctx, 2, nil)
	res, _ := s.Find(ctx, nil)
	var got []any
	for _, r := range res.([]map[string]any) {
		got = append(got, r["n"])
	}
	if fmt.Sprint(got) != "[0 1 3 4]" {
		t.Errorf("order %v", got)
	}
}

func seeded(b *testing.B, n int) *memory.Service {
	s := memory.New(memory.Options{Options: adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 50}}})
	for i := range n {
		s.Create(ctx, map[string]any{"text": fmt.Sprintf("message %d", i), "userId": "u1", "createdAt": float64(i)}, nil)
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	s := seeded(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "500", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	s := seeded(b, 1000)
	params := &pinion.Params{Query: map[string]any{"$sort": map[string]any{"createdAt": "-1"}, "$limit": "10"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Find(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}
