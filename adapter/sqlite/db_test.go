package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

func pragma(t *testing.T, db *sqlite.DB, name string) string {
	t.Helper()
	var v string
	if err := db.Read(ctx, func(tx *sql.Tx) error { return tx.QueryRow("PRAGMA " + name).Scan(&v) }); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenSettings(t *testing.T) {
	for _, tc := range []struct {
		opts []sqlite.Option
		sync string
	}{
		{nil, "1"}, // NORMAL
		{[]sqlite.Option{sqlite.WithSynchronous(sqlite.Full)}, "2"},
	} {
		db := openDB(t, tc.opts...)
		if got := pragma(t, db, "journal_mode"); got != "wal" {
			t.Errorf("journal_mode = %s, want wal", got)
		}
		if got := pragma(t, db, "synchronous"); got != tc.sync {
			t.Errorf("synchronous = %s, want %s", got, tc.sync)
		}
		if got := pragma(t, db, "busy_timeout"); got != "10000" {
			t.Errorf("busy_timeout = %s", got)
		}
		if err := db.Ping(ctx); err != nil {
			t.Error(err)
		}
	}
}

func TestTransactions(t *testing.T) {
	db := openDB(t)
	exec := func(tx *sql.Tx, q string) error { _, err := tx.Exec(q); return err }
	if err := db.Write(ctx, func(tx *sql.Tx) error { return exec(tx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)") }); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.Read(ctx, func(tx *sql.Tx) error { return tx.QueryRow("SELECT count(*) FROM kv").Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	failed := errors.New("failed")
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := exec(tx, "INSERT INTO kv VALUES ('a', '1')"); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) || count() != 0 {
		t.Errorf("a failed write: err %v, %d rows", err, count())
	}
	func() {
		defer func() { recover() }()
		db.Write(ctx, func(tx *sql.Tx) error {
			exec(tx, "INSERT INTO kv VALUES ('a', '1')")
			panic("in a write")
		})
	}()
	if count() != 0 {
		t.Error("a write that panicked was committed")
	}
	if err := db.Read(ctx, func(tx *sql.Tx) error { return exec(tx, "INSERT INTO kv VALUES ('b', '2')") }); err == nil {
		t.Error("a read transaction could write")
	}
	// The writer is free again after all of that.
	if err := db.Write(ctx, func(tx *sql.Tx) error { return exec(tx, "INSERT INTO kv VALUES ('c', '3')") }); err != nil || count() != 1 {
		t.Errorf("write: %v, %d rows", err, count())
	}
}

func TestContextEnds(t *testing.T) {
	db := openDB(t)
	s := sqlite.New(db, "things", sqlite.Options{Options: adapter.Options{Multi: []pinion.Method{"create"}}})
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Create(done, M{"a": 1.0}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("create: %v, want context.Canceled", err)
	}
	if _, err := s.Find(done, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("find: %v, want context.Canceled", err)
	}
	if res, err := s.Find(ctx, nil); err != nil || len(res.([]M)) != 0 {
		t.Errorf("after: %v %v", res, err)
	}
}
