package pinion

import "context"

// Observer watches service calls, for metrics and tracing, without the core
// knowing either: packages metrics and tracing implement it. An app without
// observers pays nothing for them: the hook chains are compiled without the
// observation steps, and a call checks one pointer.
//
// Start is called when a call, or a phase of its hook chain, starts. It
// returns the context the phase runs with (ctx itself, or one carrying a
// span) and a function that the core calls exactly once, when the phase ends,
// with the error the phase ended with (nil when it succeeded). Start and end
// run on the goroutine of the call and must not block.
//
// A call is observed from the moment Service.Call is entered, so calls that
// are refused before any hook runs (a method the service lacks, a query
// naming a protected field, typed data that does not validate) end with their
// error too. The call's phase (PhaseCall) encloses the others, and the event
// the call emits, with its channels: what a call costs is all in it. A
// phase's hc is the call's HookContext as it is at that moment: at the end
// of PhaseCall it holds the result, or hc.Error.
//
// The phases are those of the hook chain (see Hooks): the before, after and
// error hooks of each level (app, then service) and the method itself, each
// observed only when it runs something: a level without before hooks has no
// before phase, a before hook that sets the result skips the method phase.
// The error that a before, after or error phase ends with is the one its own
// hooks returned, never one that came from further in: observers count hook
// errors from it. Around hooks are not phases: they wrap the phases of their
// level and beyond, and their own errors end the call.
type Observer interface {
	Start(ctx context.Context, hc *HookContext, phase Phase) (context.Context, func(err error))
}

// Phase names what an Observer is told about.
type Phase uint8

// The phases of a call, outermost first.
const (
	PhaseCall Phase = iota + 1
	PhaseAppBefore
	PhaseServiceBefore
	PhaseMethod
	PhaseServiceAfter
	PhaseAppAfter
	PhaseServiceError
	PhaseAppError
)

var phaseNames = [...]string{"", "call", "app before", "service before", "method", "service after", "app after", "service error", "app error"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Hooks is the type of the hooks a phase runs (TypeBefore, TypeAfter,
// TypeError), or "" for PhaseCall and PhaseMethod.
func (p Phase) Hooks() HookType {
	switch p {
	case PhaseAppBefore, PhaseServiceBefore:
		return TypeBefore
	case PhaseAppAfter, PhaseServiceAfter:
		return TypeAfter
	case PhaseAppError, PhaseServiceError:
		return TypeError
	}
	return ""
}

// Level is "app" or "service" for the phases of hooks, "" for PhaseCall and
// PhaseMethod.
func (p Phase) Level() string {
	switch p {
	case PhaseAppBefore, PhaseAppAfter, PhaseAppError:
		return "app"
	case PhaseServiceBefore, PhaseServiceAfter, PhaseServiceError:
		return "service"
	}
	return ""
}

// WithObserver adds an observer of every service call (see Observer).
func WithObserver(o Observer) Option { return func(a *App) { a.observe(o) } }

// Observe adds an observer of every service call (see Observer), as
// WithObserver does, for code that receives an app made elsewhere (package
// serve). Calls already running are not observed; add observers before
// serving. Observers are told in the order they were added, and their phases
// end in the reverse order.
func (a *App) Observe(o Observer) *App {
	a.mu.Lock()
	a.observe(o)
	a.mu.Unlock()
	a.hookGen.Add(1) // chains compiled without observation steps are out of date
	return a
}

func (a *App) observe(o Observer) {
	if o == nil {
		return
	}
	var all observers
	if p := a.observer.Load(); p != nil {
		if os, ok := (*p).(observers); ok {
			all = append(all, os...)
		} else {
			all = append(all, *p)
		}
	}
	all = append(all, o)
	var one Observer = all
	if len(all) == 1 {
		one = all[0]
	}
	a.observer.Store(&one)
}

// observerOf returns the app's observer, or nil.
func (a *App) observerOf() Observer {
	if p := a.observer.Load(); p != nil {
		return *p
	}
	return nil
}

// observers tells several observers, nesting their contexts.
type observers []Observer

func (os observers) Start(ctx context.Context, hc *HookContext, phase Phase) (context.Context, func(error)) {
	ends := make([]func(error), len(os))
	for i, o := range os {
		ctx, ends[i] = o.Start(ctx, hc, phase)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

// observed runs hooks of type t as phase p when there are any, telling obs
// (which may be nil).
func observed(ctx context.Context, hc *HookContext, obs Observer, p Phase, t HookType, hooks ...[]Hook) error {
	n := 0
	for _, hs := range hooks {
		n += len(hs)
	}
	if n == 0 {
		return nil
	}
	var end func(error)
	if obs != nil {
		ctx, end = obs.Start(ctx, hc, p)
	}
	var err error
	for _, hs := range hooks {
		if err = runHooks(ctx, hc, t, hs); err != nil {
			break
		}
	}
	if end != nil {
		end(err)
	}
	return err
}
