package serve

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// readiness checks Ready and remembers its last answer, for the log and
// metrics: the log says when the server stops being ready and when it is
// again, not at every failed check.
type readiness struct {
	check   func(ctx context.Context) error
	timeout time.Duration
	logger  *slog.Logger

	mu    sync.Mutex
	ok    bool
	since time.Time
	tried atomic.Int64 // unix ns of the last probe a call ran (see available)
}

// probe runs the check within the timeout and records its answer.
func (r *readiness) probe(ctx context.Context) error {
	if r.check == nil {
		return nil
	}
	c, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.check(c)
	if ctx.Err() == nil { // not when the caller went away or the server stops
		r.record(err)
	}
	return err
}

func (r *readiness) record(err error) {
	r.mu.Lock()
	changed := r.ok != (err == nil)
	var was time.Duration
	if changed {
		was = time.Since(r.since)
		r.ok, r.since = err == nil, time.Now()
	}
	r.mu.Unlock()
	switch {
	case changed && err != nil:
		r.logger.Warn("not ready: the database does not answer; calls that need it answer 503 until it does", "error", err)
	case changed:
		r.logger.Info("ready again: the database answers", "unavailable_for", was.Round(time.Millisecond))
	}
}

// state is the last answer and since when it has been the same.
func (r *readiness) state() (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok, r.since
}

// downInterval is how often a store known down is probed: calls fail fast
// meanwhile (see available), so the first call after it comes back must not
// wait for a slow probe to notice.
const downInterval = 100 * time.Millisecond

// watch probes every interval until ctx ends, every downInterval while the
// last probe failed.
func (r *readiness) watch(ctx context.Context, interval time.Duration) {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			next := interval
			if r.probe(ctx) != nil {
				next = min(interval, downInterval)
			}
			t.Reset(next)
		}
	}
}

// errDown is what available answers while the last probe failed.
var errDown = errors.New("serve: the database did not answer the last readiness probe")

// While the store is down, a call may probe it itself (see available): at
// most one call per probeGap, for at most probeBudget (a ping of a database
// that answers takes a millisecond or two).
const (
	probeGap    = 100 * time.Millisecond
	probeBudget = 25 * time.Millisecond
)

// available answers whether the store is up: at once from the last probe's
// answer, except that while it is down one call per probeGap probes it
// itself, for at most probeBudget, and passes if it answers: so the first
// calls after the store comes back pass, rather than waiting for the
// watcher's next probe. Every other call meanwhile is answered at once.
func (r *readiness) available() error {
	if ok, _ := r.state(); ok {
		return nil
	}
	now := time.Now().UnixNano()
	last := r.tried.Load()
	if now-last < int64(probeGap) || !r.tried.CompareAndSwap(last, now) {
		return errDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(r.timeout, probeBudget))
	defer cancel()
	if r.check(ctx) != nil {
		return errDown // the watcher records failures
	}
	r.record(nil)
	return nil
}
