package types

import (
	"reflect"
	"slices"
	"sync"
)

const (
	// Version current version number
	EventVersion = "0.0.3"
)

type (
	// EventName is just a type of string, it's the event name
	EventName string
	// Listener is the type of a Listener, it's a func which receives any,optional, arguments from the caller/emmiter
	EventListener func(...any)
	// Events the type for registered listeners, it's just a map[string][]func(...any)
	Events map[EventName][]EventListener
	// EventEmitter is the message/or/event manager
	EventEmitter interface {
		// AddListener is an alias for .On(eventName, listener).
		AddListener(EventName, ...EventListener) error
		// Emit fires a particular event,
		// Synchronously calls each of the listeners registered for the event named
		// eventName, in the order they were registered,
		// passing the supplied arguments to each.
		Emit(EventName, ...any)
		// EventNames returns an array listing the events for which the emitter has registered listeners.
		// The values in the array will be strings.
		EventNames() []EventName
		// ListenerCount returns the length of all registered listeners to a particular event
		ListenerCount(EventName) int
		// Listeners returns a copy of the array of listeners for the event named eventName.
		Listeners(EventName) []EventListener
		// On registers a particular listener for an event, func receiver parameter(s) is/are optional
		On(EventName, ...EventListener) error
		// Once adds a one time listener function for the event named eventName.
		// The next time eventName is triggered, this listener is removed and then invoked.
		Once(EventName, ...EventListener) error
		// RemoveAllListeners removes all listeners, or those of the specified eventName.
		// Note that it will remove the event itself.
		// Returns an indicator if event and listeners were found before the remove.
		RemoveAllListeners(EventName) bool
		// RemoveListener removes given listener from the event named eventName.
		// Returns an indicator whether listener was removed
		RemoveListener(EventName, EventListener) bool
		// Clear removes all events and all listeners, restores Events to an empty value
		Clear()
		// Len returns the length of all registered events
		Len() int
	}

	eventEntry struct {
		fn  EventListener
		ptr uintptr
	}

	// emmiter keeps its events in a slice under one lock: an emitter has a
	// handful of event names, and a socket.io connection has several
	// emitters, so a concurrent map with a locked slice per event cost more
	// than its listeners. Each event's listeners are copied on write, so
	// that Emit calls a snapshot without the lock and without a copy.
	emmiter struct {
		mu     sync.RWMutex
		events []eventListeners
	}

	eventListeners struct {
		name    EventName
		entries []*eventEntry
	}
)

// CopyTo copies the event listeners to an EventEmitter
func (e Events) CopyTo(emitter EventEmitter) {
	if len(e) > 0 {
		// register the events to/with their listeners
		for evt, listeners := range e {
			if len(listeners) > 0 {
				_ = emitter.AddListener(evt, listeners...)
			}
		}
	}
}

// New returns a new, empty, EventEmitter
func NewEventEmitter() EventEmitter {
	return &emmiter{}
}

// index is the position of evt in e.events, or -1. Call it with e.mu held.
func (e *emmiter) index(evt EventName) int {
	for i := range e.events {
		if e.events[i].name == evt {
			return i
		}
	}
	return -1
}

// entries returns the listeners of evt: a snapshot, never written to.
func (e *emmiter) entries(evt EventName) []*eventEntry {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if i := e.index(evt); i >= 0 {
		return e.events[i].entries
	}
	return nil
}

func (e *emmiter) addListeners(evt EventName, listeners []*eventEntry) error {
	if len(listeners) == 0 {
		return nil
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if i := e.index(evt); i >= 0 {
		e.events[i].entries = slices.Concat(e.events[i].entries, listeners)
	} else {
		e.events = append(e.events, eventListeners{name: evt, entries: slices.Clone(listeners)})
	}
	return nil
}

func (e *emmiter) AddListener(evt EventName, listeners ...EventListener) error {
	if len(listeners) == 0 {
		return nil
	}

	events := make([]*eventEntry, len(listeners))
	for i, event := range listeners {
		if event == nil {
			continue
		}
		events[i] = &eventEntry{fn: event, ptr: reflect.ValueOf(event).Pointer()}
	}

	return e.addListeners(evt, events)
}

// Alias: [AddListener]
func (e *emmiter) On(evt EventName, listeners ...EventListener) error {
	return e.AddListener(evt, listeners...)
}

func (e *emmiter) Emit(evt EventName, data ...any) {
	for _, event := range e.entries(evt) {
		if event != nil {
			event.fn(data...)
		}
	}
}

func (e *emmiter) EventNames() []EventName {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var names []EventName
	for _, l := range e.events {
		names = append(names, l.name)
	}
	return names
}

func (e *emmiter) ListenerCount(evt EventName) int {
	return len(e.entries(evt))
}

func (e *emmiter) Listeners(evt EventName) []EventListener {
	datas := e.entries(evt)
	if datas == nil {
		return nil
	}

	listeners := make([]EventListener, len(datas))
	for i, l := range datas {
		if l != nil {
			listeners[i] = l.fn
		}
	}

	return listeners
}

type oneTimeListener struct {
	fired *sync.Once

	evt     EventName
	emitter *emmiter
	fn      EventListener
}

func (l *oneTimeListener) execute(vals ...any) {
	l.fired.Do(func() {
		defer l.emitter.RemoveListener(l.evt, l.fn)
		l.fn(vals...)
	})
}

func (e *emmiter) Once(evt EventName, listeners ...EventListener) error {
	if len(listeners) == 0 {
		return nil
	}

	events := make([]*eventEntry, len(listeners))
	for i, event := range listeners {
		if event == nil {
			continue
		}
		oneTime := &oneTimeListener{fired: &sync.Once{}, evt: evt, emitter: e, fn: event}
		events[i] = &eventEntry{fn: oneTime.execute, ptr: reflect.ValueOf(event).Pointer()}
	}
	return e.addListeners(evt, events)
}

// RemoveListener removes the specified listener from the listener array for the event named eventName.
func (e *emmiter) RemoveListener(evt EventName, listener EventListener) bool {
	if listener == nil {
		return false
	}

	targetPtr := reflect.ValueOf(listener).Pointer()

	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.index(evt)
	if i < 0 {
		return false
	}
	// The first listener registered with this function goes; the event
	// stays, with no listener if it was the last.
	entries := e.events[i].entries
	j := slices.IndexFunc(entries, func(l *eventEntry) bool { return l != nil && l.ptr == targetPtr })
	if j < 0 {
		return false
	}
	e.events[i].entries = slices.Delete(slices.Clone(entries), j, j+1)
	return true
}

func (e *emmiter) RemoveAllListeners(evt EventName) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.index(evt)
	if i < 0 {
		return false
	}
	e.events = slices.Delete(e.events, i, i+1)
	return true
}

func (e *emmiter) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = nil
}

func (e *emmiter) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.events)
}
