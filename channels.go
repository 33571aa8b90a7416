package pinion

import (
	"context"
	"encoding/json"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Channel is a set of real-time connections that events are published to, as in
// Feathers: app.Channel("authenticated").Join(conn), and a publisher returning
// that channel sends every event to its connections.
//
// A Channel value is a view: named channels are live (Join and Leave change
// them for everyone), Filter and Send return new views over the same members.
type Channel struct {
	app     *App
	names   []string
	filter  func(*Connection) bool
	data    any
	hasData bool
}

type channelRegistry struct {
	mu     sync.RWMutex
	byName map[string]map[*Connection]string // the user of each member (presence)
}

// Channel returns the channel of name, or the union of several channels. A
// channel exists while it has connections.
func (a *App) Channel(names ...string) *Channel {
	return &Channel{app: a, names: names}
}

// Channels returns the names of the channels that have connections.
func (a *App) Channels() []string {
	r := &a.channels
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.byName))
}

// LeaveAll removes conn from every channel. Transports call it (through
// Disconnected) when a connection ends, and logout does too.
func (a *App) LeaveAll(conn *Connection) {
	r := &a.channels
	r.mu.Lock()
	var changes []presenceChange
	var touched []string
	p := &a.presence
	p.mu.Lock()
	for name, members := range r.byName {
		user, ok := members[conn]
		if !ok {
			continue
		}
		delete(members, conn)
		if len(members) == 0 {
			delete(r.byName, name)
		}
		if user != "" {
			changes = p.add(name, user, -1, changes)
			touched = append(touched, name)
		}
	}
	p.mu.Unlock()
	r.mu.Unlock()
	a.presenceChanged(changes, touched)
}

// Join adds connections to every named channel of ch. Joining twice is harmless;
// a connection that ended (Disconnected) is not added.
func (ch *Channel) Join(conns ...*Connection) *Channel {
	a := ch.app
	r := &a.channels
	r.mu.Lock()
	if r.byName == nil {
		r.byName = map[string]map[*Connection]string{}
	}
	var changes []presenceChange
	var touched []string
	p := &a.presence
	p.mu.Lock()
	for _, name := range ch.names {
		for _, c := range conns {
			if c == nil || c.ctx.Err() != nil {
				continue
			}
			members := r.byName[name]
			if members == nil {
				members = map[*Connection]string{}
				r.byName[name] = members
			}
			user := ""
			if p.tracked(name) {
				user = userOf(c)
			}
			prev, was := members[c]
			if was && prev == user {
				continue
			}
			members[c] = user
			if was && prev != "" {
				changes = p.add(name, prev, -1, changes)
			}
			if user != "" || was && prev != "" {
				changes = p.add(name, user, 1, changes)
				touched = append(touched, name)
			}
		}
	}
	p.mu.Unlock()
	r.mu.Unlock()
	a.presenceChanged(changes, touched)
	return ch
}

// Leave removes connections from every named channel of ch.
func (ch *Channel) Leave(conns ...*Connection) *Channel {
	return ch.LeaveFunc(func(c *Connection) bool { return slices.Contains(conns, c) })
}

// LeaveFunc removes the connections for which fn reports true.
func (ch *Channel) LeaveFunc(fn func(*Connection) bool) *Channel {
	a := ch.app
	r := &a.channels
	r.mu.Lock()
	var changes []presenceChange
	var touched []string
	p := &a.presence
	p.mu.Lock()
	for _, name := range ch.names {
		members := r.byName[name]
		for c, user := range members {
			if fn(c) {
				delete(members, c)
				if user != "" {
					changes = p.add(name, user, -1, changes)
					touched = append(touched, name)
				}
			}
		}
		if len(members) == 0 {
			delete(r.byName, name)
		}
	}
	p.mu.Unlock()
	r.mu.Unlock()
	a.presenceChanged(changes, touched)
	return ch
}

// Filter returns a view of ch with only the connections fn accepts.
func (ch *Channel) Filter(fn func(*Connection) bool) *Channel {
	c := *ch
	prev := ch.filter
	c.filter = func(conn *Connection) bool { return (prev == nil || prev(conn)) && fn(conn) }
	return &c
}

// Send returns a view of ch whose connections receive data instead of the
// event's own payload.
func (ch *Channel) Send(data any) *Channel {
	c := *ch
	c.data, c.hasData = data, true
	return &c
}

// Has reports whether conn is in ch: in one of its channels, and accepted
// by its filter.
func (ch *Channel) Has(conn *Connection) bool {
	r := &ch.app.channels
	r.mu.RLock()
	in := false
	for _, name := range ch.names {
		if _, ok := r.byName[name][conn]; ok {
			in = true
			break
		}
	}
	r.mu.RUnlock()
	return in && (ch.filter == nil || ch.filter(conn))
}

// Connections returns the members of ch, each once.
func (ch *Channel) Connections() []*Connection {
	r := &ch.app.channels
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*Connection
	var seen map[*Connection]bool
	if len(ch.names) > 1 {
		seen = map[*Connection]bool{}
	}
	for _, name := range ch.names {
		for c := range r.byName[name] {
			if seen != nil {
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			if ch.filter == nil || ch.filter(c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Len is the number of connections in ch.
func (ch *Channel) Len() int { return len(ch.Connections()) }

// Publisher decides which channels receive an event. Returning nothing sends it
// nowhere.
//
// A publisher runs in the call that caused the event, before the event takes
// its place in the app's history, so it may take its time and read: call
// services that emit nothing (a find of the members of a room), read
// App.Position. What connections are in the chosen channels is read when the
// event is sent, in position order; the event's Position is 0 in a publisher
// of a local event.
//
// A publisher chooses and does nothing else: it runs again for each
// connection that recovers the event, and on every instance an event reaches
// (multi-instance sync), so a side effect there (a record written, an event
// emitted) would happen many times; with JetStream, an event emitted there
// would also wait for the publisher's own delivery to end.
type Publisher func(ctx context.Context, e Event) []*Channel

type publishers struct {
	mu      sync.RWMutex
	all     Publisher
	byEvent map[string]Publisher
}

func (p *publishers) set(event string, fn Publisher) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if event == "" {
		p.all = fn
		return
	}
	if p.byEvent == nil {
		p.byEvent = map[string]Publisher{}
	}
	p.byEvent[event] = fn
}

func (p *publishers) get(event string) Publisher {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if fn := p.byEvent[event]; fn != nil {
		return fn
	}
	return p.all
}

// Publish sets the app's publisher for every event of every service. It
// replaces the default publisher (see DefaultPublisher).
func (a *App) Publish(fn Publisher) { a.publishers.set("", fn) }

// Every connection is in one of two channels: Anonymous from the moment it
// connects, Authenticated once it logs in (the authentication service moves
// it, and back on logout).
const (
	Anonymous     = "anonymous"
	Authenticated = "authenticated"
)

// DefaultPublisher sets the publisher of events that no publisher set with
// Publish or PublishEvent (the app's or the service's) decides. An app
// without one sends every event to every connection; authentication.Install
// makes it the Authenticated channel, as a generated Feathers app does.
func (a *App) DefaultPublisher(fn Publisher) { a.fallback.Store(&fn) }

func (a *App) everyone(ctx context.Context, e Event) []*Channel {
	return []*Channel{a.Channel(Anonymous, Authenticated)}
}

// PublishEvent sets the app's publisher for one event name ("created", …).
func (a *App) PublishEvent(event string, fn Publisher) { a.publishers.set(event, fn) }

// Publish sets the service's publisher for all its events; it takes precedence
// over the app's publishers.
func (s *Service) Publish(fn Publisher) { s.publishers.set("", fn) }

// PublishEvent sets the service's publisher for one of its events. It panics for
// an event the service does not have, like Feathers.
func (s *Service) PublishEvent(event string, fn Publisher) {
	if defaultEventName(event) == "" && !s.customEvent(event) {
		panic("pinion: '" + event + "' is not a valid service event")
	}
	s.publishers.set(event, fn)
}

func defaultEventName(e string) string {
	switch e {
	case "created", "updated", "patched", "removed":
		return e
	}
	return ""
}

// publisher finds the publisher of an event with Feathers' precedence: service
// for the event, service for all, app for the event, app for all.
func (a *App) publisher(e Event) Publisher {
	if s := a.Service(e.Path); s != nil {
		if fn := s.publishers.get(e.Name); fn != nil {
			return fn
		}
	}
	if fn := a.publishers.get(e.Name); fn != nil {
		return fn
	}
	if fn := a.fallback.Load(); fn != nil {
		return *fn
	}
	return a.everyone
}

// Dispatch is Deliver: it records the event in the history and sends it to
// the connections its publisher chooses.
func (a *App) Dispatch(ctx context.Context, e Event) { a.Deliver(ctx, e) }

// channelsOf runs the event's publisher: the channels it is sent to. It runs
// outside the app's event order (see Publisher).
func (a *App) channelsOf(ctx context.Context, e Event) []*Channel {
	fn := a.publisher(e)
	if fn == nil {
		return nil
	}
	chans := fn(ctx, e)
	if !a.owned.Load() {
		return chans
	}
	if s := a.Service(e.Path); s != nil && s.owner != nil {
		// An owned service's events reach their owner only, whoever published.
		chans = s.owner.narrow(e, chans)
	}
	return chans
}

// dispatch sends an event to the connections of chans, each connection once,
// as "<path> <event>" with its id and position. The payload is encoded once
// (data, e.External()) and the message shared by every connection that gets
// the same data. It runs under the history's lock, in position order.
func (a *App) dispatch(e Event, payload json.RawMessage, chans []*Channel) {
	if len(chans) == 0 {
		return
	}
	name := e.Path + " " + e.Name
	var meta json.RawMessage
	var position string
	var seen map[*Connection]bool
	var shared *Message
	for _, ch := range chans {
		if ch == nil {
			continue
		}
		conns := ch.Connections()
		if len(conns) == 0 {
			continue
		}
		if meta == nil {
			meta = metaOf(e, a.history.epoch)
			position = formatPosition(a.history.epoch, e.Position)
		}
		m := shared
		if ch.hasData {
			data := a.encode(ch.data)
			if data == nil {
				continue
			}
			m = newMessage(&Message{Event: name, Data: data, Meta: meta, ID: e.ID, Position: position})
		} else if m == nil {
			if payload == nil {
				continue
			}
			shared = newMessage(&Message{Event: name, Data: payload, Meta: meta, ID: e.ID, Position: position})
			m = shared
		}
		if seen == nil && len(chans) > 1 {
			seen = make(map[*Connection]bool, len(conns))
		}
		for _, c := range conns {
			if seen != nil {
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			// A connection gets each position once, in order: a recovery
			// may have sent it already, or sends it after the replay.
			if c.holding {
				a.hold(c, m)
				continue
			}
			if c.pos.Load() >= e.Position {
				continue
			}
			c.pos.Store(e.Position)
			a.history.out = append(a.history.out, delivery{c, m})
		}
	}
	a.history.out = fanOut(a.history.out)
}

// delivery is a message due to a connection.
type delivery struct {
	c *Connection
	m *Message
}

// A fan-out is shared among goroutines only when its deliveries are slow
// enough to gain from it: the first fanOutShare are made in turn, and if
// they took fanOutSlow or more, the rest is split. A socket write takes
// microseconds, more than starting a goroutine on another core; a delivery
// to an in-memory queue takes a fraction of one, and stays on the
// publisher's goroutine.
const (
	fanOutShare = 128
	fanOutSlow  = fanOutShare * time.Microsecond
)

// fanOut makes the deliveries of one event and returns ds emptied, for
// reuse. A large fan-out of slow deliveries is shared among as many
// goroutines as there are processors, which write to the sockets side by
// side; it returns when all are done, so that the next event's deliveries
// come after this one's on every connection. (On a busy machine, a fan-out
// on one core waits for that core's turns; spread over all, it is done in
// a fraction of the time.)
func fanOut(ds []delivery) []delivery {
	start := time.Now()
	first := ds[:min(fanOutShare, len(ds))]
	deliverEach(first)
	if rest := ds[len(first):]; time.Since(start) >= fanOutSlow {
		deliverShared(rest, runtime.GOMAXPROCS(0))
	} else {
		deliverEach(rest)
	}
	clear(ds) // the connections and messages are not kept for the next event
	return ds[:0]
}

// deliverEach makes the deliveries one after the other.
func deliverEach(ds []delivery) {
	for _, d := range ds {
		d.c.deliver(d.m)
	}
}

// deliverShared makes the deliveries on up to procs goroutines, the
// caller's and others, at least fanOutShare each, and returns when all are
// made.
func deliverShared(ds []delivery, procs int) {
	parts := min(procs, len(ds)/fanOutShare)
	if parts <= 1 {
		deliverEach(ds)
		return
	}
	var wg sync.WaitGroup
	size := (len(ds) + parts - 1) / parts
	for part := ds[size:]; len(part) > 0; part = part[min(size, len(part)):] {
		wg.Go(func() { deliverEach(part[:min(size, len(part))]) })
	}
	deliverEach(ds[:size])
	wg.Wait()
}

func (a *App) encode(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		a.logger.Error("an event payload could not be encoded as JSON", "error", err)
		return nil
	}
	return b
}
