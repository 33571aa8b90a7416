package pinion_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

// echo is a service with every standard method that records its calls.
type echo struct{ calls []string }

func (e *echo) Find(ctx context.Context, p *pinion.Params) (any, error) {
	e.calls = append(e.calls, "find")
	return []any{map[string]any{"id": 1}, map[string]any{"id": 2}}, nil
}
func (e *echo) Get(ctx context.Context, id any, p *pinion.Params) (any, error) {
	e.calls = append(e.calls, "get")
	if id == "missing" {
		return nil, pinion.NotFound("No record found for id '%v'", id)
	}
	return map[string]any{"id": id}, nil
}
func (e *echo) Create(ctx context.Context, data any, p *pinion.Params) (any, error) {
	e.calls = append(e.calls, "create")
	return data, nil
}
func (e *echo) Update(ctx context.Context, id, data any, p *pinion.Params) (any, error) {
	return data, nil
}
func (e *echo) Patch(ctx context.Context, id, data any, p *pinion.Params) (any, error) {
	if id == nil {
		return []any{data, data}, nil
	}
	return data, nil
}
func (e *echo) Remove(ctx context.Context, id any, p *pinion.Params) (any, error) {
	return map[string]any{"id": id}, nil
}

// recorder builds hooks that append their name to a shared log.
type recorder struct{ log []string }

func (r *recorder) hook(name string) pinion.Hook {
	return func(ctx context.Context, hc *pinion.HookContext) error {
		r.log = append(r.log, name+":"+string(hc.Type))
		return nil
	}
}

func (r *recorder) around(name string) pinion.AroundHook {
	return func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
		r.log = append(r.log, name+":enter")
		err := next(ctx)
		r.log = append(r.log, name+":exit")
		return err
	}
}

// TestHookOrder checks the execution order of wire spec §6.2.
func TestHookOrder(t *testing.T) {
	app := pinion.New()
	r := &recorder{}
	svc := &echo{}
	s := app.Use("echo", svc)
	app.Hooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {r.around("app.around.all")}, "get": {r.around("app.around.get")}},
		Before: pinion.HookMap{pinion.All: {r.hook("app.before.all")}, "get": {r.hook("app.before.get")}},
		After:  pinion.HookMap{pinion.All: {r.hook("app.after.all")}, "get": {r.hook("app.after.get")}},
	})
	s.Hooks(pinion.Hooks{
		// Registration order of the method-specific hooks is kept: get before all.
		After:  pinion.HookMap{"get": {r.hook("svc.after.get1"), r.hook("svc.after.get2")}, pinion.All: {r.hook("svc.after.all")}},
		Around: pinion.AroundMap{"get": {r.around("svc.around.get")}, pinion.All: {r.around("svc.around.all")}},
		Before: pinion.HookMap{pinion.All: {r.hook("svc.before.all")}, "get": {r.hook("svc.before.get")}},
	})
	s.Hooks(pinion.Hooks{Before: pinion.HookMap{"get": {r.hook("svc.before.get.later")}}})
	s.Hooks(pinion.Hooks{Before: pinion.HookMap{"find": {r.hook("svc.before.find")}}})

	if _, err := s.Get(context.Background(), "1", nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"app.around.all:enter", "app.around.get:enter",
		"app.before.all:before", "app.before.get:before",
		"svc.around.all:enter", "svc.around.get:enter",
		"svc.before.all:before", "svc.before.get:before", "svc.before.get.later:before",
		"svc.after.all:after", "svc.after.get1:after", "svc.after.get2:after",
		"svc.around.get:exit", "svc.around.all:exit",
		"app.after.all:after", "app.after.get:after",
		"app.around.get:exit", "app.around.all:exit",
	}
	if !slices.Equal(r.log, want) {
		t.Errorf("order:\n got %s\nwant %s", strings.Join(r.log, "\n    "), strings.Join(want, "\n    "))
	}
	if !slices.Equal(svc.calls, []string{"get"}) {
		t.Errorf("calls = %v", svc.calls)
	}
}

func TestHooksAddedLaterApply(t *testing.T) {
	app := pinion.New()
	s := app.Use("echo", &echo{})
	ctx := context.Background()
	if _, err := s.Get(ctx, "1", nil); err != nil {
		t.Fatal(err)
	}
	// The compiled chain must be rebuilt after both app and service registrations.
	boom := errors.New("boom")
	app.Hooks(pinion.Hooks{Before: pinion.HookMap{"get": {func(context.Context, *pinion.HookContext) error { return boom }}}})
	if _, err := s.Get(ctx, "1", nil); !errors.Is(err, boom) {
		t.Fatalf("app hook added after first call did not run: %v", err)
	}
}

// Hooks registered while calls run: the race detector checks that compiled
// chains never read the maps being added to.
func TestHooksAddedWhileServing(t *testing.T) {
	app := pinion.New()
	s := app.Use("echo", &echo{}) // one caller: echo records calls unlocked
	ctx := context.Background()
	nop := func(context.Context, *pinion.HookContext) error { return nil }
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			s.Call(ctx, "find", nil, nil, nil)
		}
	}()
	for range 200 {
		app.Hooks(pinion.Hooks{Before: pinion.HookMap{pinion.All: {nop}, "find": {nop}}})
	}
	<-done
}

// multiError is an error of an uncomparable type.
type multiError []error

func (m multiError) Error() string { return "several errors" }

func TestUncomparableErrorInErrorHooks(t *testing.T) {
	app := pinion.New()
	s := app.Use("echo", &echo{})
	seen := 0
	count := func(context.Context, *pinion.HookContext) error { seen++; return nil }
	s.Hooks(pinion.Hooks{
		Before: pinion.HookMap{"get": {func(context.Context, *pinion.HookContext) error { return multiError{errors.New("a")} }}},
		Error:  pinion.HookMap{pinion.All: {count}, "get": {count}},
	})
	_, err := s.Get(context.Background(), "1", nil)
	var m multiError
	if !errors.As(err, &m) || seen != 2 {
		t.Fatalf("err = %v, error hooks run = %d", err, seen)
	}
}

func TestResultSkipsMethod(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(hc *pinion.HookContext)
		want any
	}{
		{"value", func(hc *pinion.HookContext) { hc.Result = map[string]any{"cached": true} }, map[string]any{"cached": true}},
		{"nil via SetResult", func(hc *pinion.HookContext) { hc.SetResult(nil) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := pinion.New()
			svc := &echo{}
			afterRan := false
			s := app.Use("echo", svc, pinion.WithHooks(pinion.Hooks{
				Before: pinion.HookMap{"get": {func(ctx context.Context, hc *pinion.HookContext) error { tc.set(hc); return nil }}},
				After:  pinion.HookMap{"get": {func(context.Context, *pinion.HookContext) error { afterRan = true; return nil }}},
			}))
			got, err := s.Get(context.Background(), "1", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(svc.calls) != 0 {
				t.Errorf("method ran: %v", svc.calls)
			}
			if !afterRan {
				t.Error("after hooks must still run")
			}
			if !equalJSON(got, tc.want) {
				t.Errorf("result = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestErrorHooks(t *testing.T) {
	ctx := context.Background()
	t.Run("order and context", func(t *testing.T) {
		app := pinion.New()
		r := &recorder{}
		var seen error
		s := app.Use("echo", &echo{})
		app.Hooks(pinion.Hooks{Error: pinion.HookMap{pinion.All: {r.hook("app.error.all")}}})
		s.Hooks(pinion.Hooks{Error: pinion.HookMap{
			pinion.All: {r.hook("svc.error.all")},
			"get": {r.hook("svc.error.get"), func(ctx context.Context, hc *pinion.HookContext) error {
				seen = hc.Error
				return nil
			}},
		}})
		_, err := s.Get(ctx, "missing", nil)
		if !errors.Is(err, pinion.NotFound("")) {
			t.Fatalf("err = %v", err)
		}
		if !errors.Is(seen, pinion.NotFound("")) {
			t.Errorf("hc.Error in error hook = %v", seen)
		}
		want := []string{"svc.error.get:error", "svc.error.all:error", "app.error.all:error"}
		if !slices.Equal(r.log, want) {
			t.Errorf("got %v, want %v", r.log, want)
		}
	})
	t.Run("result swallows", func(t *testing.T) {
		app := pinion.New()
		s := app.Use("echo", &echo{}, pinion.WithHooks(pinion.Hooks{Error: pinion.HookMap{"get": {
			func(ctx context.Context, hc *pinion.HookContext) error { hc.Result = "fallback"; return nil },
		}}}))
		got, err := s.Get(ctx, "missing", nil)
		if err != nil || got != "fallback" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("replace error", func(t *testing.T) {
		app := pinion.New()
		s := app.Use("echo", &echo{}, pinion.WithHooks(pinion.Hooks{Error: pinion.HookMap{pinion.All: {
			func(ctx context.Context, hc *pinion.HookContext) error { hc.Error = pinion.Forbidden("no"); return nil },
		}}}))
		_, err := s.Get(ctx, "missing", nil)
		if !errors.Is(err, pinion.Forbidden("")) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("before hook failure skips the rest", func(t *testing.T) {
		app := pinion.New()
		svc := &echo{}
		afterRan := false
		s := app.Use("echo", svc, pinion.WithHooks(pinion.Hooks{
			Before: pinion.HookMap{pinion.All: {func(context.Context, *pinion.HookContext) error { return pinion.NotAuthenticated("Not authenticated") }}},
			After:  pinion.HookMap{pinion.All: {func(context.Context, *pinion.HookContext) error { afterRan = true; return nil }}},
		}))
		_, err := s.Get(ctx, "1", nil)
		if !errors.Is(err, pinion.NotAuthenticated("")) || afterRan || len(svc.calls) > 0 {
			t.Fatalf("err=%v afterRan=%v calls=%v", err, afterRan, svc.calls)
		}
	})
}

func TestAroundNextTwice(t *testing.T) {
	app := pinion.New()
	s := app.Use("echo", &echo{}, pinion.WithHooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {
		func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
			if err := next(ctx); err != nil {
				return err
			}
			return next(ctx)
		},
	}}}))
	if _, err := s.Get(context.Background(), "1", nil); err == nil {
		t.Fatal("calling next twice must fail")
	}
}

func TestHookTypeAndChanges(t *testing.T) {
	app := pinion.New()
	var types []pinion.HookType
	note := func(ctx context.Context, hc *pinion.HookContext) error { types = append(types, hc.Type); return nil }
	s := app.Use("echo", &echo{}, pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
			types = append(types, hc.Type)
			return next(ctx)
		}}},
		Before: pinion.HookMap{"create": {note, func(ctx context.Context, hc *pinion.HookContext) error {
			hc.Data = map[string]any{"changed": true}
			return nil
		}}},
		After: pinion.HookMap{"create": {note, func(ctx context.Context, hc *pinion.HookContext) error {
			hc.Dispatch = "external"
			return nil
		}}},
	}))
	hc, err := s.Call(context.Background(), "create", nil, map[string]any{"a": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []pinion.HookType{"around", "before", "after"}; !slices.Equal(types, want) {
		t.Errorf("types = %v, want %v", types, want)
	}
	if !equalJSON(hc.Result, map[string]any{"changed": true}) {
		t.Errorf("before hook data change lost: %v", hc.Result)
	}
	if hc.External() != "external" || hc.Type != pinion.TypeAround {
		t.Errorf("external = %v, type = %v", hc.External(), hc.Type)
	}
}

// A hook registered under a method the service does not have would never
// run: registration refuses it, naming the key and the methods there are.
func TestHookKeysAreChecked(t *testing.T) {
	noop := func(ctx context.Context, hc *pinion.HookContext) error { return nil }
	custom := pinion.WithMethod("archive", func(ctx context.Context, data any, p *pinion.Params) (any, error) { return data, nil })
	panics := func(name, want string, fn func()) {
		t.Helper()
		defer func() {
			r := recover()
			msg, _ := r.(string)
			if r == nil || !strings.Contains(msg, want) {
				t.Errorf("%s: panic %v, want one naming %s", name, r, want)
			}
		}()
		fn()
	}
	app := pinion.New()
	panics("WithHooks", `"creat"`, func() {
		app.Use("a", &echo{}, pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{"creat": {noop}}}))
	})
	svc := app.Use("b", &onlyGet{}, custom)
	panics("Service.Hooks", "it has get, archive", func() {
		svc.Hooks(pinion.Hooks{After: pinion.HookMap{pinion.MethodCreate: {noop}}})
	})
	panics("App.Hooks", `"shout"`, func() {
		app.Hooks(pinion.Hooks{Error: pinion.HookMap{"shout": {noop}}})
	})
	// What exists is accepted: all, implemented methods, custom methods.
	svc.Hooks(pinion.Hooks{Before: pinion.HookMap{pinion.All: {noop}, pinion.MethodGet: {noop}, "archive": {noop}}})
	app.Hooks(pinion.Hooks{Around: pinion.AroundMap{"archive": {func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error { return next(ctx) }}}})
	if app.Service("a") != nil {
		t.Error("a service with a bad hook registration was registered")
	}
}
