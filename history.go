package pinion

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Every service event delivered to connections has an id and a position.
//
// The id names the event wherever it travels (on NATS, in JetStream, to
// clients): "<origin>-<n>", the instance that caused it and a counter. It is
// what instances de-duplicate by.
//
// The position is the event's place in the app's history: a sequence number
// that grows by one per event, in the order in which connections receive
// events, within an epoch. On one instance the epoch is drawn at start (a
// restart begins a new history); across instances sharing a JetStream stream
// it is the stream's, and the sequence is the stream's, so that a position
// handed out by one instance means the same on every other. On the wire a
// position is "<epoch>.<sequence>".
//
// The history keeps the last events (HistoryOptions: a count and an age) with
// what they carried, so that a client that reconnects with the position of
// the last event it got receives what it missed, in order, before anything
// new (App.Recover), or learns that it cannot (EventRecoveryFailed) and must
// fetch again. What it receives is what its channels would send it now: the
// publishers run again for each missed event, with the connection as it is.

// EventRecoveryFailed is sent to a connection whose recovery is refused, with
// a Feathers error: BadRequest for a position that is not one (malformed, or
// ahead of the history: never handed out), Gone when the events after it are
// no longer all kept (another epoch, older than the history, or more than
// HistoryOptions.MaxReplay of them). The client then fetches what it shows
// again.
const EventRecoveryFailed = "recovery failed"

// HistoryOptions bound the events kept for recovery.
type HistoryOptions struct {
	// MaxEvents is the number of events kept (default 1,000; negative keeps
	// none, which turns recovery off).
	MaxEvents int
	// MaxAge is how long an event is kept (default 5 minutes).
	MaxAge time.Duration
	// MaxBytes bounds the payloads kept, in bytes (default 16 MiB): a few
	// large events do not hold more.
	MaxBytes int
	// MaxReplay is the most missed events one recovery replays (default
	// MaxEvents; the live events held while it replays come on top): a
	// client that missed more is told to fetch again.
	MaxReplay int
}

func (o HistoryOptions) withDefaults() HistoryOptions {
	if o.MaxEvents == 0 {
		o.MaxEvents = 1000
	}
	if o.MaxEvents < 0 {
		o.MaxEvents = 0
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 5 * time.Minute
	}
	if o.MaxReplay <= 0 || o.MaxReplay > o.MaxEvents {
		o.MaxReplay = o.MaxEvents
	}
	return o
}

// WithHistory sets the bounds of the app's event history.
func WithHistory(o HistoryOptions) Option { return func(a *App) { a.history.opts = o.withDefaults() } }

// Message is an event as connections receive it, built once per event and
// payload and shared by every connection that receives the same.
type Message struct {
	// Event is "<path> <name>".
	Event string
	// Data is the payload, as JSON.
	Data json.RawMessage
	// Meta is {"id":…,"position":…} as JSON: the socket transport sends it as
	// the event's second argument (a Feathers client's listener gets it as
	// its second parameter, and ignores it), the stream in the frame. Nil for
	// messages that are not service events.
	Meta json.RawMessage
	// ID and Position are the event's (Position "" for none).
	ID, Position string

	boxed any // Data as an any, for Send: boxed once, not per connection
}

func newMessage(m *Message) *Message {
	m.boxed = m.Data
	return m
}

type entry struct {
	e    Event
	at   time.Time
	data json.RawMessage // e.External(), encoded
}

// history is the app's sequencer: every delivery to connections runs under
// its lock, in position order.
type history struct {
	opts HistoryOptions

	mu      sync.Mutex
	epoch   string
	seq     uint64  // position of the last event delivered
	entries []entry // ring, oldest first from head
	head    int
	n       int
	trimmed uint64 // position of the newest event no longer kept (0: none dropped)
	bytes   int    // of the kept payloads

	out []delivery // the deliveries of the event being dispatched, reused
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return idEncoding.EncodeToString(b)
}

// Epoch is the epoch of the app's positions.
func (a *App) Epoch() string {
	h := &a.history
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.epoch
}

// MaxReplay is the most missed events one recovery replays (HistoryOptions).
func (a *App) MaxReplay() int { return a.history.opts.MaxReplay }

// HistoryOptions are the bounds of the app's event history (WithHistory),
// defaults filled in.
func (a *App) HistoryOptions() HistoryOptions { return a.history.opts }

// InstanceID names this app instance in event ids.
func (a *App) InstanceID() string { return a.instance }

// ResetHistory starts a new epoch: the history is emptied and the next
// event takes position next (1 when 0). Multi-instance sync calls it with
// the shared log's epoch and sequence before it delivers the log's events.
func (a *App) ResetHistory(epoch string, next uint64) {
	h := &a.history
	h.mu.Lock()
	defer h.mu.Unlock()
	h.epoch = epoch
	h.seq = max(next, 1) - 1
	h.trimmed = h.seq
	h.entries, h.head, h.n, h.bytes = nil, 0, 0, 0
}

// Position is the position of the last event delivered, "<epoch>.<sequence>".
func (a *App) Position() string {
	h := &a.history
	h.mu.Lock()
	defer h.mu.Unlock()
	return formatPosition(h.epoch, h.seq)
}

func formatPosition(epoch string, seq uint64) string {
	return epoch + "." + strconv.FormatUint(seq, 10)
}

// parsePosition reads "<epoch>.<sequence>".
func parsePosition(s string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || len(s) > 128 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return s[:i], seq, true
}

var eventCounter atomic.Uint64

// newEventID names a local event.
func (a *App) newEventID() string {
	return a.instance + "-" + strconv.FormatUint(eventCounter.Add(1), 36)
}

// SetRelay hands the delivery of this instance's events to relay: the app
// gives each local event, after its listeners ran, to relay instead of to the
// channels, and relay hands it back, at its place in a log shared by every
// instance, with Deliver. JetStream sync sets it; nil gives delivery back to
// the app.
func (a *App) SetRelay(relay func(ctx context.Context, e Event)) {
	if relay == nil {
		a.relay.Store(nil)
		return
	}
	a.relay.Store(&relay)
}

// Deliver records an event in the history and sends it to the connections
// its publisher chooses. An event with a Position must come after the last
// one delivered (earlier ones are duplicates and are dropped, reported
// false); one without takes the next position. Listeners do not run: the
// event is local (they ran when it happened) or they ran in Receive.
func (a *App) Deliver(ctx context.Context, e Event) bool {
	return a.deliver(ctx, e, true)
}

// Record keeps an event in the history without sending it: multi-instance
// sync fills the history of a starting instance with the shared log's
// latest events, which no connection of it is owed.
func (a *App) Record(e Event) bool { return a.deliver(context.Background(), e, false) }

func (a *App) deliver(ctx context.Context, e Event, send bool) bool {
	h := &a.history
	if e.ID == "" {
		e.ID = a.newEventID()
	}
	// Encoded and published before the lock: deliveries wait for each
	// other only while their connections are sent to, so a slow publisher
	// holds up its own event only.
	var data json.RawMessage
	if send || h.opts.MaxEvents > 0 {
		data = a.encode(e.External())
	}
	var chans []*Channel
	if send {
		chans = a.channelsOf(ctx, e)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.Position == 0 {
		e.Position = h.seq + 1
	} else if e.Position <= h.seq {
		return false
	}
	h.seq = e.Position
	if send {
		a.dispatch(e, data, chans)
	}
	if h.opts.MaxEvents > 0 && data != nil {
		kept := e
		kept.Context = nil // what a hook context holds is not kept
		h.add(entry{e: kept, at: time.Now(), data: data})
	}
	return true
}

func (h *history) add(en entry) {
	if h.entries == nil {
		h.entries = make([]entry, min(h.opts.MaxEvents, 64))
	}
	if h.n == len(h.entries) && h.n < h.opts.MaxEvents {
		// grow, oldest first
		grown := make([]entry, min(2*len(h.entries), h.opts.MaxEvents))
		for i := range h.n {
			grown[i] = h.entries[(h.head+i)%len(h.entries)]
		}
		h.entries, h.head = grown, 0
	}
	if h.n == len(h.entries) { // full: drop the oldest
		h.drop()
	}
	h.entries[(h.head+h.n)%len(h.entries)] = en
	h.n++
	h.bytes += len(en.data)
	for h.bytes > h.opts.MaxBytes && h.n > 0 {
		h.drop()
	}
	h.expire(en.at)
}

// drop forgets the oldest kept event.
func (h *history) drop() {
	old := &h.entries[h.head]
	h.trimmed = old.e.Position
	h.bytes -= len(old.data)
	*old = entry{}
	h.head = (h.head + 1) % len(h.entries)
	h.n--
}

// expire drops the events older than MaxAge.
func (h *history) expire(now time.Time) {
	for h.n > 0 {
		old := &h.entries[h.head]
		if now.Sub(old.at) <= h.opts.MaxAge {
			return
		}
		h.drop()
	}
}

// at returns the i-th kept event, oldest first.
func (h *history) at(i int) *entry { return &h.entries[(h.head+i)%len(h.entries)] }

// Recover sends conn the events it missed since position, the position of the
// last event it received, in order and before any later event; or, when that
// cannot be done, EventRecoveryFailed with the reason. Transports call it
// for a connection that comes back with a position, once it is connected and
// in its channels (App.Connected does, for ConnectionOptions.Position). It
// reports whether the connection is complete again.
//
// The publishers of the missed events run again, for conn as it is now, and
// outside the app's event order: live events that come meanwhile are held
// for conn and sent after the replay.
func (a *App) Recover(ctx context.Context, conn *Connection, position string) bool {
	h := &a.history
	h.mu.Lock()
	defer h.mu.Unlock()
	// From here until the end, what is published for conn waits: the events
	// up to the head are replayed, the later ones held.
	conn.holding, conn.held, conn.overflow = true, nil, false
	defer func() { conn.holding, conn.held, conn.overflow = false, nil, false }()
	h.expire(time.Now())
	fail := func(err *Error) bool {
		conn.deliver(newMessage(&Message{Event: EventRecoveryFailed, Data: a.encode(err)}))
		return false
	}
	gone := func(reason string) bool {
		return fail(Gone("The events after this position are no longer kept: fetch again").WithData(map[string]any{"reason": reason}))
	}
	tooMany := func() bool {
		return fail(Gone("Too many events were missed: fetch again").WithData(map[string]any{"reason": "limit"}))
	}
	epoch, since, ok := parsePosition(position)
	switch {
	case !ok:
		return fail(BadRequest("Invalid position"))
	case epoch != h.epoch:
		return gone("epoch")
	case since > h.seq:
		return fail(BadRequest("Invalid position"))
	case since < h.trimmed:
		return gone("expired")
	case h.seq-since > uint64(h.opts.MaxReplay):
		return tooMany()
	}
	// What conn got live already is not sent again.
	kept := h.after(max(since, conn.pos.Load()))
	head := h.seq
	h.mu.Unlock()
	var sent []*Message
	for i := range kept {
		if conn.Context().Err() != nil {
			break // gone: nothing to send it
		}
		if m := a.replay(ctx, conn, epoch, &kept[i]); m != nil {
			sent = append(sent, m)
		}
	}
	h.mu.Lock()
	switch {
	case conn.Context().Err() != nil:
		return false
	case h.epoch != epoch: // the history was reset meanwhile
		return gone("epoch")
	case conn.overflow:
		return tooMany()
	}
	for _, m := range sent {
		conn.deliver(m)
	}
	for _, m := range conn.held {
		conn.deliver(m)
	}
	conn.pos.Store(max(head, h.seq))
	return true
}

// hold keeps a live message for a connection whose recovery is due or runs,
// as many as the history keeps (the events of the recovery's own time, not
// missed ones: MaxReplay does not bound them). Under the history lock.
func (a *App) hold(c *Connection, m *Message) {
	if len(c.held) >= a.history.opts.MaxEvents {
		c.overflow = true
		return
	}
	c.held = append(c.held, m)
}

// after returns copies of the kept events after position since, oldest
// first.
func (h *history) after(since uint64) []entry {
	first := sort.Search(h.n, func(i int) bool { return h.at(i).e.Position > since })
	out := make([]entry, 0, h.n-first)
	for i := first; i < h.n; i++ {
		out = append(out, *h.at(i))
	}
	return out
}

// replay is the message of one kept event for conn, if its publisher chooses
// conn now; nil if not.
func (a *App) replay(ctx context.Context, conn *Connection, epoch string, en *entry) *Message {
	for _, ch := range a.channelsOf(ctx, en.e) {
		if ch == nil || !ch.Has(conn) {
			continue
		}
		data := en.data
		if ch.hasData {
			if data = a.encode(ch.data); data == nil {
				return nil
			}
		}
		return newMessage(&Message{Event: en.e.Path + " " + en.e.Name, Data: data, Meta: metaOf(en.e, epoch),
			ID: en.e.ID, Position: formatPosition(epoch, en.e.Position)})
	}
	return nil
}

func metaOf(e Event, epoch string) json.RawMessage {
	b, _ := json.Marshal(struct {
		ID       string `json:"id"`
		Position string `json:"position"`
	}{e.ID, formatPosition(epoch, e.Position)})
	return b
}
