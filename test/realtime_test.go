package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/internal/faultproxy"
	"github.com/pinionhq/pinion/internal/natstest"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// natsProxy is a proxy to the NATS server at natsURL that can cut it: an
// instance behind it loses NATS while the others keep it.
func natsProxy(t *testing.T, natsURL string) (*faultproxy.Proxy, string) {
	t.Helper()
	p, err := faultproxy.New(strings.TrimPrefix(natsURL, "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, "nats://" + p.Addr()
}

// recorder keeps the service events a socket receives, with their meta.
type recorder struct {
	mu     sync.Mutex
	events []sioclient.Event
}

func (r *recorder) on(e sioclient.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) named(prefix string) []sioclient.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sioclient.Event
	for _, e := range r.events {
		if strings.HasPrefix(e.Name, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// texts lists the "text" of each event, with its position.
func texts(t *testing.T, events []sioclient.Event) (texts, positions []string) {
	t.Helper()
	for _, e := range events {
		var d struct{ Text string }
		var m struct{ ID, Position string }
		json.Unmarshal(e.Data, &d)
		json.Unmarshal(e.Meta, &m)
		texts = append(texts, d.Text)
		positions = append(positions, m.Position)
	}
	return texts, positions
}

func realtimeConfig(t *testing.T) map[string]string {
	return configDir(t, `{"realtime": {"presenceInterval": "300ms", "presenceTimeout": "1s"}}`)
}

// TestJetStreamCutOff runs three instances on one JetStream. One is cut off
// from NATS for three seconds while the others publish, and publishes too;
// once back, each of its sockets has received every event exactly once, in
// the stream's order (the order the other instances' sockets saw), and the
// others received its events.
func TestJetStreamCutOff(t *testing.T) {
	natsURL := natstest.Server(t, true)
	px, pxURL := natsProxy(t, natsURL)
	env := func(url string) map[string]string {
		e := realtimeConfig(t)
		e["NATS_URL"] = url
		return e
	}
	a := startPinion(t, "memory", env(pxURL))
	b := startPinion(t, "memory", env(natsURL))
	c := startPinion(t, "memory", env(natsURL))
	tokens := map[*instance]string{}
	for i, in := range []*instance{a, b, c} {
		tokens[in] = login(t, in.URL, fmt.Sprintf("cut-%d@example.com", i))
	}
	socket := func(in *instance) *recorder {
		r := &recorder{}
		conn, err := sioclient.DialEvents(in.URL, nil, map[string]any{"token": tokens[in]}, r.on)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(conn.Close)
		return r
	}
	onA := []*recorder{socket(a), socket(a), socket(a)}
	onB := socket(b)
	post := func(in *instance, text string) {
		if status, m := api(t, in.URL, "POST", "/messages", tokens[in], map[string]any{"text": text}); status != 201 {
			t.Errorf("create %q: %d %v", text, status, m)
		}
	}
	post(b, "before")
	eventually(t, "the first event on A", func() bool { return len(onA[0].named("messages created")) == 1 })

	px.Refuse()
	var wg sync.WaitGroup
	for _, in := range []*instance{b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				post(in, fmt.Sprintf("%s %d", strings.TrimPrefix(in.URL, "http://127.0.0.1:"), i))
			}
		}()
	}
	wg.Add(1)
	go func() { // A's own events wait for NATS
		defer wg.Done()
		post(a, "from A while cut 1")
		post(a, "from A while cut 2")
	}()
	time.Sleep(3 * time.Second)
	if n := len(onA[0].named("messages created")); n != 1 {
		t.Fatalf("A's socket got %d events while A was cut off", n)
	}
	if n := len(onB.named("messages created")); n < 20 {
		t.Fatalf("B's socket got only %d events while A was cut off", n)
	}
	px.Restore()
	wg.Wait()

	const total = 1 + 40 + 2
	eventually(t, "every event on every socket", func() bool {
		for _, r := range append(onA, onB) {
			if len(r.named("messages created")) < total {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // anything more would be a duplicate
	want, wantPos := texts(t, onB.named("messages created"))
	if len(want) != total || len(slices.Compact(slices.Sorted(slices.Values(want)))) != total {
		t.Fatalf("B's socket got %d events (%d distinct), want %d: %v", len(want), len(slices.Compact(slices.Sorted(slices.Values(want)))), total, want)
	}
	for i, r := range onA {
		got, pos := texts(t, r.named("messages created"))
		if !slices.Equal(got, want) {
			t.Errorf("socket %d on A got\n%v\nwant (B's order)\n%v", i, got, want)
		}
		if !slices.Equal(pos, wantPos) {
			t.Errorf("socket %d on A: positions %v, B's %v", i, pos, wantPos)
		}
	}
	// Positions grow by one: the stream's sequence, the same on every instance.
	for i := 1; i < len(wantPos); i++ {
		var e1, e2 string
		var s1, s2 int
		fmt.Sscanf(strings.Replace(wantPos[i-1], ".", " ", 1), "%s %d", &e1, &s1)
		fmt.Sscanf(strings.Replace(wantPos[i], ".", " ", 1), "%s %d", &e2, &s2)
		if e1 != e2 || s2 != s1+1 {
			t.Fatalf("positions %s then %s", wantPos[i-1], wantPos[i])
		}
	}

	// An instance that starts now has the stream's history: a socket that
	// comes back to it from the first event recovers the rest, in order.
	d := startPinion(t, "memory", env(natsURL))
	tokenD := login(t, d.URL, "cut-d@example.com")
	back := &recorder{}
	conn, err := sioclient.DialEvents(d.URL, nil, map[string]any{"token": tokenD, "since": wantPos[0]}, back.on)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eventually(t, "the new instance replaying the history", func() bool { return len(back.named("messages created")) >= total-1 })
	got, pos := texts(t, back.named("messages created"))
	if !slices.Equal(got, want[1:]) || !slices.Equal(pos, wantPos[1:]) {
		t.Errorf("recovered on a new instance:\n%v %v\nwant\n%v %v", got, pos, want[1:], wantPos[1:])
	}
}

// withRoomClaims gives every login the "channels" claim ["general"], as an
// application's hook would (see TestRoomsWithClaims).
func withRoomClaims(in *instance) {
	in.srv.App.Service("authentication").Hooks(pinion.Hooks{Before: pinion.HookMap{"create": {
		func(ctx context.Context, hc *pinion.HookContext) error {
			hc.Params.Payload = map[string]any{"channels": []any{"general"}}
			return nil
		},
	}}})
}

// TestPresenceAcrossInstances: who is in a room, over sockets and REST, to
// members only, with joined/left events, across two instances; an instance
// that goes silent (cut off from NATS) loses its users after the timeout.
func TestPresenceAcrossInstances(t *testing.T) {
	natsURL := natstest.Server(t, true)
	px, pxURL := natsProxy(t, natsURL)
	store, err := embedded.Start(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := func(url string) map[string]string {
		e := realtimeConfig(t)
		e["NATS_URL"] = url
		e["MONGODB_URL"] = strings.TrimSuffix(store.URI(), "/") + "/presence"
		return e
	}
	a := startPinion(t, "mongodb", env(pxURL))
	b := startPinion(t, "mongodb", env(natsURL))
	withRoomClaims(a)
	withRoomClaims(b)
	ada, bob, carl := login(t, a.URL, "ada@example.com"), login(t, b.URL, "bob@example.com"), login(t, b.URL, "carl@example.com")
	sub := func(token string) string {
		parts := strings.Split(token, ".")
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct{ Sub string }
		json.Unmarshal(b, &claims)
		return claims.Sub
	}
	join := func(in *instance, token string) (*sioclient.Conn, *recorder) {
		r := &recorder{}
		conn, err := sioclient.DialEvents(in.URL, nil, map[string]any{"token": token}, r.on)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(conn.Close)
		if _, err := conn.Call("create", "rooms", map[string]any{"name": "general"}, map[string]any{}); err != nil {
			t.Fatal(err)
		}
		return conn, r
	}
	adaConn, adaEvents := join(a, ada)
	bobConn, bobEvents := join(b, bob)
	presenceOf := func(r *recorder) []string {
		var out []string
		for _, e := range r.named("presence ") {
			var d struct{ Channel, User string }
			json.Unmarshal(e.Data, &d)
			out = append(out, strings.TrimPrefix(e.Name, "presence ")+" "+d.Channel+" "+d.User)
		}
		return out
	}
	joinedBoth := []string{"joined rooms/general " + sub(ada), "joined rooms/general " + sub(bob)}
	eventually(t, "ada hearing bob join", func() bool { return slices.Equal(presenceOf(adaEvents), joinedBoth) })
	// Bob came after ada: he hears of himself, and asks for the rest.
	eventually(t, "bob hearing of himself", func() bool {
		return slices.Equal(presenceOf(bobEvents), []string{"joined rooms/general " + sub(bob)})
	})

	// Members see who is there, over REST on the other instance and over
	// their socket.
	want := fmt.Sprintf(`{"channel":"rooms/general","connections":2,"users":[%s]}`, strings.Join(sortedUsers(sub(ada), sub(bob)), ","))
	status, m := api(t, b.URL, "GET", "/presence/rooms%2Fgeneral", ada, nil)
	if got, _ := json.Marshal(m); status != 200 || string(got) != want {
		t.Fatalf("ada on B: %d %s, want %s", status, got, want)
	}
	res, err := bobConn.Call("get", "presence", "rooms/general", map[string]any{})
	if err != nil || len(res) < 2 {
		t.Fatalf("bob's socket: %v %v", res, err)
	}
	if got := compact(res[1]); got != want {
		t.Fatalf("bob's socket: %s, want %s", got, want)
	}
	// Anyone else: the same 403 for the room, for a room that does not
	// exist, for an untracked channel; 401 without a token.
	for _, path := range []string{"/presence/rooms%2Fgeneral", "/presence/rooms%2Fnobody", "/presence/authenticated", "/presence?channel=rooms%2Fgeneral"} {
		status, m := api(t, a.URL, "GET", path, carl, nil)
		if status != 403 || m["message"] != "You are not a member of this channel" {
			t.Errorf("carl GET %s: %d %v", path, status, m)
		}
	}
	if status, _ := api(t, a.URL, "GET", "/presence/rooms%2Fgeneral", "", nil); status != 401 {
		t.Errorf("anonymous: %d", status)
	}
	if _, err := adaConn.Call("get", "presence", "rooms/elsewhere", map[string]any{}); err == nil || !strings.Contains(err.Error(), `"Forbidden"`) {
		t.Errorf("ada asking for a room she is not in: %v", err)
	}

	// A goes silent: B forgets ada after the timeout (1s), and tells bob.
	start := time.Now()
	px.Refuse()
	eventually(t, "bob hearing ada leave", func() bool {
		return slices.Contains(presenceOf(bobEvents), "left rooms/general "+sub(ada))
	})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ada left after %v; the timeout is 1s, reports every 300ms", d)
	}
	if status, _ := api(t, b.URL, "GET", "/presence/rooms%2Fgeneral", ada, nil); status != 403 {
		t.Errorf("ada is gone from B's view, yet a member: %d", status)
	}
	px.Restore() // back: she joins again
	eventually(t, "bob hearing ada again", func() bool {
		p := presenceOf(bobEvents)
		return p[len(p)-1] == "joined rooms/general "+sub(ada)
	})
	// Leaving the room is a left event for the others.
	if _, err := adaConn.Call("remove", "rooms", "general", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob hearing ada leave the room", func() bool {
		p := presenceOf(bobEvents)
		return p[len(p)-1] == "left rooms/general "+sub(ada)
	})
}

func sortedUsers(subs ...string) []string {
	slices.Sort(subs)
	var out []string
	for _, s := range subs {
		out = append(out, fmt.Sprintf(`{"connections":1,"user":%q}`, s))
	}
	return out
}

func compact(raw json.RawMessage) string {
	var v any
	json.Unmarshal(raw, &v)
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRecoveryClient drives recovery with socket.io-client and the helper of
// docs/realtime.md, against two instances on one JetStream and one MongoDB:
// a socket that leaves one comes back on the other.
func TestRecoveryClient(t *testing.T) {
	nodeModules(t)
	natsURL := natstest.Server(t, true)
	store, err := embedded.Start(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := map[string]string{"NATS_URL": natsURL, "MONGODB_URL": strings.TrimSuffix(store.URI(), "/") + "/recovery"}
	a := startPinion(t, "mongodb", env)
	b := startPinion(t, "mongodb", env)
	runNode(t, "js/recovery.test.mjs", map[string]string{"PINION_URL": a.URL, "PINION_URL_2": b.URL})
}
