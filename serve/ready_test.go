package serve

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// While the store is down, available answers at once, except for one call
// per probeGap that probes the store itself and passes when it is back.
func TestAvailable(t *testing.T) {
	var up atomic.Bool
	var checks atomic.Int64
	r := &readiness{check: func(ctx context.Context) error {
		checks.Add(1)
		if !up.Load() {
			return errors.New("down")
		}
		return nil
	}, timeout: time.Second, logger: slog.New(slog.NewTextHandler(io.Discard, nil)), since: time.Now()}
	r.record(errors.New("down")) // the watcher found it down
	if err := r.available(); err == nil || checks.Load() != 1 {
		t.Fatalf("down: %v after %d checks, want refused after one", err, checks.Load())
	}
	if err := r.available(); err == nil || checks.Load() != 1 {
		t.Fatalf("down, within the gap: %v after %d checks, want refused without a check", err, checks.Load())
	}
	up.Store(true)
	r.tried.Store(0) // the gap has passed
	if err := r.available(); err != nil {
		t.Fatalf("the first call once it is back: %v", err)
	}
	if ok, _ := r.state(); !ok {
		t.Error("the call's probe did not record that it is back")
	}
	if err := r.available(); err != nil || checks.Load() != 2 {
		t.Errorf("up: %v after %d checks, want no check", err, checks.Load())
	}
}
