package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/pinionhq/pinion/internal/sioclient"
)

// jetStreamServer starts an embedded NATS server with JetStream.
func jetStreamServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// proxy forwards TCP connections to a NATS server and can cut them: an
// instance behind it loses NATS while the others keep it.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newProxy(t *testing.T, natsURL string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: strings.TrimPrefix(natsURL, "nats://")}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *proxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// setCut cuts every connection and refuses new ones, or lets them through
// again.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
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
	natsURL := jetStreamServer(t)
	px := newProxy(t, natsURL)
	env := func(url string) map[string]string {
		e := realtimeConfig(t)
		e["NATS_URL"] = url
		return e
	}
	a := startPinion(t, "memory", env(px.URL()))
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

	px.setCut(true)
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
	px.setCut(false)
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
}
