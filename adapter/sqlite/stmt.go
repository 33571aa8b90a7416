package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Statements are prepared once per SQL text and kept: SQLite spends more time
// parsing and planning a small query than running it. A query's text depends
// on its shape only (the fields, operators and number of values; values are
// bound), so an application's queries are a few dozen texts.

// maxStatements bounds a cache: clients choose field names, and a flood of
// shapes must not grow it without end. A full cache starts again empty.
const maxStatements = 256

type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	// pending are the texts being prepared in the background; gen counts the
	// flushes, so that a statement prepared before one is not kept.
	pending map[string]bool
	gen     int
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns the prepared statement of query, preparing it on the pool.
// Only a caller that holds no connection of the pool may wait for one.
// database/sql prepares a statement on each connection that runs it, once,
// and finalises it only when no rows or transaction still use it, so closing
// an evicted statement is safe.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.keep(query, st, gen), nil
}

// prepareLater prepares query on the pool in the background, for a caller in
// a transaction: waiting for another connection of the pool while holding one
// could wait for ever (the writer pool has one connection).
func (c *stmtCache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[query] || c.m[query] != nil {
		return
	}
	c.pending[query] = true
	gen := c.gen
	go func() {
		st, err := c.pool.PrepareContext(context.Background(), query)
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
		if err == nil {
			c.keep(query, st, gen)
		}
	}()
}

// keep stores a statement prepared in generation gen and returns the one
// kept for query.
func (c *stmtCache) keep(query string, st *sql.Stmt, gen int) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		st.Close()
		return prev
	}
	if gen != c.gen {
		// Prepared before a flush: use it this once, keep nothing.
		return st
	}
	if len(c.m) >= maxStatements {
		c.flushLocked()
	}
	c.m[query] = st
	return st
}

// flush forgets every statement, after a change of the schema.
func (c *stmtCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *stmtCache) flushLocked() {
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
	c.gen++
}

// conn runs the statements of a call: in a transaction, or straight on a
// pool, through the pool's statement cache.
type conn struct {
	tx    *sql.Tx // nil: on the pool
	cache *stmtCache
	// local holds the statements prepared for the transaction alone, for
	// the rest of it (a multi create runs one insert many times).
	local map[string]*sql.Stmt
}

func txConn(tx *sql.Tx, cache *stmtCache) conn {
	return conn{tx: tx, cache: cache, local: map[string]*sql.Stmt{}}
}

// stmt returns the statement of query for this call. In a transaction a
// cached statement is bound to the transaction's connection (prepared there
// once); one not cached yet is prepared for the transaction alone, and on the
// pool in the background for next time.
func (c conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if c.tx == nil {
		return c.cache.get(ctx, query)
	}
	if st := c.local[query]; st != nil {
		return st, nil
	}
	if st := c.cache.lookup(query); st != nil {
		st = c.tx.StmtContext(ctx, st)
		c.local[query] = st
		return st, nil
	}
	c.cache.prepareLater(query)
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.local[query] = st
	return st, nil
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// scan reads the one row of a query into dest.
func (c conn) scan(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
