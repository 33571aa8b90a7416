package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/authentication/storetest"
)

var ctx = context.Background()

func open(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func start(t testing.TB, db *sqlite.DB) *sqlitestore.Store {
	t.Helper()
	s := sqlitestore.New(db, sqlitestore.Options{SyncInterval: 20 * time.Millisecond})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestStore runs the shared suite on two stores over two handles on one file,
// as two processes sharing a data directory would have.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, storetest.Store) {
		path := filepath.Join(t.TempDir(), "pinion.db")
		return start(t, open(t, path)), start(t, open(t, path))
	})
}

// TestStoreOneHandle runs it on one store, as the server has.
func TestStoreOneHandle(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, storetest.Store) {
		s := start(t, open(t, filepath.Join(t.TempDir(), "pinion.db")))
		return s, s
	})
}

// TestReopen checks that the state outlives the process: a restart keeps
// logouts, cut-offs, counters, spent refresh tokens and tickets.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pinion.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitestore.New(db, sqlitestore.Options{})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cut := time.Now().Truncate(time.Second)
	exp := time.Now().Add(time.Hour)
	steps := []error{
		s.Revoke(ctx, "feathers", "j1", exp),
		s.RevokeSubject(ctx, "u1", cut, time.Hour),
		s.Fail(ctx, "account:a", time.Minute),
		s.Fail(ctx, "account:a", time.Minute),
		s.SaveRefresh(ctx, authentication.RefreshRecord{JTI: "r1", Family: "f", Subject: "u1", Issuer: "feathers", Expires: exp}),
		s.SaveRefresh(ctx, authentication.RefreshRecord{JTI: "r2", Family: "f", Subject: "u1", Issuer: "feathers", Expires: exp}),
		s.UseTicket(ctx, "t1", exp),
	}
	_, err = s.UseRefresh(ctx, "r1")
	for _, e := range append(steps, err) {
		if e != nil {
			t.Fatal(e)
		}
	}
	s.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s = start(t, open(t, path))
	if ok, _ := s.Revoked(ctx, "feathers", "j1"); !ok {
		t.Error("a logout was forgotten")
	}
	if v, _ := s.ValidAfter(ctx, "u1"); !v.Equal(cut) {
		t.Errorf("cut-off %v, want %v", v, cut)
	}
	if d, _ := s.Wait(ctx, "account:a", 2, time.Minute); d <= 0 {
		t.Error("failed logins were forgotten")
	}
	if _, err := s.UseRefresh(ctx, "r1"); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Errorf("a spent refresh token: %v", err)
	}
	if _, err := s.UseRefresh(ctx, "r2"); err != nil {
		t.Errorf("an unspent refresh token: %v", err)
	}
	if err := s.UseTicket(ctx, "t1", exp); !errors.Is(err, authentication.ErrTicketUsed) {
		t.Errorf("a spent ticket: %v", err)
	}
}

// TestPurge checks that expired rows go, and those still needed stay.
func TestPurge(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "pinion.db"))
	s := start(t, db)
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, err := range []error{
		s.Revoke(ctx, "feathers", "old", past), s.Revoke(ctx, "feathers", "new", future),
		s.RevokeSubject(ctx, "old", past.Add(-time.Hour), time.Hour), s.RevokeSubject(ctx, "new", past, 2*time.Hour),
		s.Fail(ctx, "old", time.Nanosecond), s.Fail(ctx, "new", time.Hour),
		s.SaveRefresh(ctx, authentication.RefreshRecord{JTI: "old", Family: "f", Expires: past}),
		s.SaveRefresh(ctx, authentication.RefreshRecord{JTI: "new", Family: "f", Expires: future}),
		s.UseTicket(ctx, "old", past), s.UseTicket(ctx, "new", future),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Millisecond)
	// The window of "old" ended a moment ago: it is purged only a minute
	// later, like everything else.
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string][]string{
		"auth_revocations":    {"jti:feathers:new", "sub:new"},
		"auth_attempts":       {"new", "old"},
		"auth_refresh_tokens": {"new"},
		"auth_tickets":        {"new"},
	} {
		var got []string
		key := map[string]string{"auth_revocations": "id", "auth_attempts": "key"}[table]
		if key == "" {
			key = "jti"
		}
		err := db.Read(ctx, func(tx *sql.Tx) error {
			rows, err := tx.Query("SELECT " + key + " FROM " + table + " ORDER BY 1")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				rows.Scan(&k)
				got = append(got, k)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) || (len(got) > 1 && got[1] != want[1]) {
			t.Errorf("%s holds %v, want %v", table, got, want)
		}
	}
}

// BenchmarkRevoked is the check every authenticated call makes: from the
// memory mirror, against the same lookup as an SQLite query.
func BenchmarkRevoked(b *testing.B) {
	db := open(b, filepath.Join(b.TempDir(), "pinion.db"))
	s := start(b, db)
	for i := range 1000 {
		s.Revoke(ctx, "feathers", "jti-"+string(rune('a'+i%26))+time.Now().String(), time.Now().Add(time.Hour))
	}
	b.Run("memory", func(b *testing.B) {
		for b.Loop() {
			if ok, _ := s.Revoked(ctx, "feathers", "not-revoked"); ok {
				b.Fatal("revoked")
			}
		}
	})
	b.Run("sqlite", func(b *testing.B) {
		for b.Loop() {
			err := db.Read(ctx, func(tx *sql.Tx) error {
				var n int
				return tx.QueryRowContext(ctx, "SELECT count(*) FROM auth_revocations WHERE id = ?", "jti:feathers:not-revoked").Scan(&n)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
