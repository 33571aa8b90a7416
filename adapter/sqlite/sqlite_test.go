package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

var ctx = context.Background()

type M = map[string]any

// openDB opens a database in a fresh directory, closed when the test ends.
func openDB(t testing.TB, opts ...sqlite.Option) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "test.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAdapter(t *testing.T) {
	for _, id := range []string{"_id", "id"} {
		t.Run(id, func(t *testing.T) {
			db := openDB(t)
			var n atomic.Int64
			adaptertest.Run(t, id, func(t testing.TB, opts adapter.Options) any {
				return sqlite.New(db, fmt.Sprintf("people%d", n.Add(1)), sqlite.Options{Options: opts})
			})
		})
	}
}

// TestAdapterIndexed runs the suite again with every field it uses indexed, so
// that conditions and sorting go through the kind and value columns.
func TestAdapterIndexed(t *testing.T) {
	db := openDB(t)
	var n atomic.Int64
	var indexes []sqlite.Index
	for _, f := range []string{"name", "age", "created", "createdAt", "read", "at", "seen", "tags", "x", "rank", "address.city", "address.zip", "_id"} {
		// Counted too: totals of one equality come from the counts.
		indexes = append(indexes, sqlite.Index{Fields: []string{f}, Counted: f != "_id"})
	}
	adaptertest.Run(t, "_id", func(t testing.TB, opts adapter.Options) any {
		return sqlite.New(db, fmt.Sprintf("people%d", n.Add(1)), sqlite.Options{Options: opts, Indexes: indexes})
	})
}

func TestTyped(t *testing.T) {
	db := openDB(t)
	var n atomic.Int64
	adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[string], string] {
		return sqlite.Typed[adaptertest.Person[string], string](db, fmt.Sprintf("people%d", n.Add(1)), sqlite.Options{Options: opts})
	})
}

// TestTypedIndexed runs the typed suite with the fields it queries indexed.
func TestTypedIndexed(t *testing.T) {
	db := openDB(t)
	var n atomic.Int64
	var indexes []sqlite.Index
	for _, f := range []string{"name", "age", "height", "admin", "born", "address.city", "tags", "rank"} {
		indexes = append(indexes, sqlite.Index{Fields: []string{f}})
	}
	adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[string], string] {
		return sqlite.Typed[adaptertest.Person[string], string](db, fmt.Sprintf("people%d", n.Add(1)), sqlite.Options{Options: opts, Indexes: indexes})
	})
}
