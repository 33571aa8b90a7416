package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
)

// DB is an SQLite database file opened for the services of one process: one
// writer connection, which every write transaction waits for in turn, and a
// pool of reader connections, which WAL mode lets read their snapshot while a
// write goes on.
//
// A single writer is what SQLite allows anyway (one write transaction at a
// time); holding it in one connection makes writers queue in Go, under their
// context, instead of spinning on SQLITE_BUSY. Write transactions begin
// IMMEDIATE, so a read-then-write never fails half-way on a lock upgrade.
//
// Several handles on one file (several processes) are safe: SQLite's locks
// serialise their writers, waiting up to the busy timeout, and services keep
// no knowledge of the data outside the file. The services keep the columns
// behind their indexes up to date themselves, though, so a row that another
// program (the sqlite3 shell) writes without them is missed by queries on
// indexed fields. Reading the file with other programs is fine.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	ids   *idGenerator
	close sync.Once
	// Prepared statements of the services, per pool.
	writes, reads *stmtCache
}

// Synchronous is SQLite's synchronous setting for the database file.
type Synchronous int

const (
	// Normal, the default, survives the end of the process at any moment
	// (kill -9, a panic, an OOM kill) without losing an acknowledged write: in
	// WAL mode a commit returns only after its frames are written to the WAL file
	// with write(2), and the kernel keeps them whatever becomes of the process.
	// What NORMAL skips is the fsync of each commit, so a power cut or kernel
	// crash may lose the last commits (never corrupt the file): the WAL is
	// synced at every checkpoint.
	Normal Synchronous = iota
	// Full also syncs the WAL at every commit, so that an acknowledged write
	// survives a power cut too, at the cost of one fsync per write.
	Full
)

func (s Synchronous) pragma() string {
	if s == Full {
		return "full"
	}
	return "normal"
}

// Option configures Open.
type Option func(*openOptions)

type openOptions struct {
	readers     int
	synchronous Synchronous
	busyTimeout int // milliseconds
}

// WithReaders sets the number of reader connections (default: 4, or the number
// of CPUs if higher).
func WithReaders(n int) Option {
	return func(o *openOptions) {
		if n > 0 {
			o.readers = n
		}
	}
}

// WithSynchronous sets the durability of commits (default Normal).
func WithSynchronous(s Synchronous) Option { return func(o *openOptions) { o.synchronous = s } }

// Open opens (creating it if needed) the database file at path in WAL mode.
// Close it when done.
func Open(path string, opts ...Option) (*DB, error) {
	o := openOptions{readers: max(4, runtime.NumCPU()), busyTimeout: 10000}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db := &DB{path: abs, ids: newIDGenerator()}
	// The writer opens first: it creates the file and switches it to WAL,
	// which readers then find (journal_mode is a property of the file).
	if db.write, err = db.open(o, false); err != nil {
		return nil, err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxIdleTime(0)
	if err := db.write.Ping(); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}
	if db.read, err = db.open(o, true); err != nil {
		db.write.Close()
		return nil, err
	}
	db.read.SetMaxOpenConns(o.readers)
	db.read.SetMaxIdleConns(o.readers)
	db.writes, db.reads = newStmtCache(db.write), newStmtCache(db.read)
	return db, nil
}

// open returns a connection pool on the file with the pragmas of the writer or
// of readers. The driver runs the pragmas on every new connection, in order:
// the busy timeout first, so that switching to WAL waits for other
// connections rather than failing.
func (db *DB) open(o openOptions, reader bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout))
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "synchronous("+o.synchronous.pragma()+")")
	q.Add("_pragma", "foreign_keys(0)")
	q.Add("_pragma", "cache_size(-16000)") // 16 MB of pages per connection
	if reader {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(db.path), RawQuery: q.Encode()}).String()
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", db.path, err)
	}
	return pool, nil
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the connections. The writer's close checkpoints the WAL into
// the database file, so a cleanly closed database is one file.
// Closing twice does nothing.
func (db *DB) Close() error {
	var err error
	db.close.Do(func() {
		db.writes.flush()
		db.reads.flush()
		_, _ = db.write.Exec("PRAGMA optimize")
		err = errors.Join(db.read.Close(), db.write.Close())
	})
	return err
}

// Write runs fn in a write transaction (BEGIN IMMEDIATE on the writer
// connection) and commits it when fn returns nil; on an error or a panic it is
// rolled back. Writes are serialised: fn should not wait on anything but the
// database. It is for stores that keep their own tables beside the services'
// (the authentication state).
func (db *DB) Write(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: beginning a write: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: committing: %w", err)
	}
	return nil
}

// writeConn is Write for the services: fn runs its statements through the
// writer's statement cache.
func (db *DB) writeConn(ctx context.Context, fn func(conn) error) error {
	return db.Write(ctx, func(tx *sql.Tx) error { return fn(txConn(tx, db.writes)) })
}

// Read runs fn in a read transaction on a reader connection: every query of fn
// sees the same snapshot, the database as of its first query.
func (db *DB) Read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: beginning a read: %w", err)
	}
	defer tx.Rollback() // a read-only transaction has nothing to commit
	return fn(tx)
}
