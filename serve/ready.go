package serve

import (
	"context"
	"log/slog"
	"sync"
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

// watch probes every interval until ctx ends.
func (r *readiness) watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.probe(ctx)
		}
	}
}
