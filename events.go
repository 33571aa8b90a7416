package pinion

import (
	"context"
	"slices"
)

// Event is a service event: "created", "updated", "patched", "removed" after a
// successful call (one per record for multi calls), or a custom event sent with
// Service.Emit.
type Event struct {
	Path string
	Name string
	// Data is the record: the call's result, or one element of it.
	Data any
	// Dispatch is the external form of Data (HookContext.Dispatch, or its element),
	// when a hook set one. Channels send it instead of Data.
	Dispatch any
	// Context is the call that caused the event; nil for custom events and for
	// events of other instances.
	Context *HookContext
	// ID names the event across instances ("<instance>-<n>"); the app sets
	// it for local events.
	ID string
	// Position is the event's place in the history (see history.go), set
	// when it is delivered; 0 before.
	Position uint64
	// Remote marks an event that happened on another instance and reached this
	// one through multi-instance sync. Listeners that forward events skip these.
	Remote bool
}

// Listener receives service events. It runs synchronously inside the call, before
// the caller gets its answer (Feathers sends the event before the ack), so it must
// not block: hand slow work to a goroutine or a queue.
type Listener func(ctx context.Context, e Event)

// External is what clients receive: Dispatch if set, else Data.
func (e *Event) External() any {
	if e.Dispatch != nil {
		return e.Dispatch
	}
	return e.Data
}

type listener struct{ fn Listener }

// OnEvent registers fn for every service event and returns a function that
// removes it. The authentication service (its caches, live sessions) and
// multi-instance sync are listeners; channels get the event after them.
func (a *App) OnEvent(fn Listener) (remove func()) {
	l := &listener{fn: fn}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ls []*listener
	if p := a.listeners.Load(); p != nil {
		ls = slices.Clone(*p)
	}
	ls = append(ls, l)
	a.listeners.Store(&ls)
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		ls := slices.DeleteFunc(slices.Clone(*a.listeners.Load()), func(x *listener) bool { return x == l })
		a.listeners.Store(&ls)
	}
}

// Receive hands an event of another instance to this one: its listeners (caches
// stay in step) and its channels (its clients get it). Multi-instance sync calls
// it; the event is marked Remote.
func (a *App) Receive(ctx context.Context, e Event) {
	e.Remote = true
	a.emit(ctx, e)
}

// emit gives an event to the listeners, then to the channels (through the
// relay when one is set, see SetRelay).
func (a *App) emit(ctx context.Context, e Event) {
	if e.ID == "" {
		e.ID = a.newEventID()
	}
	if p := a.listeners.Load(); p != nil {
		for _, l := range *p {
			l.fn(ctx, e)
		}
	}
	if e.Remote {
		a.Deliver(ctx, e)
		return
	}
	if r := a.relay.Load(); r != nil {
		(*r)(ctx, e)
		return
	}
	a.Deliver(ctx, e)
}
