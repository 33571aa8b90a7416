package pinion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
)

// mailbox records the messages a connection is sent, with their positions.
type mailbox struct {
	mu   sync.Mutex
	got  []*pinion.Message
	conn *pinion.Connection
}

func newMailbox(id, position string) *mailbox {
	b := &mailbox{}
	b.conn = pinion.NewConnection(pinion.ConnectionOptions{ID: id, Provider: "test", Position: position,
		Message: func(m *pinion.Message) {
			b.mu.Lock()
			b.got = append(b.got, m)
			b.mu.Unlock()
		}})
	return b
}

// connected is a mailbox that comes in with a position ("" for a new
// client), joins "all" as its login would, and is connected.
func connected(app *pinion.App, id, position string) *mailbox {
	b := newMailbox(id, position)
	app.Channel("all").Join(b.conn)
	app.Connected(context.Background(), b.conn)
	return b
}

func (b *mailbox) take() []*pinion.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.got
	b.got = nil
	return out
}

func texts(ms []*pinion.Message) []string {
	var out []string
	for _, m := range ms {
		var d map[string]any
		json.Unmarshal(m.Data, &d)
		out = append(out, fmt.Sprint(m.Event, " ", d["text"]))
	}
	return out
}

func historyApp(t *testing.T, o pinion.HistoryOptions) (*pinion.App, *pinion.Service) {
	t.Helper()
	app := pinion.New(pinion.WithHistory(o))
	svc := app.Use("messages", &creator{})
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if room, _ := e.Data.(map[string]any)["room"].(string); room != "" {
			return []*pinion.Channel{app.Channel(room)}
		}
		return []*pinion.Channel{app.Channel("all")}
	})
	return app, svc
}

func create(t *testing.T, svc *pinion.Service, text string, room ...string) {
	t.Helper()
	data := map[string]any{"text": text}
	if len(room) > 0 {
		data["room"] = room[0]
	}
	if _, err := svc.Create(context.Background(), data, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPositionsAndRecovery(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	first := connected(app, "a", "")
	for i := range 3 {
		create(t, svc, fmt.Sprint("m", i))
	}
	got := first.take()
	if len(got) != 3 {
		t.Fatalf("got %d messages", len(got))
	}
	var meta struct{ ID, Position string }
	json.Unmarshal(got[1].Meta, &meta)
	if meta.Position != got[1].Position || meta.ID != got[1].ID || meta.ID == "" ||
		!strings.HasPrefix(meta.Position, app.Epoch()+".") || got[0].Position == got[1].Position {
		t.Fatalf("meta %s, message %+v", got[1].Meta, got[1])
	}
	// The client goes away after the first event; three more come.
	for i := 3; i < 6; i++ {
		create(t, svc, fmt.Sprint("m", i))
	}
	create(t, svc, "elsewhere", "other-room")
	back := connected(app, "b", got[0].Position)
	create(t, svc, "m6")
	want := []string{"messages created m1", "messages created m2", "messages created m3", "messages created m4", "messages created m5", "messages created m6"}
	if got := texts(back.take()); !slices.Equal(got, want) {
		t.Fatalf("recovered %v, want %v", got, want)
	}
	// Recovering from the last position sends nothing again.
	again := connected(app, "c", app.Position())
	if got := again.take(); len(got) != 0 {
		t.Fatalf("recovered from the head: %v", texts(got))
	}
}

// A connection that comes back is in its channels before it is connected
// (its login joins them): what is published in between waits for its
// recovery, so that it still gets every event once, in order.
func TestEventsBeforeRecovery(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	first := connected(app, "a", "")
	create(t, svc, "m0")
	since := first.take()[0].Position
	create(t, svc, "m1")
	back := newMailbox("b", since)
	app.Channel("all").Join(back.conn)
	create(t, svc, "m2") // after the login, before the connection is complete
	if got := back.take(); len(got) != 0 {
		t.Fatalf("sent before its recovery: %v", texts(got))
	}
	app.Connected(context.Background(), back.conn)
	create(t, svc, "m3")
	want := []string{"messages created m1", "messages created m2", "messages created m3"}
	if got := texts(back.take()); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

type roomFinder struct{}

func (roomFinder) Find(ctx context.Context, p *pinion.Params) (any, error) { return []any{"all"}, nil }

// A publisher may read (call services that emit nothing, read App.Position)
// and take its time: it runs outside the app's event order, so that other
// events go on meanwhile; and a recovery that runs it again holds the live
// events that come meanwhile for after the replay.
func TestPublisherOutsideEventOrder(t *testing.T) {
	app := pinion.New()
	svc := app.Use("messages", &creator{})
	rooms := app.Use("rooms", roomFinder{})
	var blockOn atomic.Value // the text whose publisher waits for gate
	blockOn.Store("")
	gate := make(chan struct{})
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		_ = app.Position()
		if _, err := rooms.Find(ctx, nil); err != nil {
			t.Error(err)
		}
		if e.Data.(map[string]any)["text"] == blockOn.Load() {
			<-gate
		}
		return []*pinion.Channel{app.Channel("all")}
	})
	inTime := func(what string, fn func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); fn() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting (a deadlock)", what)
		}
	}
	background := func(fn func()) (wait func()) {
		done := make(chan struct{})
		go func() { defer close(done); fn() }()
		return func() { t.Helper(); inTime("the held-up call", func() { <-done }) }
	}
	createIn := func(text string) func() {
		return func() {
			if _, err := svc.Create(context.Background(), map[string]any{"text": text}, nil); err != nil {
				t.Error(err)
			}
		}
	}

	first := connected(app, "a", "")
	inTime("create", createIn("m0"))
	since := first.take()[0].Position

	// A slow publisher holds up its own event only.
	blockOn.Store("slow")
	wait := background(createIn("slow"))
	inTime("a create beside a slow publisher", createIn("m1"))
	gate <- struct{}{}
	wait()
	if got, want := texts(first.take()), []string{"messages created m1", "messages created slow"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	// A recovery whose replay is held up: what is created meanwhile comes
	// after what it replays, once.
	blockOn.Store("m1")
	back := newMailbox("b", since)
	app.Channel("all").Join(back.conn)
	wait = background(func() { app.Connected(context.Background(), back.conn) })
	inTime("a create during a recovery", createIn("m2"))
	gate <- struct{}{}
	wait()
	inTime("a create after the recovery", createIn("m3"))
	got := back.take()
	want := []string{"messages created m1", "messages created slow", "messages created m2", "messages created m3"}
	if !slices.Equal(texts(got), want) {
		t.Fatalf("recovered %v, want %v", texts(got), want)
	}
	for i := 1; i < len(got); i++ {
		if seq(t, got[i].Position) <= seq(t, got[i-1].Position) {
			t.Fatalf("positions out of order: %s after %s", got[i].Position, got[i-1].Position)
		}
	}
}

func seq(t *testing.T, position string) int {
	t.Helper()
	_, n, _ := strings.Cut(position, ".")
	return mustAtoi(t, n)
}

// A recovery keeps up with events created faster than it replays them: those
// that come while it replays are not missed ones, and do not count against
// MaxReplay.
func TestRecoveryKeepsUp(t *testing.T) {
	app := pinion.New(pinion.WithHistory(pinion.HistoryOptions{MaxReplay: 50}))
	svc := app.Use("messages", &creator{})
	var recovering atomic.Bool
	replaying := make(chan struct{}) // closed when the replay has begun
	var once sync.Once
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if recovering.Load() {
			once.Do(func() { close(replaying) })
		}
		time.Sleep(time.Millisecond) // a lookup
		return []*pinion.Channel{app.Channel("all")}
	})
	for i := range 20 {
		create(t, svc, fmt.Sprint("missed ", i))
	}
	var wg sync.WaitGroup
	for w := range 4 { // four writers, each as fast as the replay
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-replaying
			for i := range 75 {
				if _, err := svc.Create(context.Background(), map[string]any{"text": fmt.Sprint(w, "-", i)}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	back := newMailbox("b", app.Epoch()+".0")
	recovering.Store(true)
	app.Channel("all").Join(back.conn)
	app.Connected(context.Background(), back.conn)
	wg.Wait()
	got := back.take()
	if len(got) > 0 && got[0].Event == pinion.EventRecoveryFailed {
		t.Fatalf("recovery failed: %s", got[0].Data)
	}
	if len(got) != 320 {
		t.Fatalf("got %d events, want 320", len(got))
	}
	for i, m := range got {
		if seq(t, m.Position) != i+1 {
			t.Fatalf("event %d has position %s", i, m.Position)
		}
	}
}

// Connections that come back while events are created concurrently each get
// every event after their position once, in position order.
func TestRecoveryUnderLoad(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	create(t, svc, "start")
	since := app.Position()
	var wg sync.WaitGroup
	for w := range 4 { // 600 events: fewer than MaxReplay, 1,000
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				if _, err := svc.Create(context.Background(), map[string]any{"text": fmt.Sprint(w, "-", i)}, nil); err != nil {
					t.Error(err) // not Fatal: this is not the test's goroutine
					return
				}
			}
		}()
	}
	var boxes []*mailbox
	for i := range 50 {
		b := newMailbox(fmt.Sprint("r", i), since)
		app.Channel("all").Join(b.conn)
		app.Connected(context.Background(), b.conn)
		boxes = append(boxes, b)
	}
	wg.Wait()
	_, last, _ := strings.Cut(app.Position(), ".")
	_, first, _ := strings.Cut(since, ".")
	for _, b := range boxes {
		got := b.take()
		var want []string
		for p := mustAtoi(t, first) + 1; p <= mustAtoi(t, last); p++ {
			want = append(want, fmt.Sprint(app.Epoch(), ".", p))
		}
		var positions []string
		for _, m := range got {
			positions = append(positions, m.Position)
		}
		if !slices.Equal(positions, want) {
			t.Fatalf("%s got %d events, want %d: %v", b.conn.ID, len(positions), len(want), positions)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func failure(t *testing.T, ms []*pinion.Message) map[string]any {
	t.Helper()
	if len(ms) != 1 || ms[0].Event != pinion.EventRecoveryFailed {
		t.Fatalf("want one %q, got %v", pinion.EventRecoveryFailed, texts(ms))
	}
	var e map[string]any
	json.Unmarshal(ms[0].Data, &e)
	return e
}

func TestRecoveryRefused(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{MaxEvents: 5, MaxReplay: 3})
	for i := range 8 {
		create(t, svc, fmt.Sprint("m", i))
	}
	epoch := app.Epoch()
	for _, c := range []struct{ position, name, reason string }{
		{"garbage", "BadRequest", ""},
		{"", "", ""},                      // no position: a new client, nothing sent
		{epoch + ".99", "BadRequest", ""}, // never handed out
		{"other.3", "Gone", "epoch"},      // another history
		{epoch + ".1", "Gone", "expired"}, // no longer kept
		{epoch + ".4", "Gone", "limit"},   // 4 missed, 3 replayed at most
		{epoch + "." + strings.Repeat("9", 200), "BadRequest", ""},
	} {
		b := newMailbox("x", c.position)
		app.Channel("all").Join(b.conn)
		app.Connected(context.Background(), b.conn)
		if c.name == "" {
			if got := b.take(); len(got) != 0 {
				t.Errorf("%q: %v", c.position, texts(got))
			}
			continue
		}
		e := failure(t, b.take())
		data, _ := e["data"].(map[string]any)
		if e["name"] != c.name || c.reason != "" && data["reason"] != c.reason {
			t.Errorf("%q: %v", c.position, e)
		}
		if strings.Contains(fmt.Sprint(e), "m7") || strings.Contains(fmt.Sprint(e), ".8") {
			t.Errorf("%q: the failure tells what it should not: %v", c.position, e)
		}
	}
	b := connected(app, "y", epoch+".5")
	if got := texts(b.take()); !slices.Equal(got, []string{"messages created m5", "messages created m6", "messages created m7"}) {
		t.Fatalf("recovered %v", got)
	}
}

func TestHistoryAge(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{MaxAge: 50 * time.Millisecond})
	create(t, svc, "m0")
	from := app.Position()
	create(t, svc, "m1")
	time.Sleep(80 * time.Millisecond)
	b := connected(app, "x", from)
	if e := failure(t, b.take()); e["name"] != "Gone" {
		t.Fatal(e)
	}
}

// A recovery sends what the connection's channels send it now: nothing of a
// room it is not in.
func TestRecoveryFollowsChannels(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	from := app.Position()
	create(t, svc, "secret", "staff")
	create(t, svc, "open")
	b := connected(app, "x", from)
	if got := texts(b.take()); !slices.Equal(got, []string{"messages created open"}) {
		t.Fatalf("recovered %v", got)
	}
}

// Positions handed out by a shared log: duplicates and earlier positions are
// dropped, later ones kept.
func TestDeliverWithPositions(t *testing.T) {
	app, _ := historyApp(t, pinion.HistoryOptions{})
	app.ResetHistory("stream1", 10)
	b := newMailbox("x", "")
	app.Channel("all").Join(b.conn)
	e := func(pos uint64, text string) pinion.Event {
		return pinion.Event{Path: "messages", Name: "created", Position: pos, ID: text, Data: map[string]any{"text": text}}
	}
	ctx := context.Background()
	if !app.Deliver(ctx, e(10, "a")) || app.Deliver(ctx, e(10, "a")) || app.Deliver(ctx, e(3, "old")) || !app.Deliver(ctx, e(12, "b")) {
		t.Fatal("deliveries")
	}
	if got := texts(b.take()); !slices.Equal(got, []string{"messages created a", "messages created b"}) {
		t.Fatalf("got %v", got)
	}
	if app.Position() != "stream1.12" {
		t.Fatal(app.Position())
	}
	// Recovery from before the reset fails; from 10 it has b.
	for pos, want := range map[string]string{"stream1.5": "Gone", "stream1.10": ""} {
		c := newMailbox("y", pos)
		app.Channel("all").Join(c.conn)
		app.Connected(ctx, c.conn)
		got := c.take()
		if want != "" {
			if f := failure(t, got); f["name"] != want {
				t.Errorf("%s: %v", pos, f)
			}
		} else if !slices.Equal(texts(got), []string{"messages created b"}) {
			t.Errorf("%s: %v", pos, texts(got))
		}
	}
}

func member(id, sub string) *mailbox {
	b := newMailbox(id, "")
	b.conn.SetAuthenticated(&pinion.Authentication{Strategy: "jwt", Payload: map[string]any{"sub": sub}}, map[string]any{"_id": sub})
	return b
}

func events(ms []*pinion.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Event+" "+string(m.Data))
	}
	return out
}

func TestPresence(t *testing.T) {
	app := pinion.New()
	app.TrackPresence(func(ch string) bool { return strings.HasPrefix(ch, "rooms/") })
	ada1, ada2, bob := member("1", "ada"), member("2", "ada"), member("3", "bob")
	room := app.Channel("rooms/a")
	room.Join(ada1.conn)
	app.Channel("all").Join(ada1.conn, bob.conn) // not tracked: no events
	room.Join(ada2.conn, bob.conn)
	if got := app.Presence("rooms/a"); !slices.Equal(got, []pinion.Member{{User: "ada", Connections: 2}, {User: "bob", Connections: 1}}) {
		t.Fatalf("presence %v", got)
	}
	if got := app.Presence("all"); len(got) != 0 {
		t.Fatalf("untracked presence %v", got)
	}
	want := []string{`presence joined {"channel":"rooms/a","user":"ada"}`, `presence joined {"channel":"rooms/a","user":"bob"}`}
	if got := events(ada1.take()); !slices.Equal(got, want) {
		t.Fatalf("ada1 got %v", got)
	}
	// Another instance has bob and carl; ada's second connection goes.
	app.SetRemotePresence("i2", map[string]pinion.PresenceCounts{"rooms/a": {"bob": 1, "carl": 2}}, true)
	app.Disconnected(context.Background(), ada2.conn)
	app.Disconnected(context.Background(), bob.conn) // bob is still on i2
	if got := events(ada1.take()); !slices.Equal(got, []string{`presence joined {"channel":"rooms/a","user":"carl"}`}) {
		t.Fatalf("ada1 got %v", got)
	}
	if !app.InChannel("rooms/a", "carl") || app.InChannel("rooms/b", "ada") {
		t.Fatal("InChannel")
	}
	app.ForgetInstance("i2") // it died
	if got := events(ada1.take()); !slices.Equal(got, []string{`presence left {"channel":"rooms/a","user":"bob"}`, `presence left {"channel":"rooms/a","user":"carl"}`}) {
		t.Fatalf("ada1 got %v", got)
	}
	if got := app.LocalPresence(); len(got) != 1 || got["rooms/a"]["ada"] != 1 {
		t.Fatalf("local %v", got)
	}
}

// Recover called for a connection that got events live sends none of them
// again; a history reset while a recovery replays ends it with "epoch".
func TestRecoverEdges(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	live := connected(app, "a", "")
	for i := range 3 {
		create(t, svc, fmt.Sprint("m", i))
	}
	got := live.take()
	if !app.Recover(context.Background(), live.conn, got[0].Position) {
		t.Fatal("recovery refused")
	}
	if again := live.take(); len(again) != 0 {
		t.Fatalf("sent again: %v", texts(again))
	}

	var reset atomic.Bool
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if reset.CompareAndSwap(true, false) {
			app.ResetHistory("another", 1)
		}
		return []*pinion.Channel{app.Channel("all")}
	})
	back := newMailbox("b", got[0].Position)
	app.Channel("all").Join(back.conn)
	reset.Store(true)
	app.Connected(context.Background(), back.conn)
	if e := failure(t, back.take()); e["name"] != "Gone" || e["data"].(map[string]any)["reason"] != "epoch" {
		t.Fatalf("after a reset: %v", e)
	}
}
