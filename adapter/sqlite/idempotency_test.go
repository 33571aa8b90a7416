package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

func TestIdempotency(t *testing.T) {
	adaptertest.RunIdempotency(t, func(t testing.TB) adaptertest.IdempotencyStores {
		path := filepath.Join(t.TempDir(), "keys.db")
		open := func() *sqlite.DB {
			db, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		a, b := open(), open() // two processes on one file
		return adaptertest.IdempotencyStores{A: sqlite.NewIdempotency(a), B: sqlite.NewIdempotency(b),
			Restart: func(t testing.TB) pinion.IdempotencyStore {
				a.Close()
				return sqlite.NewIdempotency(open())
			}}
	})
}
