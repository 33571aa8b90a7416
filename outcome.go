package pinion

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// A write's outcome, and the caller's deadline.
//
// A call that writes (create, update, patch, remove, custom methods) must not
// be cut short by its caller's deadline: the database may apply the write
// after the driver gave up on it (a partition that delivers the bytes late,
// a stopped database that comes back with the insert in its log), and then
// a record is stored that no event announced, and that a retry duplicates.
// So with WithCallTimeout an external write runs in its own goroutine, with a
// context that keeps the caller's values but not its deadline nor its
// cancellation: its hooks, its method, its after hooks and its event all run
// to the write's real outcome, which the database's own timeouts bound. The
// caller waits for that outcome at most the call timeout; past it, it is
// answered 503 with Retry-After while the write goes on. When the write then
// succeeds, its event is sent (and kept in the history) like any other, and
// an idempotent retry gets its result (idempotency.go).
//
// A read has nothing to announce: it gets the call timeout as its deadline,
// and answers 503 when that passes.

// WithCallTimeout bounds the time an external call (REST, sockets) waits for
// its answer: d, or none when 0. A read past it is cancelled and answers 503
// Unavailable; a write keeps running to its outcome, as above.
func WithCallTimeout(d time.Duration) Option { return func(a *App) { a.callTimeout = d } }

// WithAvailability makes external calls fail fast while the store is known
// to be down: before anything else runs, a call asks available, and when it
// returns an error answers 503 Unavailable with a Retry-After header, at
// once, rather than waiting out the call timeout one call after another.
// available must answer quickly: it reads a state that a probe keeps (the
// server's readiness, serve.Server.Available), asking the database itself
// rarely and briefly if ever.
func WithAvailability(available func() error) Option {
	return func(a *App) { a.available = available }
}

// retryAfter is the Retry-After of a 503: the probe of a down store runs
// several times a second, so a second is enough.
const retryAfter = 1

// errCallTimeout is the cause of the deadline of a bounded read.
var errCallTimeout = errors.New("pinion: the call took longer than its timeout")

// unavailable is the 503 of a store that is down or does not answer in time.
func unavailable(format string, args ...any) *Error {
	return Unavailable(format, args...).WithHeader("Retry-After", strconv.Itoa(retryAfter))
}

// writes reports whether method may change stored records: every method but
// find and get.
func writes(method Method) bool { return method != MethodFind && method != MethodGet }

// bounded runs call for an external caller: at once 503 when the store is
// known down, else within the call timeout, a write detached from the
// caller's deadline (see above).
func (s *Service) bounded(ctx context.Context, method Method, call func(ctx context.Context) (*HookContext, error)) (*HookContext, error) {
	a := s.app
	if a.available != nil {
		if err := a.available(); err != nil {
			return nil, unavailable("The database is not answering; try again later").Wrap(err)
		}
	}
	d := a.callTimeout
	if d <= 0 {
		return call(ctx)
	}
	if !writes(method) {
		rctx, cancel := context.WithTimeoutCause(ctx, d, errCallTimeout)
		defer cancel()
		hc, err := call(rctx)
		if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), errCallTimeout) {
			var fe *Error
			if !errors.As(err, &fe) || fe.Code != 503 {
				err = unavailable("No answer from the database within %s; try again later", d).Wrap(err)
			}
		}
		return hc, err
	}
	type outcome struct {
		hc  *HookContext
		err error
	}
	done := make(chan outcome, 1)
	started := time.Now()
	go func() {
		hc, err := call(context.WithoutCancel(ctx))
		done <- outcome{hc, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case o := <-done:
		return o.hc, o.err
	case <-timer.C:
	case <-ctx.Done():
	}
	// The caller is answered now; the write goes on, and says how it ended.
	go func() {
		o := <-done
		a.logger.Warn("a write outlived its caller's wait; its outcome stands (an event was sent if it succeeded)",
			"service", s.path, "method", string(method), "took", time.Since(started).Round(time.Millisecond), "error", errText(o.err))
	}()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return nil, unavailable("No answer from the database within %s; the write may still take effect: retry with the same idempotency key", d).
		WithData(map[string]any{"reason": fmt.Sprintf("no answer within %s", d)})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
