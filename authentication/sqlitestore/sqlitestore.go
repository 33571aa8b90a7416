// Package sqlitestore keeps the authentication service's state in the SQLite
// database of the services (adapter/sqlite): revoked tokens and per-user
// cut-offs, failed-login counters, refresh tokens and spent tickets, in tables
// of their own beside the services' ("auth_revocations", "auth_attempts",
// "auth_refresh_tokens", "auth_tickets"), with the file's durability.
//
// Every change is one write transaction (SQLite has one writer at a time), so
// a failure count is never lost to a concurrent one, a refresh token is spent
// by exactly one caller, which answers the others a reuse, and a ticket works
// once.
//
// Revocations are checked on every authenticated call, so the store mirrors
// them in memory (an authentication.MemoryStore) and answers Revoked and
// ValidAfter from there, without a query: it loads them on Start and then
// reads, every second by default, the ones that other handles on the same
// file wrote (other processes), reporting them to OnRevocation listeners.
// Expired rows are purged by the same loop, once a minute.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
)

// Store implements authentication.Revocations, Throttler, RefreshTokens,
// TicketStore and Notifier.
type Store struct {
	db       *sqlite.DB
	mem      *authentication.MemoryStore
	interval time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	notify  []func(context.Context, authentication.Revocation)
	lastSeq int64
	purged  time.Time
	stop    context.CancelFunc
	done    chan struct{}
}

// Options configure a Store.
type Options struct {
	// SyncInterval is how often revocations written by other handles on the
	// file are read (default 1s).
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// grace is how long past its expiry a row is kept: tokens are accepted up
// to a minute of clock tolerance past their exp, as in MemoryStore.
const grace = time.Minute

// New returns a store on db. Call Start before use; closing db is the
// caller's, after Close.
func New(db *sqlite.DB, opts Options) *Store {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Store{db: db, mem: authentication.NewMemoryStore(), interval: opts.SyncInterval, logger: opts.Logger}
}

// The tables. Times are Unix nanoseconds. A revocation's seq is never reused
// (AUTOINCREMENT) and grows in commit order (one writer at a time), so
// "seq > the last one read" finds every revocation written since.
const schema = `
CREATE TABLE IF NOT EXISTS auth_revocations (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	kind        TEXT NOT NULL,
	iss         TEXT NOT NULL DEFAULT '',
	jti         TEXT NOT NULL DEFAULT '',
	sub         TEXT NOT NULL DEFAULT '',
	valid_after INTEGER NOT NULL DEFAULT 0,
	until       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_revocations_until ON auth_revocations (until);
CREATE TABLE IF NOT EXISTS auth_attempts (
	key   TEXT PRIMARY KEY,
	count INTEGER NOT NULL,
	start INTEGER NOT NULL,
	until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_attempts_until ON auth_attempts (until);
CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
	jti        TEXT PRIMARY KEY,
	family     TEXT NOT NULL,
	sub        TEXT NOT NULL,
	iss        TEXT NOT NULL,
	until      INTEGER NOT NULL,
	access_jti TEXT NOT NULL DEFAULT '',
	access_exp INTEGER NOT NULL DEFAULT 0,
	used       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family ON auth_refresh_tokens (family);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_until ON auth_refresh_tokens (until);
CREATE TABLE IF NOT EXISTS auth_tickets (
	jti   TEXT PRIMARY KEY,
	until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_tickets_until ON auth_tickets (until);
`

// Start creates the tables, loads the revocations in force and starts the
// loop that reads other handles' revocations and purges expired rows.
func (s *Store) Start(ctx context.Context) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, schema)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: creating the tables: %w", err)
	}
	if err := s.Purge(ctx); err != nil {
		return err
	}
	if err := s.sync(ctx); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.done = cancel, make(chan struct{})
	go s.loop(runCtx)
	return nil
}

// Close stops the loop. It does not close the database.
func (s *Store) Close() {
	if s.stop != nil {
		s.stop()
		<-s.done
		s.stop = nil
	}
}

func (s *Store) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.sync(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("reading revocations", "error", err)
			}
			s.mu.Lock()
			purge := time.Since(s.purged) > time.Minute
			s.mu.Unlock()
			if purge {
				if err := s.Purge(ctx); err != nil && ctx.Err() == nil {
					s.logger.Warn("purging expired authentication state", "error", err)
				}
			}
		}
	}
}

// Purge deletes the rows that no longer matter: revocations of tokens that
// have expired, cut-offs past their keep, counters of windows that have
// passed, expired refresh tokens and tickets. The loop runs it once a minute.
func (s *Store) Purge(ctx context.Context) error {
	cutoff := time.Now().Add(-grace).UnixNano()
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"auth_revocations", "auth_attempts", "auth_refresh_tokens", "auth_tickets"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE until < ?", cutoff); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: purging: %w", err)
	}
	s.mu.Lock()
	s.purged = time.Now()
	s.mu.Unlock()
	return nil
}

type revocation struct {
	seq                 int64
	kind, iss, jti, sub string
	validAfter, until   int64
}

// sync reads the revocations written since the last one read and applies
// them to the memory mirror. Those this handle wrote are read again, which is
// harmless.
func (s *Store) sync(ctx context.Context) error {
	s.mu.Lock()
	since := s.lastSeq
	s.mu.Unlock()
	var revs []revocation
	err := s.db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT seq, kind, iss, jti, sub, valid_after, until FROM auth_revocations WHERE seq > ? ORDER BY seq", since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r revocation
			if err := rows.Scan(&r.seq, &r.kind, &r.iss, &r.jti, &r.sub, &r.validAfter, &r.until); err != nil {
				return err
			}
			revs = append(revs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: reading revocations: %w", err)
	}
	for _, r := range revs {
		s.apply(ctx, r)
	}
	if n := len(revs); n > 0 {
		s.mu.Lock()
		if last := revs[n-1].seq; last > s.lastSeq {
			s.lastSeq = last
		}
		s.mu.Unlock()
	}
	return nil
}

func (s *Store) apply(ctx context.Context, r revocation) {
	var rev authentication.Revocation
	until := time.Unix(0, r.until)
	switch r.kind {
	case "jti":
		s.mem.Revoke(ctx, r.iss, r.jti, until)
		rev = authentication.Revocation{Issuer: r.iss, JTI: r.jti}
	case "sub":
		va := time.Unix(0, r.validAfter)
		s.mem.RevokeSubject(ctx, r.sub, va, until.Sub(va))
		rev = authentication.Revocation{Subject: r.sub, ValidAfter: va}
	default:
		return
	}
	s.mu.Lock()
	fns := s.notify
	s.mu.Unlock()
	for _, fn := range fns {
		fn(ctx, rev)
	}
}

// OnRevocation implements authentication.Notifier: fn hears of every
// revocation this store learns, its own and those of other handles.
func (s *Store) OnRevocation(fn func(context.Context, authentication.Revocation)) {
	s.mu.Lock()
	s.notify = append(s.notify, fn)
	s.mu.Unlock()
}

// Revoke implements authentication.Revocations.
func (s *Store) Revoke(ctx context.Context, issuer, jti string, exp time.Time) error {
	r := revocation{kind: "jti", iss: issuer, jti: jti, until: exp.UnixNano()}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		// REPLACE deletes and inserts: the row gets a new seq, so other
		// handles read it again.
		_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO auth_revocations (id, kind, iss, jti, until) VALUES (?, 'jti', ?, ?, ?)",
			"jti:"+issuer+":"+jti, issuer, jti, r.until)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	s.apply(ctx, r)
	return nil
}

// Revoked implements authentication.Revocations, from memory.
func (s *Store) Revoked(ctx context.Context, issuer, jti string) (bool, error) {
	return s.mem.Revoked(ctx, issuer, jti)
}

// RevokeSubject implements authentication.Revocations. The stored cut-off only
// ever moves forward: in one transaction, a newer one in place is kept (and
// applied here), an older one replaced.
func (s *Store) RevokeSubject(ctx context.Context, subject string, validAfter time.Time, keep time.Duration) error {
	r := revocation{kind: "sub", sub: subject, validAfter: validAfter.UnixNano(), until: validAfter.Add(keep).UnixNano()}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var va, until int64
		err := tx.QueryRowContext(ctx, "SELECT valid_after, until FROM auth_revocations WHERE id = ?", "sub:"+subject).Scan(&va, &until)
		switch {
		case err == nil && va >= r.validAfter:
			r.validAfter, r.until = va, until
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT OR REPLACE INTO auth_revocations (id, kind, sub, valid_after, until) VALUES (?, 'sub', ?, ?, ?)",
			"sub:"+subject, subject, r.validAfter, r.until)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	s.apply(ctx, r)
	return nil
}

// ValidAfter implements authentication.Revocations, from memory.
func (s *Store) ValidAfter(ctx context.Context, subject string) (time.Time, error) {
	return s.mem.ValidAfter(ctx, subject)
}

// Wait implements authentication.Throttler: one read by primary key.
func (s *Store) Wait(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	var count int
	var start int64
	err := s.db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT count, start FROM auth_attempts WHERE key = ?", key).Scan(&count, &start)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: %w", err)
	}
	if count < limit {
		return 0, nil
	}
	if left := time.Until(time.Unix(0, start).Add(window)); left > 0 {
		return left, nil
	}
	return 0, nil
}

// Fail implements authentication.Throttler: one statement counts the failure
// in the current window, or starts a new window with it. (In an UPDATE,
// every expression reads the row as it was.)
func (s *Store) Fail(ctx context.Context, key string, window time.Duration) error {
	now := time.Now()
	n, from, until := now.UnixNano(), now.Add(-window).UnixNano(), now.Add(window).UnixNano()
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_attempts (key, count, start, until) VALUES (?1, 1, ?2, ?4)
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN start > ?3 THEN count + 1 ELSE 1 END,
				until = CASE WHEN start > ?3 THEN until ELSE ?4 END,
				start = CASE WHEN start > ?3 THEN start ELSE ?2 END`, key, n, from, until)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return nil
}

// Reset implements authentication.Throttler.
func (s *Store) Reset(ctx context.Context, key string) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM auth_attempts WHERE key = ?", key)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return nil
}

// SaveRefresh implements authentication.RefreshTokens.
func (s *Store) SaveRefresh(ctx context.Context, r authentication.RefreshRecord) error {
	var accessExp int64
	if !r.AccessExp.IsZero() {
		accessExp = r.AccessExp.UnixNano()
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_refresh_tokens (jti, family, sub, iss, until, access_jti, access_exp)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.JTI, r.Family, r.Subject, r.Issuer, r.Expires.UnixNano(), r.AccessJTI, accessExp)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return nil
}

const refreshColumns = "jti, family, sub, iss, until, access_jti, access_exp"

type scanner interface{ Scan(...any) error }

func scanRefresh(row scanner, extra ...any) (authentication.RefreshRecord, error) {
	var r authentication.RefreshRecord
	var until, accessExp int64
	if err := row.Scan(append([]any{&r.JTI, &r.Family, &r.Subject, &r.Issuer, &until, &r.AccessJTI, &accessExp}, extra...)...); err != nil {
		return r, err
	}
	r.Expires = time.Unix(0, until)
	if accessExp != 0 {
		r.AccessExp = time.Unix(0, accessExp)
	}
	return r, nil
}

// UseRefresh implements authentication.RefreshTokens: the token is read and
// marked used in one write transaction, so of two concurrent uses one wins
// and the other is a reuse.
func (s *Store) UseRefresh(ctx context.Context, jti string) (authentication.RefreshRecord, error) {
	var rec authentication.RefreshRecord
	var used bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		rec, err = scanRefresh(tx.QueryRowContext(ctx, "SELECT "+refreshColumns+", used FROM auth_refresh_tokens WHERE jti = ?", jti), &used)
		if err != nil || used {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_refresh_tokens SET used = 1 WHERE jti = ?", jti)
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return authentication.RefreshRecord{}, authentication.ErrRefreshUnknown
	case err != nil:
		return authentication.RefreshRecord{}, fmt.Errorf("sqlitestore: %w", err)
	case used:
		return rec, authentication.ErrRefreshReused
	}
	return rec, nil
}

// RevokeFamily implements authentication.RefreshTokens.
func (s *Store) RevokeFamily(ctx context.Context, family string) ([]authentication.RefreshRecord, error) {
	var out []authentication.RefreshRecord
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		out = nil // a retried transaction starts again
		rows, err := tx.QueryContext(ctx, "SELECT "+refreshColumns+" FROM auth_refresh_tokens WHERE family = ?", family)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRefresh(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_refresh_tokens SET used = 1 WHERE family = ?", family)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	return out, nil
}

// UseTicket implements authentication.TicketStore: the first insert of the
// jti wins, every later use finds it there.
func (s *Store) UseTicket(ctx context.Context, jti string, exp time.Time) error {
	var inserted int64
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO auth_tickets (jti, until) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING", jti, exp.UnixNano())
		if err != nil {
			return err
		}
		inserted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	if inserted == 0 {
		return authentication.ErrTicketUsed
	}
	return nil
}

// ImportFailures sets the failure count of key as another store had it (a
// window opened at start, kept until until), for migrations.
func (s *Store) ImportFailures(ctx context.Context, key string, count int, start, until time.Time) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO auth_attempts (key, count, start, until) VALUES (?, ?, ?, ?)",
			key, count, start.UnixNano(), until.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return nil
}
