package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pinionhq/pinion"
)

// Idempotency keeps the idempotency keys of creates (pinion.WithIdempotency)
// in the database, in the table "pinion:idempotency", so that every process
// on the file sees them and they survive restarts. A claim is one write
// transaction: an insert, or the takeover of an expired or abandoned key, or
// nothing (the key is held), decided by SQLite under its write lock, so
// concurrent retries of one key cannot both claim it.
type Idempotency struct {
	db    *DB
	setup sync.Once
	err   error
	swept atomic.Int64 // unix ms of the last sweep of expired keys
}

var _ pinion.IdempotencyStore = (*Idempotency)(nil)

// NewIdempotency returns the store of keys in db; its table is created on
// first use.
func NewIdempotency(db *DB) *Idempotency { return &Idempotency{db: db} }

const idempotencyTable = `"pinion:idempotency"`

func (s *Idempotency) ready(ctx context.Context) error {
	s.setup.Do(func() {
		s.err = s.db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+idempotencyTable+
				" (key TEXT PRIMARY KEY, token TEXT NOT NULL, fingerprint TEXT NOT NULL, done INTEGER NOT NULL, result BLOB,"+
				" taken INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID")
			return err
		})
	})
	return s.err
}

// Claim implements pinion.IdempotencyStore.
func (s *Idempotency) Claim(ctx context.Context, key, token, fingerprint string, ttl, lease time.Duration) (pinion.IdempotencyRecord, bool, error) {
	var rec pinion.IdempotencyRecord
	if err := s.ready(ctx); err != nil {
		return rec, false, err
	}
	claimed := false
	now := time.Now().UnixMilli()
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if last := s.swept.Load(); now-last > time.Minute.Milliseconds() && s.swept.CompareAndSwap(last, now) {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+idempotencyTable+" WHERE expires <= ?", now); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO "+idempotencyTable+" (key, token, fingerprint, done, result, taken, expires) VALUES (?, ?, ?, 0, NULL, ?, ?)"+
			" ON CONFLICT (key) DO UPDATE SET token = excluded.token, fingerprint = excluded.fingerprint, done = 0, result = NULL,"+
			" taken = excluded.taken, expires = excluded.expires WHERE expires <= excluded.taken OR (done = 0 AND taken <= ?)",
			key, token, fingerprint, now, now+ttl.Milliseconds(), now-lease.Milliseconds())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			claimed = n == 1
			return err
		}
		var done int
		err = tx.QueryRowContext(ctx, "SELECT fingerprint, done, result FROM "+idempotencyTable+" WHERE key = ?", key).
			Scan(&rec.Fingerprint, &done, &rec.Result)
		rec.Done = done == 1
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = errors.New("sqlite: an idempotency key vanished while claimed")
	}
	return rec, claimed, err
}

// Finish implements pinion.IdempotencyStore.
func (s *Idempotency) Finish(ctx context.Context, key, token string, result []byte) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE "+idempotencyTable+" SET done = 1, result = ? WHERE key = ? AND token = ?", result, key, token)
		return err
	})
}

// Release implements pinion.IdempotencyStore.
func (s *Idempotency) Release(ctx context.Context, key, token string) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM "+idempotencyTable+" WHERE key = ? AND token = ? AND done = 0", key, token)
		return err
	})
}
