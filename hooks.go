package pinion

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Hook is a before, after or error hook: it reads and changes the hook context.
// Returning an error stops the chain and fails the call.
type Hook func(ctx context.Context, hc *HookContext) error

// AroundHook wraps everything after it in the chain: it calls next once to run the
// rest (ending with the method) and can act before and after it.
type AroundHook func(ctx context.Context, hc *HookContext, next Next) error

// Next runs the rest of the hook chain.
type Next func(ctx context.Context) error

// All is the method key of hooks that run for every method.
const All Method = "all"

// AroundMap maps a method name, or All, to around hooks.
type AroundMap map[Method][]AroundHook

// HookMap maps a method name, or All, to hooks.
type HookMap map[Method][]Hook

// Hooks is a hook registration, for App.Hooks or Service.Hooks:
//
//	messages.Hooks(pinion.Hooks{
//		Around: pinion.AroundMap{pinion.All: {auth.Authenticate("jwt")}},
//		Before: pinion.HookMap{"create": {stampAuthor}},
//	})
//
// For one call the hooks run in Feathers' order: app around, app before, service
// around, service before, the method, service after, (service around returns), app
// after, (app around returns). "all" hooks run before method-specific ones. Error
// hooks of a level run when anything inside that level fails: the method-specific
// ones first, then "all".
type Hooks struct {
	Around AroundMap
	Before HookMap
	After  HookMap
	Error  HookMap
}

// hookStore accumulates registrations; later registrations append. Its maps
// are copied on write, never changed in place, so a copy of the struct taken
// under a lock (App.hookSnapshot) stays valid while hooks are added.
type hookStore struct {
	around AroundMap
	before HookMap
	after  HookMap
	error  HookMap
}

// methods lists the method keys of a registration.
func (h Hooks) methods() []Method {
	var out []Method
	for _, m := range [...][]Method{keys(h.Around), keys(h.Before), keys(h.After), keys(h.Error)} {
		out = append(out, m...)
	}
	return out
}

func keys[M ~map[Method]V, V any](m M) []Method { return slices.Collect(maps.Keys(m)) }

// check panics when a registration names a method that known does not
// accept: a misspelt key ("creat") would otherwise never run, silently.
func (h Hooks) check(owner string, known func(Method) bool, methods []Method) {
	for _, m := range h.methods() {
		if m != All && !known(m) {
			names := make([]string, len(methods))
			for i, n := range methods {
				names[i] = string(n)
			}
			panic(fmt.Sprintf("pinion: hooks of %s name the method %q, which it does not have (it has %s, or %q for all)",
				owner, m, strings.Join(names, ", "), All))
		}
	}
}

// registration is everything added so far, as one registration.
func (s *hookStore) registration() Hooks {
	return Hooks{Around: s.around, Before: s.before, After: s.after, Error: s.error}
}

func (s *hookStore) add(h Hooks) {
	s.around = appendHooks(s.around, h.Around)
	s.before = appendHooks(s.before, h.Before)
	s.after = appendHooks(s.after, h.After)
	s.error = appendHooks(s.error, h.Error)
}

// appendHooks returns a new map with the hooks of src appended to those of dst.
func appendHooks[M ~map[Method][]H, H any](dst, src M) M {
	if len(src) == 0 {
		return dst
	}
	out := maps.Clone(dst)
	if out == nil {
		out = M{}
	}
	for m, hs := range src {
		out[m] = append(slices.Clip(out[m]), hs...)
	}
	return out
}

// A step is one link of a compiled chain. It runs the rest of the chain with
// r.run(ctx, i+1), so the chain needs no closures per call except for around
// hooks, which receive a Next.
type step func(ctx context.Context, r *run, i int) error

type chain struct{ steps []step }

type run struct {
	steps []step
	hc    *HookContext
}

func (r *run) next(ctx context.Context, i int) error {
	return r.steps[i](ctx, r, i)
}

func (c *chain) run(ctx context.Context, hc *HookContext) error {
	r := run{steps: c.steps, hc: hc}
	return r.next(ctx, 0)
}

var errNextTwice = errors.New("pinion: next called more than once by an around hook")

// chainSet caches compiled chains per method, for one generation of hook
// registrations (app.hookGen).
type chainSet struct {
	gen uint64
	m   map[Method]*chain
}

// chain returns the compiled chain of method, compiling it on first use after any
// change of app or service hooks.
func (s *Service) chain(method Method) *chain {
	gen := s.app.hookGen.Load()
	if cs := s.chains.Load(); cs != nil && cs.gen == gen {
		if c, ok := cs.m[method]; ok {
			return c
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gen = s.app.hookGen.Load()
	m := make(map[Method]*chain)
	if cs := s.chains.Load(); cs != nil && cs.gen == gen {
		if c, ok := cs.m[method]; ok {
			return c
		}
		for k, v := range cs.m {
			m[k] = v
		}
	}
	app := s.app.hookSnapshot()
	obs := s.app.observerOf()
	steps := []step{eventStep}
	if len(s.protected) > 0 || len(s.customs[method].protectedFields()) > 0 {
		steps = append(steps, protectStep)
	}
	if s.typed != nil && s.typed.selects() {
		steps = append(steps, selectStep)
	}
	steps = append(steps, levelSteps(&app, method, obs, appPhases)...)
	steps = append(steps, levelSteps(&s.hooks, method, obs, servicePhases)...)
	if s.owner != nil {
		steps = append(steps, ownerStep)
	}
	if obs != nil {
		steps = append(steps, observedMethodStep(obs))
	} else {
		steps = append(steps, methodStep)
	}
	c := &chain{steps: steps}
	m[method] = c
	s.chains.Store(&chainSet{gen: gen, m: m})
	return c
}

// levelPhases are the phases of one level's hooks, for an Observer.
type levelPhases struct{ before, after, error Phase }

var (
	appPhases     = levelPhases{PhaseAppBefore, PhaseAppAfter, PhaseAppError}
	servicePhases = levelPhases{PhaseServiceBefore, PhaseServiceAfter, PhaseServiceError}
)

// levelSteps compiles the hooks of one level (app or service) for method;
// obs, when not nil, is told about their phases.
func levelSteps(h *hookStore, method Method, obs Observer, phases levelPhases) []step {
	var steps []step
	for _, key := range [2]Method{All, method} {
		for _, a := range h.around[key] {
			steps = append(steps, aroundStep(a))
		}
	}
	if r := regularStep(h, method, obs, phases); r != nil {
		steps = append(steps, r)
	}
	return steps
}

func aroundStep(h AroundHook) step {
	return func(ctx context.Context, r *run, i int) error {
		called := false
		return h(ctx, r.hc, func(ctx context.Context) error {
			if called {
				return errNextTwice
			}
			called = true
			return r.next(ctx, i+1)
		})
	}
}

// regularStep runs a level's before, after and error hooks around the rest of the
// chain, nested the way @feathersjs/hooks nests them:
//
//	error.all( before.all; error.m( before.m; inner; after.all; after.m ) )
//
// obs, when not nil, is told about the before, after and error phases.
func regularStep(h *hookStore, method Method, obs Observer, phases levelPhases) step {
	beforeAll, beforeM := h.before[All], h.before[method]
	afterAll, afterM := h.after[All], h.after[method]
	errorAll, errorM := h.error[All], h.error[method]
	if len(beforeAll)+len(beforeM)+len(afterAll)+len(afterM)+len(errorAll)+len(errorM) == 0 {
		return nil
	}
	return func(ctx context.Context, r *run, i int) error {
		hc := r.hc
		bctx, end := ctx, func(error) {}
		if obs != nil && len(beforeAll)+len(beforeM) > 0 {
			bctx, end = obs.Start(ctx, hc, phases.before)
		}
		err := runHooks(bctx, hc, TypeBefore, beforeAll)
		if err == nil {
			err = runHooks(bctx, hc, TypeBefore, beforeM)
			end(err)
			end = nil
			if err == nil {
				err = r.next(ctx, i+1)
			}
			if err == nil {
				err = observed(ctx, hc, obs, phases.after, TypeAfter, afterAll, afterM)
			}
			err = runErrorHooks(ctx, hc, errorM, err, obs, phases.error)
		}
		if end != nil {
			end(err)
		}
		return runErrorHooks(ctx, hc, errorAll, err, obs, phases.error)
	}
}

func runHooks(ctx context.Context, hc *HookContext, t HookType, hooks []Hook) error {
	if len(hooks) == 0 {
		return nil
	}
	prev := hc.Type
	hc.Type = t
	for _, h := range hooks {
		if err := h(ctx, hc); err != nil {
			hc.Type = prev
			return err
		}
	}
	hc.Type = prev
	return nil
}

// runErrorHooks gives error hooks the failure. They may replace hc.Error, or set a
// result to swallow it.
// obs, when not nil, is told about their phase p.
func runErrorHooks(ctx context.Context, hc *HookContext, hooks []Hook, err error, obs Observer, p Phase) error {
	if err == nil || len(hooks) == 0 {
		return err
	}
	// Compared by identity, not with ==, which panics when both hold the same
	// uncomparable error type.
	if !sameError(hc.Error, err) {
		hc.Error = err
		hc.clearResult()
	}
	var end func(error)
	if obs != nil {
		ctx, end = obs.Start(ctx, hc, p)
	}
	herr := runHooks(ctx, hc, TypeError, hooks)
	if end != nil {
		end(herr)
	}
	if herr != nil {
		hc.Error = herr
		return herr
	}
	if hc.HasResult() {
		hc.Error = nil
		return nil
	}
	return hc.Error
}

// sameError reports whether a and b are the same error value. Errors of
// uncomparable types (slices, maps) are never the same.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	// Value.Comparable looks inside: a struct type is comparable, but not
	// with an uncomparable value in an interface field.
	if !reflect.ValueOf(a).Comparable() || !reflect.ValueOf(b).Comparable() {
		return false
	}
	return a == b
}

// eventStep is the outermost step: it names the event and, after a successful
// call, emits it once per record of the result.
func eventStep(ctx context.Context, r *run, i int) error {
	hc := r.hc
	hc.Event = defaultEvent(hc.Method)
	if err := r.next(ctx, i+1); err != nil {
		return err
	}
	if hc.Event == "" || hc.replayed || hc.Service.customEvent(hc.Event) {
		return nil // a replayed create was announced when it ran
	}
	app := hc.App
	results, dispatches := elements(hc.Result), elements(hc.Dispatch)
	for i, v := range results {
		e := Event{Path: hc.Path, Name: hc.Event, Data: v, Context: hc}
		switch {
		case len(dispatches) == len(results):
			e.Dispatch = dispatches[i]
		case hc.Dispatch != nil && len(results) == 1:
			e.Dispatch = hc.Dispatch
		}
		app.emit(ctx, e)
	}
	return nil
}

// methodStep is the innermost step: it calls the service unless a hook already
// provided the result.
func methodStep(ctx context.Context, r *run, _ int) error {
	hc := r.hc
	if hc.HasResult() {
		return nil
	}
	res, err := hc.Service.invokeOnce(ctx, hc)
	if err != nil {
		return err
	}
	hc.Result = res
	return nil
}

// observedMethodStep is methodStep told to obs.
func observedMethodStep(obs Observer) step {
	return func(ctx context.Context, r *run, _ int) error {
		hc := r.hc
		if hc.HasResult() {
			return nil
		}
		ctx, end := obs.Start(ctx, hc, PhaseMethod)
		res, err := hc.Service.invokeOnce(ctx, hc)
		end(err)
		if err != nil {
			return err
		}
		hc.Result = res
		return nil
	}
}

// elements returns the elements of an array result, or the result itself as the
// only element. Multi calls emit one event per element.
func elements(v any) []any {
	switch a := v.(type) {
	case nil:
		return nil
	case []any:
		return a
	case []map[string]any:
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = e
		}
		return out
	case map[string]any:
		return []any{v}
	}
	// A typed service's list ([]T): one event per record, each carrying a
	// pointer to its element.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && structs(rv.Type().Elem()) {
		out := make([]any, rv.Len())
		for i := range out {
			e := rv.Index(i)
			if e.Kind() != reflect.Pointer {
				e = e.Addr()
			}
			out[i] = e.Interface()
		}
		return out
	}
	return []any{v}
}

func (s *Service) customEvent(name string) bool {
	for _, e := range s.events {
		if e == name {
			return true
		}
	}
	return false
}
