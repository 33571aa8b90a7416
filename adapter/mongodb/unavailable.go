package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/pinionhq/pinion"
)

// Down reports whether err says that the database is not answering: the
// driver could not reach a server (server selection failed), a connection
// broke, or an operation timed out in the driver (a pool that had no
// connection to give, a socket that did not answer). Errors the database
// answered with (a duplicate key, a refused update) are not.
//
// A server that is shutting down or stepping down (ShutdownInProgress,
// NotWritablePrimary and their kin) is down too, and so is a pool the driver
// cleared after a connection broke: the operations that were waiting for
// one of its connections fail with that.
func Down(err error) bool {
	if err == nil {
		return false
	}
	var sse topology.ServerSelectionError
	var pool driver.RetryablePoolError
	if errors.As(err, &sse) || mongo.IsNetworkError(err) || errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.As(err, &topology.WaitQueueTimeoutError{}) || errors.As(err, &pool) ||
		errors.Is(err, topology.ErrServerClosed) || errors.Is(err, topology.ErrTopologyClosed) ||
		(mongo.IsTimeout(err) && !errors.Is(err, context.DeadlineExceeded)) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, code := range stateChange {
			if se.HasErrorCode(code) {
				return true
			}
		}
	}
	return false
}

// stateChange are the server error codes of a server that cannot answer now
// (the driver's "state change" and network codes): HostUnreachable,
// HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
// SocketException, NotWritablePrimary, InterruptedAtShutdown,
// InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk,
// NotPrimaryOrSecondary.
var stateChange = []int{6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436}

// errUnavailable is the 503 of a database that does not answer.
var errUnavailable = pinion.Unavailable("The database is not answering; try again later")

// errCallTimeout is the cause of the deadline Guard sets.
var errCallTimeout = errors.New("mongodb: the database work of a call took longer than its timeout")

// Guard returns an around hook, for App.Hooks with pinion.All, that bounds
// every call to timeout (none when it is 0) and answers 503 Unavailable, in
// the Feathers shape, when the database does not answer:
//
//   - a call whose timeout passes, while its caller still waits, fails with
//     503 rather than a 408 or a hang: the database work is what takes time
//     in a call of the chat app, and what to retry later;
//   - a call that fails because the driver cannot reach the database
//     (Down), in the adapter, in the authentication store or anywhere in
//     its hooks, fails with 503 rather than a 500.
//
// The timeout bounds reads (find, get) only. A write cut short by a deadline
// may still be applied by the database after the driver gave up on it (the
// bytes were on their way), stored and never announced; so writes run to
// their outcome, and pinion.WithCallTimeout bounds how long their caller
// waits instead (the server uses both, with a timeout of 0 here).
//
// A call whose own caller gave up (a REST client gone, the socket call's
// timeout) keeps its context error. Register it before the other app hooks:
// it must see them all. Calls from Go nested in a guarded call share the
// outer call's deadline.
func Guard(timeout time.Duration) pinion.AroundHook {
	return func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
		inner := ctx
		if timeout > 0 && (hc.Method == pinion.MethodFind || hc.Method == pinion.MethodGet) {
			var cancel context.CancelFunc
			inner, cancel = context.WithTimeoutCause(ctx, timeout, errCallTimeout)
			defer cancel()
		}
		err := next(inner)
		if err == nil {
			return nil
		}
		return Unavailable(inner, err, timeout)
	}
}

// Unavailable is err, or a 503 Unavailable wrapping it when err says that
// the database did not answer: Down errors, and the expiry of a deadline
// that Guard set on ctx (within timeout) while the caller of ctx waits
// still. A Feathers error already chosen (a 409, a 400) is kept.
func Unavailable(ctx context.Context, err error, timeout time.Duration) error {
	var fe *pinion.Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || mongo.IsTimeout(err) {
		switch {
		case ctx.Err() == nil && !errors.Is(err, context.Canceled),
			// The deadline has not passed: the driver gave up early, seeing
			// that the database's round trips take longer than the time
			// left ("calculated server-side timeout … is less than or
			// equal to 0").
			ctx.Err() != nil && errors.Is(context.Cause(ctx), errCallTimeout):
			return errUnavailable.WithData(map[string]any{"reason": fmt.Sprintf("no answer within %s", timeout)}).Wrap(err)
		case ctx.Err() != nil:
			return err // the caller's own deadline or cancellation
		}
	}
	if Down(err) {
		return errUnavailable.Wrap(err)
	}
	return err
}
