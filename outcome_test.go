package pinion

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gated is a store whose creates wait for a gate: a database that stopped
// answering, and that applies the write when it comes back.
type gated struct {
	gate    chan struct{}
	created atomic.Int64
	finds   atomic.Int64
}

func (g *gated) Create(ctx context.Context, data any, _ *Params) (any, error) {
	<-g.gate // deaf to ctx: the insert is on its way to the database
	n := g.created.Add(1)
	m := data.(map[string]any)
	return map[string]any{"id": float64(n), "text": m["text"]}, nil
}

func (g *gated) Find(ctx context.Context, _ *Params) (any, error) {
	g.finds.Add(1)
	select {
	case <-g.gate:
		return []any{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// events collects the events of an app.
type events struct {
	mu   sync.Mutex
	list []Event
	seen chan struct{}
}

func listen(a *App) *events {
	e := &events{seen: make(chan struct{}, 100)}
	a.OnEvent(func(ctx context.Context, ev Event) {
		e.mu.Lock()
		e.list = append(e.list, ev)
		e.mu.Unlock()
		e.seen <- struct{}{}
	})
	return e
}

func (e *events) named(name string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.list {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// A write whose caller was answered 503 past the call timeout still runs to
// its outcome, and its event is sent when it succeeds: a record is never
// stored unannounced.
func TestWriteOutlivesItsCallersWait(t *testing.T) {
	a := New(WithCallTimeout(20 * time.Millisecond))
	g := &gated{gate: make(chan struct{})}
	svc := a.Use("messages", g)
	ev := listen(a)
	var after atomic.Int64
	svc.Hooks(Hooks{After: HookMap{MethodCreate: {func(ctx context.Context, hc *HookContext) error {
		if err := ctx.Err(); err != nil {
			return err // an after hook that needs its context, as a populate does
		}
		after.Add(1)
		return nil
	}}}})
	_, err := svc.Call(context.Background(), MethodCreate, nil, map[string]any{"text": "late"}, &Params{Provider: "rest"})
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != 503 || fe.Header.Get("Retry-After") == "" {
		t.Fatalf("a create past the call timeout: %v, want a 503 with Retry-After", err)
	}
	if n := len(ev.named("created")); n != 0 {
		t.Fatalf("%d events before the write took effect", n)
	}
	close(g.gate) // the database comes back and applies the insert
	<-ev.seen
	if got := ev.named("created"); len(got) != 1 || got[0].Data.(map[string]any)["text"] != "late" {
		t.Fatalf("events after the write: %v, want one created", got)
	}
	if after.Load() != 1 {
		t.Errorf("the after hook ran %d times, want once, with a live context", after.Load())
	}
}

// A read past the call timeout is cancelled, and answers 503.
func TestReadPastTheCallTimeout(t *testing.T) {
	a := New(WithCallTimeout(20 * time.Millisecond))
	svc := a.Use("messages", &gated{gate: make(chan struct{})})
	_, err := svc.Call(context.Background(), MethodFind, nil, nil, &Params{Provider: "rest"})
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != 503 {
		t.Fatalf("a find past the call timeout: %v, want a 503", err)
	}
}

// While the store is known down, external calls answer 503 with Retry-After
// at once, without running; calls from Go are not refused (a write that
// outlived its caller finishes its after hooks through them).
func TestFailFast(t *testing.T) {
	var down atomic.Bool
	a := New(WithAvailability(func() error {
		if down.Load() {
			return errors.New("down")
		}
		return nil
	}))
	g := &gated{gate: make(chan struct{})}
	close(g.gate)
	svc := a.Use("messages", g)
	down.Store(true)
	_, err := svc.Call(context.Background(), MethodFind, nil, nil, &Params{Provider: "socketio"})
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != 503 || fe.Header.Get("Retry-After") != "1" {
		t.Fatalf("a call while down: %v, want a 503 with Retry-After", err)
	}
	if g.finds.Load() != 0 {
		t.Errorf("the method ran %d times while the store was down", g.finds.Load())
	}
	if _, err := svc.Call(context.Background(), MethodFind, nil, nil, nil); err != nil {
		t.Errorf("a call from Go while down: %v", err)
	}
	down.Store(false)
	if _, err := svc.Call(context.Background(), MethodFind, nil, nil, &Params{Provider: "rest"}); err != nil {
		t.Errorf("the first call once it is back: %v", err)
	}
}
