package pinion

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// Presence is who is connected in a channel: the users of its authenticated
// connections (the "sub" of their token), each with its number of
// connections, on every instance. Anonymous connections are not listed.
//
// When a user's first connection joins a channel, its members receive
// EventPresenceJoined; when the last one leaves, EventPresenceLeft; both with
// {"channel":…,"user":…}. With several instances, each shares its own
// members (multi-instance sync, through SetRemotePresence) and the events
// follow the totals: a user connected on two instances has not left until
// both connections have; an instance that stops sharing (it died) is
// forgotten after a timeout, and its users leave then.
const (
	EventPresenceJoined = "presence joined"
	EventPresenceLeft   = "presence left"
)

// Member is one user present in a channel.
type Member struct {
	User        string `json:"user"`
	Connections int    `json:"connections"`
}

// PresenceCounts are a channel's users and their connection counts.
type PresenceCounts map[string]int

type presence struct {
	track atomic.Pointer[func(channel string) bool]

	mu     sync.Mutex
	local  map[string]PresenceCounts            // channel → user → connections here
	remote map[string]map[string]PresenceCounts // instance → channel → user → connections
	watch  []func(channels []string)            // told which channels changed here
}

// TrackPresence sets the channels whose presence is kept: those for which
// track reports true (none by default). Every member of a tracked channel is
// told of every user who joins or leaves it, so track the channels whose
// members want that (rooms), not one that every connection is in.
func (a *App) TrackPresence(track func(channel string) bool) { a.presence.track.Store(&track) }

func (p *presence) tracked(channel string) bool {
	t := p.track.Load()
	return t != nil && *t != nil && (*t)(channel)
}

// Tracked reports whether the presence of channel is kept (TrackPresence).
func (a *App) Tracked(channel string) bool { return a.presence.tracked(channel) }

// userOf is the presence key of a connection: its token's subject.
func userOf(c *Connection) string {
	if a := c.Authentication(); a != nil {
		if sub, ok := a.Payload["sub"].(string); ok {
			return sub
		}
	}
	return ""
}

type presenceChange struct {
	channel, user string
	joined        bool
}

// total is the connections of user in channel on every instance. p.mu is
// held.
func (p *presence) total(channel, user string) int {
	n := p.local[channel][user]
	for _, chans := range p.remote {
		n += chans[channel][user]
	}
	return n
}

// add changes the local count of user in channel by d and reports the
// change of presence it makes, if any. p.mu is held.
func (p *presence) add(channel, user string, d int, out []presenceChange) []presenceChange {
	if user == "" || !p.tracked(channel) {
		return out
	}
	before := p.total(channel, user)
	if p.local == nil {
		p.local = map[string]PresenceCounts{}
	}
	counts := p.local[channel]
	if counts == nil {
		counts = PresenceCounts{}
		p.local[channel] = counts
	}
	counts[user] += d
	if counts[user] <= 0 {
		delete(counts, user)
		if len(counts) == 0 {
			delete(p.local, channel)
		}
	}
	after := p.total(channel, user)
	switch {
	case before == 0 && after > 0:
		out = append(out, presenceChange{channel, user, true})
	case before > 0 && after == 0:
		out = append(out, presenceChange{channel, user, false})
	}
	return out
}

// Presence returns the users present in channel, on every instance, sorted
// by user.
func (a *App) Presence(channel string) []Member {
	p := &a.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	users := map[string]int{}
	for u, n := range p.local[channel] {
		users[u] += n
	}
	for _, chans := range p.remote {
		for u, n := range chans[channel] {
			users[u] += n
		}
	}
	out := make([]Member, 0, len(users))
	for _, u := range slices.Sorted(maps.Keys(users)) {
		out = append(out, Member{User: u, Connections: users[u]})
	}
	return out
}

// InChannel reports whether user has a connection in channel, on any instance.
func (a *App) InChannel(channel, user string) bool {
	if user == "" {
		return false
	}
	p := &a.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total(channel, user) > 0
}

// LocalPresence is this instance's share of the presence of channels (all of
// them when none are named), for multi-instance sync.
func (a *App) LocalPresence(channels ...string) map[string]PresenceCounts {
	p := &a.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]PresenceCounts{}
	if len(channels) == 0 {
		channels = slices.Collect(maps.Keys(p.local))
	}
	for _, ch := range channels {
		out[ch] = maps.Clone(p.local[ch]) // nil: nobody here any more
	}
	return out
}

// OnPresence registers fn, told (without locks held) which channels' local
// presence changed. Multi-instance sync shares them.
func (a *App) OnPresence(fn func(channels []string)) {
	p := &a.presence
	p.mu.Lock()
	p.watch = append(p.watch, fn)
	p.mu.Unlock()
}

// SetRemotePresence records what another instance reports of channels:
// snapshot replaces what it reported of those channels (a nil or empty count
// means nobody there), or, with all, everything it reported before. Members
// here are told of the users who joined or left in total.
func (a *App) SetRemotePresence(instance string, snapshot map[string]PresenceCounts, all bool) {
	p := &a.presence
	p.mu.Lock()
	if p.remote == nil {
		p.remote = map[string]map[string]PresenceCounts{}
	}
	prev := p.remote[instance]
	touched := map[string]bool{}
	for ch := range snapshot {
		touched[ch] = true
	}
	if all {
		for ch := range prev {
			touched[ch] = true
		}
	}
	before := p.totals(touched)
	next := map[string]PresenceCounts{}
	if !all {
		maps.Copy(next, prev)
	}
	for ch, counts := range snapshot {
		if len(counts) == 0 {
			delete(next, ch)
		} else {
			next[ch] = maps.Clone(counts)
		}
	}
	if len(next) == 0 {
		delete(p.remote, instance)
	} else {
		p.remote[instance] = next
	}
	changes := diff(before, p.totals(touched))
	p.mu.Unlock()
	a.announce(changes)
}

// ForgetInstance drops what an instance reported (it left, or stopped
// reporting): its users leave.
func (a *App) ForgetInstance(instance string) { a.SetRemotePresence(instance, nil, true) }

// totals are the users present in channels. p.mu is held.
func (p *presence) totals(channels map[string]bool) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for ch := range channels {
		users := map[string]bool{}
		for u := range p.local[ch] {
			users[u] = true
		}
		for _, chans := range p.remote {
			for u := range chans[ch] {
				users[u] = true
			}
		}
		out[ch] = users
	}
	return out
}

func diff(before, after map[string]map[string]bool) []presenceChange {
	var out []presenceChange
	for _, ch := range slices.Sorted(maps.Keys(after)) {
		for _, u := range slices.Sorted(maps.Keys(after[ch])) {
			if !before[ch][u] {
				out = append(out, presenceChange{ch, u, true})
			}
		}
		for _, u := range slices.Sorted(maps.Keys(before[ch])) {
			if !after[ch][u] {
				out = append(out, presenceChange{ch, u, false})
			}
		}
	}
	return out
}

// announce tells the members of each channel of its changes.
func (a *App) announce(changes []presenceChange) {
	for _, c := range changes {
		name := EventPresenceLeft
		if c.joined {
			name = EventPresenceJoined
		}
		data, _ := json.Marshal(map[string]string{"channel": c.channel, "user": c.user})
		m := newMessage(&Message{Event: name, Data: data})
		for _, conn := range a.Channel(c.channel).Connections() {
			conn.deliver(m)
		}
	}
}

// presenceChanged announces local changes and tells the watchers.
func (a *App) presenceChanged(changes []presenceChange, channels []string) {
	if len(channels) == 0 {
		return
	}
	a.announce(changes)
	p := &a.presence
	p.mu.Lock()
	watch := slices.Clone(p.watch)
	p.mu.Unlock()
	for _, fn := range watch {
		fn(channels)
	}
}
