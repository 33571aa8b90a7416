package mongodb

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/pinionhq/pinion"
)

func TestUnavailable(t *testing.T) {
	sse := topology.ServerSelectionError{Wrapped: errors.New("no server")}
	down := []error{
		sse,
		fmt.Errorf("mongostore: %w", sse),
		mongo.ErrClientDisconnected,
		topology.ErrServerClosed,
		mongo.CommandError{Code: 91, Name: "ShutdownInProgress"},
		topology.WaitQueueTimeoutError{},
	}
	for _, err := range down {
		if !Down(err) {
			t.Errorf("Down(%v) = false", err)
		}
		if got := Unavailable(context.Background(), err, time.Second); !errors.Is(got, pinion.Unavailable("")) {
			t.Errorf("Unavailable(%v) = %v, want a 503", err, got)
		}
	}
	up := []error{
		errors.New("something else"),
		mongo.CommandError{Code: 11000, Name: "DuplicateKey"},
		context.DeadlineExceeded,
	}
	for _, err := range up {
		if Down(err) {
			t.Errorf("Down(%v) = true", err)
		}
	}
	// A driver timeout before the deadline (the driver gives up when the
	// round trips take longer than the time left) is a 503 too.
	early := fmt.Errorf("mongodb: find messages: %w", context.DeadlineExceeded)
	if got := Unavailable(context.Background(), early, time.Second); !errors.Is(got, pinion.Unavailable("")) {
		t.Errorf("an early driver timeout became %v", got)
	}
	// A Feathers error is kept.
	if got := Unavailable(context.Background(), pinion.Conflict("dup"), time.Second); !errors.Is(got, pinion.Conflict("")) {
		t.Errorf("a 409 became %v", got)
	}
}

func TestGuard(t *testing.T) {
	app := pinion.New()
	app.Hooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {Guard(50 * time.Millisecond)}}})
	svc := app.Use("slow", stalled{})
	start := time.Now()
	_, err := svc.Call(context.Background(), pinion.MethodFind, nil, nil, nil)
	if !errors.Is(err, pinion.Unavailable("")) || time.Since(start) > time.Second {
		t.Fatalf("after %s: %v, want a 503", time.Since(start), err)
	}
	// The caller's own deadline stays the caller's.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := svc.Call(ctx, pinion.MethodFind, nil, nil, nil); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pinion.Unavailable("")) {
		t.Fatalf("the caller's deadline: %v", err)
	}
}

// stalled is a database that does not answer: the driver returns the
// context's error.
type stalled struct{}

func (stalled) Find(ctx context.Context, _ *pinion.Params) (any, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("mongodb: find: %w", ctx.Err())
}

// Create waits for its context too; Guard sets it no deadline (see Guard).
func (stalled) Create(ctx context.Context, _ any, _ *pinion.Params) (any, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("mongodb: insert: %w", ctx.Err())
}

// TestGuardLeavesWritesAlone checks that a write gets no deadline from
// Guard: only its caller's own.
func TestGuardLeavesWritesAlone(t *testing.T) {
	app := pinion.New()
	app.Hooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {Guard(10 * time.Millisecond)}}})
	svc := app.Use("slow", stalled{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := svc.Call(ctx, pinion.MethodCreate, nil, map[string]any{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pinion.Unavailable("")) {
		t.Fatalf("a write under Guard: %v, want its caller's deadline, not Guard's 503", err)
	}
}
