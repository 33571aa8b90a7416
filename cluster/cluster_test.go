package cluster_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/cluster"
	"github.com/pinionhq/pinion/internal/natstest"
)

var ctx = context.Background()

// inbox is a real-time connection that records what it is sent.
type inbox struct {
	mu   sync.Mutex
	got  []string
	conn *pinion.Connection
}

func newInbox(app *pinion.App) *inbox {
	b := &inbox{}
	b.conn = pinion.NewConnection(pinion.ConnectionOptions{ID: "c", Provider: "test", Send: func(event string, data any) {
		raw, _ := data.(json.RawMessage)
		b.mu.Lock()
		b.got = append(b.got, event+" "+string(raw))
		b.mu.Unlock()
	}})
	app.Channel("all").Join(b.conn)
	return b
}

func (b *inbox) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		got := append([]string(nil), b.got...)
		b.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// instance is one app of the cluster: a messages service, every event
// published to the "all" channel, joined to NATS.
func instance(t *testing.T, url string) (*pinion.App, *pinion.Service, *inbox, *[]pinion.Event) {
	t.Helper()
	app := pinion.New()
	svc := app.Use("messages", memory.New(memory.Options{}), pinion.WithHooks(pinion.Hooks{After: pinion.HookMap{"create": {
		func(ctx context.Context, hc *pinion.HookContext) error {
			hc.Dispatch = map[string]any{"text": hc.Result.(map[string]any)["text"], "safe": true}
			return nil
		},
	}}}))
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	var seen []pinion.Event
	var mu sync.Mutex
	app.OnEvent(func(ctx context.Context, e pinion.Event) {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
	})
	node, err := cluster.Join(ctx, app, cluster.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	return app, svc, newInbox(app), &seen
}

func TestEventsCrossInstances(t *testing.T) {
	url := natstest.Server(t, false)
	_, a, inboxA, _ := instance(t, url)
	_, _, inboxB, seenB := instance(t, url)
	if _, err := a.Create(ctx, map[string]any{"text": "hello", "secret": "x"}, nil); err != nil {
		t.Fatal(err)
	}
	gotB := inboxB.wait(t, 1)
	if len(gotB) != 1 || gotB[0] != `messages created {"safe":true,"text":"hello"}` {
		t.Fatalf("instance B got %v", gotB)
	}
	// The local client gets it once, not again from NATS.
	time.Sleep(200 * time.Millisecond)
	if got := inboxA.wait(t, 1); len(got) != 1 {
		t.Fatalf("instance A got %v", got)
	}
	// B's listeners saw it as remote, with its external form as data: what
	// the hooks kept from clients stays on A.
	e := (*seenB)[0]
	if d := e.Data.(map[string]any); !e.Remote || d["text"] != "hello" || d["secret"] != nil || e.Context != nil {
		t.Errorf("remote event %+v", e)
	}
}

// An instance of an earlier version sends the raw record as data and the
// external form as dispatch: clients get the dispatch.
func TestEarlierVersionDispatch(t *testing.T) {
	url := natstest.Server(t, false)
	_, _, inbox, _ := instance(t, url)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Publish(cluster.DefaultSubject, []byte(`{"origin":"old","path":"messages","name":"created","data":{"text":"hi","password":"hash"},"dispatch":{"text":"hi"}}`))
	if got := inbox.wait(t, 1); len(got) != 1 || got[0] != `messages created {"text":"hi"}` {
		t.Fatalf("got %v", got)
	}
}

// Without JetStream on the server, "auto" shares events on NATS core and
// "on" refuses to start.
func TestJetStreamModes(t *testing.T) {
	url := natstest.Server(t, false)
	app := pinion.New()
	node, err := cluster.Join(ctx, app, cluster.Options{URL: url})
	if err != nil || node.JetStream() {
		t.Fatalf("auto without JetStream: %v, JetStream %v", err, err == nil && node.JetStream())
	}
	node.Close()
	if _, err := cluster.Join(ctx, pinion.New(), cluster.Options{URL: url, JetStream: "on"}); err == nil {
		t.Fatal(`"on" joined a server without JetStream`)
	}
	if _, err := cluster.Join(ctx, pinion.New(), cluster.Options{URL: url, JetStream: "maybe"}); err == nil {
		t.Fatal(`"maybe" accepted`)
	}
}

// Options.Counted hears of each event shared: published by the instance it
// came from, received by the other, and by no one twice.
func TestEventsCounted(t *testing.T) {
	url := natstest.Server(t, false)
	var published, received [2]atomic.Int64
	var svcs [2]*pinion.Service
	for i := range 2 {
		app := pinion.New()
		svcs[i] = app.Use("messages", memory.New(memory.Options{}))
		node, err := cluster.Join(ctx, app, cluster.Options{URL: url, Counted: func(in bool) {
			if in {
				received[i].Add(1)
			} else {
				published[i].Add(1)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { node.Close() })
	}
	for range 3 {
		if _, err := svcs[0].Create(ctx, map[string]any{"text": "hello"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for received[1].Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // nothing more comes
	if got := [4]int64{published[0].Load(), received[0].Load(), published[1].Load(), received[1].Load()}; got != [4]int64{3, 0, 0, 3} {
		t.Errorf("A published %d, received %d; B published %d, received %d; want 3, 0, 0, 3", got[0], got[1], got[2], got[3])
	}
}
