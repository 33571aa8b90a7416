package pinion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	first := newMailbox("a", "")
	app.Channel("all").Join(first.conn)
	app.Connected(context.Background(), first.conn)
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
	back := newMailbox("b", got[0].Position)
	app.Channel("all").Join(back.conn)
	app.Connected(context.Background(), back.conn)
	create(t, svc, "m6")
	want := []string{"messages created m1", "messages created m2", "messages created m3", "messages created m4", "messages created m5", "messages created m6"}
	if got := texts(back.take()); !slices.Equal(got, want) {
		t.Fatalf("recovered %v, want %v", got, want)
	}
	// Recovering from the last position sends nothing again.
	again := newMailbox("c", app.Position())
	app.Channel("all").Join(again.conn)
	app.Connected(context.Background(), again.conn)
	if got := again.take(); len(got) != 0 {
		t.Fatalf("recovered from the head: %v", texts(got))
	}
}

// A connection that comes back is in its channels before it is connected
// (its login joins them): what is published in between waits for its
// recovery, so that it still gets every event once, in order.
func TestEventsBeforeRecovery(t *testing.T) {
	app, svc := historyApp(t, pinion.HistoryOptions{})
	first := newMailbox("a", "")
	app.Channel("all").Join(first.conn)
	app.Connected(context.Background(), first.conn)
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

// A publisher may call services, even ones that emit events, and read the
// app's position, both when the event happens and when a recovery runs it
// again: nothing waits for the app's event order there.
func TestPublisherCallsServices(t *testing.T) {
	app := pinion.New()
	svc := app.Use("messages", &creator{})
	audit := app.Use("audit", &creator{})
	svc.PublishEvent("created", func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		_ = app.Position()
		if _, err := audit.Create(ctx, map[string]any{"text": "audit " + e.Data.(map[string]any)["text"].(string)}, nil); err != nil {
			t.Error(err)
		}
		return []*pinion.Channel{app.Channel("all")}
	})
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return []*pinion.Channel{app.Channel("all")} })
	withTimeout := func(what string, fn func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); fn() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting (a deadlock)", what)
		}
	}
	first := newMailbox("a", "")
	app.Channel("all").Join(first.conn)
	app.Connected(context.Background(), first.conn)
	withTimeout("create", func() { create(t, svc, "m0") })
	got := first.take()
	// The publisher's own event comes first: it happened before m0 took
	// its place.
	if want := []string{"audit created audit m0", "messages created m0"}; !slices.Equal(texts(got), want) {
		t.Fatalf("got %v, want %v", texts(got), want)
	}
	back := newMailbox("b", got[0].Position)
	app.Channel("all").Join(back.conn)
	withTimeout("recovery", func() { app.Connected(context.Background(), back.conn) })
	// The recovery ran m0's publisher again, which created another audit
	// record: it came during the recovery, so the recovery sends it too,
	// after m0.
	if want := []string{"messages created m0", "audit created audit m0"}; !slices.Equal(texts(back.take()), want) {
		t.Fatalf("recovered %v, want %v", texts(back.take()), want)
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
				create(t, svc, fmt.Sprint(w, "-", i))
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
	b := newMailbox("y", epoch+".5")
	app.Channel("all").Join(b.conn)
	app.Connected(context.Background(), b.conn)
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
	b := newMailbox("x", from)
	app.Channel("all").Join(b.conn)
	app.Connected(context.Background(), b.conn)
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
	b := newMailbox("x", from)
	app.Channel("all").Join(b.conn)
	app.Connected(context.Background(), b.conn)
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
