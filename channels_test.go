package pinion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pinionhq/pinion"
)

// inbox records what a connection was sent.
type inbox struct {
	mu   sync.Mutex
	got  []string
	conn *pinion.Connection
}

func newConn(id string) *inbox {
	b := &inbox{}
	b.conn = pinion.NewConnection(pinion.ConnectionOptions{ID: id, Provider: "test", Send: func(event string, data any) {
		raw, _ := data.(json.RawMessage)
		b.mu.Lock()
		b.got = append(b.got, event+" "+string(raw))
		b.mu.Unlock()
	}})
	return b
}

func (b *inbox) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.got
	b.got = nil
	return out
}

func TestChannelsMembership(t *testing.T) {
	app := pinion.New()
	a, b, c := newConn("a"), newConn("b"), newConn("c")
	app.Channel("anonymous").Join(a.conn, b.conn)
	app.Channel("authenticated").Join(b.conn, c.conn)
	app.Channel("authenticated").Join(c.conn) // idempotent
	ids := func(ch *pinion.Channel) []string {
		var out []string
		for _, conn := range ch.Connections() {
			out = append(out, conn.ID)
		}
		sort.Strings(out)
		return out
	}
	if got := ids(app.Channel("anonymous", "authenticated")); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("combined = %v", got)
	}
	if got := ids(app.Channel("authenticated").Filter(func(c *pinion.Connection) bool { return c.ID != "b" })); !slices.Equal(got, []string{"c"}) {
		t.Errorf("filter = %v", got)
	}
	app.Channel("anonymous").Leave(b.conn)
	app.Channel("anonymous").LeaveFunc(func(c *pinion.Connection) bool { return c.ID == "a" })
	if got := app.Channels(); !slices.Equal(got, []string{"authenticated"}) {
		t.Errorf("empty channels must disappear: %v", got)
	}
	app.LeaveAll(c.conn)
	if got := ids(app.Channel("authenticated")); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after LeaveAll = %v", got)
	}
}

func TestPublishing(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := app.Use("messages", &echo{}, pinion.WithEvents("typing"))
	other := app.Use("other", &echo{})
	a, b, c := newConn("a"), newConn("b"), newConn("c")
	app.Channel("authenticated").Join(a.conn, b.conn)
	app.Channel("admins").Join(b.conn, c.conn)

	// Without a publisher, every event goes to the anonymous and the
	// authenticated connections; DefaultPublisher changes that default.
	svc.Create(ctx, map[string]any{"n": 1}, nil)
	if got, gotB, gotC := a.take(), b.take(), c.take(); len(got) != 1 || len(gotB) != 1 || len(gotC) != 0 {
		t.Fatalf("the default publisher sent %v to a, %v to b, %v to c (in no default channel)", got, gotB, gotC)
	}
	app.DefaultPublisher(func(ctx context.Context, e pinion.Event) []*pinion.Channel { return nil })
	svc.Create(ctx, map[string]any{"n": 1}, nil)
	if got := a.take(); len(got) != 0 {
		t.Fatalf("published with a default that publishes nothing: %v", got)
	}

	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("authenticated"), app.Channel("admins")}
	})
	svc.Create(ctx, map[string]any{"n": 2}, nil)
	for _, box := range []*inbox{a, b, c} {
		if got := box.take(); !slices.Equal(got, []string{`messages created {"n":2}`}) {
			t.Errorf("%s got %v (each connection once)", box.conn.ID, got)
		}
	}

	// Precedence: service event > service all > app event > app all.
	app.PublishEvent("patched", func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("admins").Send(map[string]any{"custom": true})}
	})
	svc.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("authenticated").Filter(func(c *pinion.Connection) bool { return c.ID == "a" })}
	})
	svc.PublishEvent("removed", func(ctx context.Context, e pinion.Event) []*pinion.Channel { return nil })
	svc.Patch(ctx, "1", map[string]any{"n": 3}, nil) // service all wins over app event
	svc.Remove(ctx, "1", nil)                        // service event: nowhere
	other.Patch(ctx, "1", map[string]any{"n": 4}, nil)
	if got := a.take(); !slices.Equal(got, []string{`messages patched {"n":3}`}) {
		t.Errorf("a got %v", got)
	}
	if got := b.take(); !slices.Equal(got, []string{`other patched {"custom":true}`}) {
		t.Errorf("b got %v", got)
	}

	// Custom events go through the same publishers.
	svc.Emit(ctx, "typing", map[string]any{"who": "b"})
	if got := a.take(); !slices.Equal(got, []string{`messages typing {"who":"b"}`}) {
		t.Errorf("custom event: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("publishing an unknown event must panic")
		}
	}()
	svc.PublishEvent("exploded", nil)
}

func TestEventsUseDispatch(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	hidden := func(ctx context.Context, hc *pinion.HookContext) error {
		var out []any
		for _, r := range pinion.Records(hc.Result) {
			n, _ := r.Get("n")
			out = append(out, map[string]any{"safe": n})
		}
		if len(out) == 1 {
			hc.Dispatch = out[0]
		} else {
			hc.Dispatch = out
		}
		return nil
	}
	svc := app.Use("things", &echo{}, pinion.WithHooks(pinion.Hooks{After: pinion.HookMap{pinion.All: {hidden}}}))
	a := newConn("a")
	app.Channel("all").Join(a.conn)
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	svc.Create(ctx, map[string]any{"n": 1, "secret": "x"}, nil)
	svc.Patch(ctx, nil, map[string]any{"n": 2, "secret": "y"}, nil) // two records
	want := []string{`things created {"safe":1}`, `things patched {"safe":2}`, `things patched {"safe":2}`}
	if got := a.take(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestConnectionLifecycle(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	var log []string
	app.OnConnection(func(ctx context.Context, c *pinion.Connection) {
		log = append(log, "connect "+c.ID)
		app.Channel("anonymous").Join(c)
	})
	app.OnDisconnect(func(ctx context.Context, c *pinion.Connection) { log = append(log, "disconnect "+c.ID) })
	a := newConn("a")
	app.Connected(ctx, a.conn)
	a.conn.SetAuthenticated(&pinion.Authentication{Strategy: "jwt"}, map[string]any{"id": 1})
	app.Disconnected(ctx, a.conn)
	if fmt.Sprint(log) != "[connect a disconnect a]" || app.Channel("anonymous").Len() != 0 {
		t.Errorf("log %v, anonymous %d", log, app.Channel("anonymous").Len())
	}
	if a.conn.User() != nil || a.conn.Context().Err() == nil {
		t.Error("a disconnected connection keeps its user or context")
	}
}

// A login or a join that finishes after the connection ended leaves nothing
// behind.
func TestJoinAfterDisconnect(t *testing.T) {
	app := pinion.New()
	conn := pinion.NewConnection(pinion.ConnectionOptions{ID: "c1", Provider: pinion.ProviderSocketIO})
	app.Disconnected(context.Background(), conn)
	app.Channel("authenticated").Join(conn, nil)
	if app.Channel("authenticated").Has(conn) || len(app.Channels()) != 0 {
		t.Fatalf("a disconnected connection joined: %v", app.Channels())
	}
}

// A fan-out large enough to be shared among goroutines (see fanOut) still
// gives every member every event once, in position order, while several
// publishers publish at once; members of two channels of an event get it
// once.
func TestLargeFanOutOncePerMemberInOrder(t *testing.T) {
	app := pinion.New()
	s := app.Use("messages", echoCreate{})
	const members, publishers, events = 1000, 4, 25
	type log struct {
		mu  sync.Mutex
		pos []string
	}
	logs := make([]*log, members)
	for i := range logs {
		l := &log{}
		logs[i] = l
		conn := pinion.NewConnection(pinion.ConnectionOptions{ID: fmt.Sprint(i), Provider: "test",
			Message: func(m *pinion.Message) {
				l.mu.Lock()
				l.pos = append(l.pos, m.Position)
				l.mu.Unlock()
			}})
		app.Channel("all").Join(conn)
		if i%2 == 0 {
			app.Channel("even").Join(conn)
		}
	}
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("all"), app.Channel("even")}
	})
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range events {
				if _, err := s.Create(context.Background(), map[string]any{"p": p, "i": i}, &pinion.Params{}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i, l := range logs {
		if len(l.pos) != publishers*events {
			t.Fatalf("member %d got %d events, want %d", i, len(l.pos), publishers*events)
		}
		seqs := make([]int, len(l.pos))
		for k, p := range l.pos {
			if _, err := fmt.Sscanf(p[strings.LastIndexByte(p, '.')+1:], "%d", &seqs[k]); err != nil {
				t.Fatalf("position %q: %v", p, err)
			}
		}
		if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
			t.Fatalf("member %d got positions %v: want each once, in order", i, seqs)
		}
	}
}

type echoCreate struct{}

func (echoCreate) Create(ctx context.Context, data any, p *pinion.Params) (any, error) {
	return data, nil
}
