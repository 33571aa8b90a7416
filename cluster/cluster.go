// Package cluster shares service events and presence between Pinion
// instances over NATS, for when one machine is not enough: an event caused on
// one instance reaches the clients connected to every other (through their
// channels), and the listeners there (the user cache, live sessions) stay in
// step.
//
//	node, err := cluster.Join(ctx, app, cluster.Options{URL: "nats://nats:4222"})
//	defer node.Close()
//
// With JetStream (the default when the NATS server has it), events go through
// one stream: each instance publishes its events once (with their id, which
// JetStream de-duplicates retries by), and every instance, the publisher
// included, delivers them to its connections in the stream's order, each
// once, at the stream's sequence as their position. An instance cut off from
// NATS keeps its own events and publishes them when it is back, and receives,
// in order, what the others published meanwhile; one that starts fills its
// history from the stream, so that a client that comes back on another
// instance than the one it left recovers there. The stream keeps the last
// events (HistoryOptions' count and age).
//
// Without JetStream (Options.JetStream "off", or a server without it), events
// travel on NATS core: at most once, in order per instance; an instance cut
// off misses what was published meanwhile, and positions are each instance's
// own, so a client that comes back on another instance is told to fetch
// again.
//
// Presence always travels on NATS core: each instance sends its share of the
// tracked channels when it changes and every PresenceInterval; the share of
// an instance not heard from for PresenceTimeout is dropped (its users leave).
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pinionhq/pinion"
)

// DefaultSubject carries the events.
const DefaultSubject = "pinion.events"

// Options configure a Node.
type Options struct {
	// URL of the NATS server(s), comma-separated.
	URL string
	// Subject for the events (default DefaultSubject); instances of different
	// apps on one NATS use different subjects. Presence uses
	// Subject + ".presence".
	Subject string
	// Name identifies this instance to NATS (in its monitoring).
	Name   string
	Logger *slog.Logger
	// JetStream is "auto" (default: JetStream when the server has it),
	// "on" (Join fails without it) or "off" (NATS core).
	JetStream string
	// Stream is the JetStream stream's name (default: from Subject,
	// "pinion.events" → "PINION_EVENTS").
	Stream string
	// Counted, if set, is told of every event shared with the other
	// instances: received false for one this instance published, true for
	// one it got from another (metrics.Metrics.ClusterEvent).
	Counted func(received bool)
	// Replicas of the stream in a NATS cluster (default 1).
	Replicas int
	// Wait bounds how long a call waits for its own event to come back from
	// the stream, so that its client gets the event before the answer, as
	// Feathers sends them (default 2s; the event comes later when NATS is
	// away).
	Wait time.Duration
	// PresenceInterval is how often an instance sends its presence (default
	// 5s); PresenceTimeout is how long another's lasts without news
	// (default 3 intervals).
	PresenceInterval, PresenceTimeout time.Duration
}

// Node is this instance's membership in the cluster.
type Node struct {
	app     *pinion.App
	id      string
	subject string
	opts    Options
	nc      *nats.Conn
	sub     *nats.Subscription
	stop    func()
	logger  *slog.Logger

	js       *jetStream // nil on NATS core
	presence *presence
}

// message is an event on the wire.
type message struct {
	Origin string `json:"origin"`
	// ID is the event's id: JetStream de-duplicates by it, instances too.
	ID   string `json:"id,omitempty"`
	Path string `json:"path"`
	Name string `json:"name"`
	// Data is the event's external form (Dispatch when a hook set one): what
	// a client may see. Records as stored (password hashes, …) and
	// credentials never leave the instance.
	Data json.RawMessage `json:"data"`
	// Dispatch is what instances of earlier versions sent beside the raw
	// record in Data; read, never written, so that during a rolling update
	// clients of this instance still get the external form.
	Dispatch json.RawMessage `json:"dispatch,omitempty"`
}

// Join connects app to the cluster: its events are published, and the events of
// other instances are received.
func Join(ctx context.Context, app *pinion.App, o Options) (*Node, error) {
	if o.Subject == "" {
		o.Subject = DefaultSubject
	}
	if o.Logger == nil {
		o.Logger = app.Logger()
	}
	if o.Stream == "" {
		o.Stream = strings.ToUpper(strings.NewReplacer(".", "_", "*", "_", ">", "_").Replace(o.Subject))
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	if o.PresenceInterval <= 0 {
		o.PresenceInterval = 5 * time.Second
	}
	if o.PresenceTimeout <= 0 {
		o.PresenceTimeout = 3 * o.PresenceInterval
	}
	n := &Node{app: app, id: uuid.NewString(), subject: o.Subject, opts: o, logger: o.Logger}
	nc, err := nats.Connect(o.URL,
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectBufSize(-1), // what is published while away waits in the outbox, not here
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.Logger.Warn("cluster: disconnected from NATS; events are shared again once it is back", "error", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { o.Logger.Info("cluster: reconnected to NATS") }),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to NATS at %s: %w", o.URL, err)
	}
	n.nc = nc
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	fail := func(err error) (*Node, error) {
		if n.js != nil {
			n.js.close()
		}
		nc.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	switch o.JetStream {
	case "", "auto", "on":
		js, err := startJetStream(ctx, n)
		switch {
		case err == nil:
			n.js = js
		case errors.Is(err, errNoJetStream) && o.JetStream != "on":
			o.Logger.Warn("cluster: the NATS server has no JetStream: events are shared on NATS core, at most once (see docs/scaling.md)")
		default:
			return fail(err)
		}
	case "off":
	default:
		return fail(fmt.Errorf("JetStream is %q: want auto, on or off", o.JetStream))
	}
	if n.js == nil {
		if n.sub, err = nc.Subscribe(o.Subject, n.receive); err != nil {
			return fail(err)
		}
		n.stop = app.OnEvent(n.publish)
	} else {
		n.stop = func() {}
	}
	if n.presence, err = startPresence(n); err != nil {
		return fail(err)
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		return fail(err)
	}
	return n, nil
}

// ID is this instance's id in the cluster.
func (n *Node) ID() string { return n.id }

// JetStream reports whether events go through JetStream.
func (n *Node) JetStream() bool { return n.js != nil }

// encode is the wire form of a local event.
func (n *Node) encode(e pinion.Event) ([]byte, error) {
	m := message{Origin: n.id, ID: e.ID, Path: e.Path, Name: e.Name}
	var err error
	if m.Data, err = json.Marshal(e.External()); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// decode reads an event of the wire.
func decode(b []byte) (message, pinion.Event, error) {
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return m, pinion.Event{}, err
	}
	if m.Path == "" || m.Name == "" {
		return m, pinion.Event{}, errors.New("no path or name")
	}
	e := pinion.Event{Path: m.Path, Name: m.Name, ID: m.ID}
	if len(m.Dispatch) > 0 {
		m.Data = m.Dispatch
	}
	if err := json.Unmarshal(m.Data, &e.Data); err != nil {
		return m, e, err
	}
	return m, e, nil
}

// publish sends a local event to the other instances on NATS core. It never
// blocks the call that caused the event: NATS buffers.
func (n *Node) publish(ctx context.Context, e pinion.Event) {
	if e.Remote {
		return
	}
	b, err := n.encode(e)
	if err != nil {
		n.logger.Error("cluster: an event could not be encoded", "path", e.Path, "event", e.Name, "error", err)
		return
	}
	if err := n.nc.Publish(n.subject, b); err != nil {
		n.logger.Warn("cluster: publishing an event", "error", err)
		return
	}
	n.count(false)
}

// count tells Options.Counted of an event shared: published, or received.
func (n *Node) count(received bool) {
	if n.opts.Counted != nil {
		n.opts.Counted(received)
	}
}

// receive hands an event of another instance to this one (NATS core).
func (n *Node) receive(msg *nats.Msg) {
	m, e, err := decode(msg.Data)
	if err != nil {
		n.logger.Warn("cluster: ignoring a malformed event", "error", err)
		return
	}
	if m.Origin == n.id {
		return
	}
	n.count(true)
	n.app.Receive(context.Background(), e)
}

// Close leaves the cluster: the presence of this instance's users ends at
// once on the others.
func (n *Node) Close() error {
	n.stop()
	if n.presence != nil {
		n.presence.close()
	}
	if n.js != nil {
		n.js.close()
	}
	return n.nc.Drain()
}

// epochOf is the epoch of a stream: when it was created, so that a stream
// deleted and made again (its sequence starts over) has another.
func epochOf(created time.Time) string {
	return "js" + strconv.FormatInt(created.UnixNano(), 36)
}

var errNoJetStream = errors.New("JetStream is not enabled")

// jetStream is a Node's JetStream side: the outbox of local events, and the
// consumer that delivers every event of the stream in order.
type jetStream struct {
	n    *Node
	js   jetstream.JetStream
	cons jetstream.ConsumeContext

	outbox chan pinion.Event
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	waiting map[string]*local // local events published, not delivered yet
	recent  map[string]bool   // ids delivered lately: a duplicate is dropped
	order   []string          // recent, oldest first
}

type local struct {
	e         pinion.Event
	delivered chan struct{}
}

func startJetStream(ctx context.Context, n *Node) (*jetStream, error) {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return nil, err
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) ||
			errors.Is(err, nats.ErrNoResponders) {
			return nil, errNoJetStream
		}
		return nil, err
	}
	h := n.app.HistoryOptions() // the stream keeps what the app's history keeps
	cfg := jetstream.StreamConfig{
		Name:        n.opts.Stream,
		Description: "Pinion service events (history for recovery)",
		Subjects:    []string{n.subject},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     int64(max(h.MaxEvents, 1)),
		MaxAge:      h.MaxAge,
		Duplicates:  min(2*time.Minute, h.MaxAge),
		Storage:     jetstream.FileStorage,
		Replicas:    max(n.opts.Replicas, 1),
	}
	stream, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("JetStream stream %s: %w", cfg.Name, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	j := &jetStream{n: n, js: js, outbox: make(chan pinion.Event, 100_000), done: make(chan struct{}),
		waiting: map[string]*local{}, recent: map[string]bool{}}
	// The history starts where the stream does: a client that left another
	// instance recovers here.
	first, last := info.State.FirstSeq, info.State.LastSeq
	if info.State.Msgs == 0 {
		first = last + 1
	}
	n.app.ResetHistory(epochOf(info.Created), first)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: first,
	})
	if err != nil {
		return nil, err
	}
	// What the stream holds already fills the history, sent to nobody.
	caughtUp := make(chan struct{})
	var once sync.Once
	if last < first {
		once.Do(func() { close(caughtUp) })
	}
	j.cons, err = cons.Consume(func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil {
			return
		}
		j.handle(msg.Data(), meta.Sequence.Stream, meta.Sequence.Stream <= last)
		if meta.Sequence.Stream >= last {
			once.Do(func() { close(caughtUp) })
		}
	}, jetstream.PullHeartbeat(time.Second), jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, nats.ErrConnectionClosed) {
				n.logger.Debug("cluster: JetStream consumer", "error", err)
			}
		}))
	if err != nil {
		return nil, err
	}
	select {
	case <-caughtUp:
	case <-ctx.Done():
		j.cons.Stop()
		return nil, fmt.Errorf("reading the stream's history: %w", ctx.Err())
	}
	j.wg.Add(1)
	go j.publishing()
	n.app.SetRelay(j.relay)
	return j, nil
}

// relay takes a local event: it goes to the outbox, and the call waits
// (Options.Wait at most) until the event is back from the stream and
// delivered here.
func (j *jetStream) relay(ctx context.Context, e pinion.Event) {
	l := &local{e: e, delivered: make(chan struct{})}
	j.mu.Lock()
	j.waiting[e.ID] = l
	j.mu.Unlock()
	t := time.NewTimer(j.n.opts.Wait)
	defer t.Stop()
	select {
	case j.outbox <- e:
	case <-t.C:
		j.n.logger.Error("cluster: the outbox is full (NATS has been away long): an event is lost", "path", e.Path, "event", e.Name)
		j.mu.Lock()
		delete(j.waiting, e.ID)
		j.mu.Unlock()
		return
	}
	select {
	case <-l.delivered:
	case <-t.C:
	case <-ctx.Done():
	case <-j.done:
	}
}

// publishing publishes the outbox in order, each event until JetStream has it.
func (j *jetStream) publishing() {
	defer j.wg.Done()
	for {
		var e pinion.Event
		select {
		case e = <-j.outbox:
		case <-j.done:
			return
		}
		b, err := j.n.encode(e)
		if err != nil {
			j.n.logger.Error("cluster: an event could not be encoded", "path", e.Path, "event", e.Name, "error", err)
			j.forget(e.ID)
			continue
		}
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := j.js.Publish(ctx, j.n.subject, b, jetstream.WithMsgID(e.ID))
			cancel()
			if err == nil {
				j.n.count(false)
				break
			}
			j.n.logger.Debug("cluster: publishing an event again", "error", err)
			select {
			case <-j.done:
				return
			case <-time.After(wait):
			}
		}
	}
}

func (j *jetStream) forget(id string) {
	j.mu.Lock()
	delete(j.waiting, id)
	j.mu.Unlock()
}

// handle delivers one event of the stream at its sequence: a local one as it
// happened here (its listeners ran then), another's through Receive (the
// listeners run now). history only records it.
func (j *jetStream) handle(b []byte, seq uint64, history bool) {
	m, e, err := decode(b)
	if err != nil {
		j.n.logger.Warn("cluster: ignoring a malformed event", "seq", seq, "error", err)
		return
	}
	j.mu.Lock()
	if e.ID != "" && j.recent[e.ID] {
		j.mu.Unlock()
		return // published twice (a retry after the de-duplication window)
	}
	if e.ID != "" {
		j.recent[e.ID] = true
		j.order = append(j.order, e.ID)
		if len(j.order) > 10_000 {
			delete(j.recent, j.order[0])
			j.order = j.order[1:]
		}
	}
	l := j.waiting[e.ID]
	delete(j.waiting, e.ID)
	j.mu.Unlock()
	e.Position = seq
	switch {
	case history:
		e.Remote = true
		j.n.app.Record(e)
	case l != nil && m.Origin == j.n.id:
		l.e.Position = seq
		j.n.app.Deliver(context.Background(), l.e)
		close(l.delivered)
	default:
		j.n.count(true)
		j.n.app.Receive(context.Background(), e)
	}
}

func (j *jetStream) close() {
	j.n.app.SetRelay(nil)
	// What waits in the outbox goes out first, if NATS lets it soon.
	for end := time.Now().Add(2 * time.Second); len(j.outbox) > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if j.cons != nil {
		j.cons.Stop()
	}
	close(j.done)
	j.wg.Wait()
}
