package pinion_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/pinionhq/pinion"
)

func equalJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	type got struct {
		path, name string
		data       any
	}
	var events []got
	app.OnEvent(func(ctx context.Context, e pinion.Event) { events = append(events, got{e.Path, e.Name, e.Data}) })
	s := app.Use("echo", &echo{}, pinion.WithEvents("typing"))
	quiet := app.Use("quiet", &echo{}, pinion.WithHooks(pinion.Hooks{After: pinion.HookMap{pinion.All: {
		func(ctx context.Context, hc *pinion.HookContext) error { hc.Event = ""; return nil },
	}}}))
	renamed := app.Use("renamed", &echo{}, pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{"create": {
		func(ctx context.Context, hc *pinion.HookContext) error { hc.Event = "arrived"; return nil },
	}}}))

	s.Create(ctx, map[string]any{"n": 1}, nil)
	s.Get(ctx, "1", nil) // no event
	s.Find(ctx, nil)     // no event
	s.Patch(ctx, nil, map[string]any{"n": 2}, nil)
	s.Update(ctx, "1", map[string]any{"n": 3}, nil)
	s.Remove(ctx, "7", nil)
	s.Get(ctx, "missing", nil) // failure: no event
	quiet.Create(ctx, map[string]any{}, nil)
	renamed.Create(ctx, map[string]any{"r": 1}, nil)
	s.Emit(ctx, "typing", map[string]any{"who": "a"})

	want := []got{
		{"echo", "created", map[string]any{"n": 1}},
		{"echo", "patched", map[string]any{"n": 2}},
		{"echo", "patched", map[string]any{"n": 2}},
		{"echo", "updated", map[string]any{"n": 3}},
		{"echo", "removed", map[string]any{"id": "7"}},
		{"renamed", "arrived", map[string]any{"r": 1}},
		{"echo", "typing", map[string]any{"who": "a"}},
	}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events:\n got %v\nwant %v", events, want)
	}
}

func TestStandardEventListedIsNotAutomatic(t *testing.T) {
	app := pinion.New()
	n := 0
	app.OnEvent(func(context.Context, pinion.Event) { n++ })
	s := app.Use("echo", &echo{}, pinion.WithEvents("created"))
	s.Create(context.Background(), map[string]any{}, nil)
	if n != 0 {
		t.Fatalf("a standard event listed in WithEvents is emitted by the service itself, got %d automatic events", n)
	}
}

func TestRemoveListener(t *testing.T) {
	app := pinion.New()
	n := 0
	remove := app.OnEvent(func(context.Context, pinion.Event) { n++ })
	s := app.Use("echo", &echo{})
	s.Create(context.Background(), map[string]any{}, nil)
	remove()
	s.Create(context.Background(), map[string]any{}, nil)
	if n != 1 {
		t.Fatalf("n = %d", n)
	}
}

type onlyGet struct{}

func (onlyGet) Get(ctx context.Context, id any, p *pinion.Params) (any, error) { return id, nil }

func TestMethodsAndCustom(t *testing.T) {
	app := pinion.New()
	reset := func(ctx context.Context, data any, p *pinion.Params) (any, error) {
		return map[string]any{"reset": data}, nil
	}
	s := app.Use("/users/", onlyGet{}, pinion.WithMethod("resetPassword", reset))
	if s.Path() != "users" {
		t.Errorf("path = %q", s.Path())
	}
	if got := s.Methods(); !slices.Equal(got, []pinion.Method{"get", "resetPassword"}) {
		t.Errorf("methods = %v", got)
	}
	hc, err := s.Call(context.Background(), "resetPassword", nil, "x", nil)
	if err != nil || !equalJSON(hc.Result, map[string]any{"reset": "x"}) {
		t.Fatalf("custom call = %v, %v", hc, err)
	}
	if _, err := s.Find(context.Background(), nil); !errors.Is(err, pinion.MethodNotAllowed("")) {
		t.Errorf("find on a service without Find: %v", err)
	}
	restricted := app.Use("restricted", &echo{}, pinion.WithMethods("find", "get"))
	if restricted.Exposes("create") || !restricted.Exposes("get") || !restricted.Has("create") {
		t.Errorf("WithMethods: exposes create=%v get=%v has create=%v", restricted.Exposes("create"), restricted.Exposes("get"), restricted.Has("create"))
	}
}

func TestUsePanics(t *testing.T) {
	for name, fn := range map[string]func(app *pinion.App){
		"empty path":    func(app *pinion.App) { app.Use("/", &echo{}) },
		"duplicate":     func(app *pinion.App) { app.Use("a", &echo{}); app.Use("/a/", &echo{}) },
		"no methods":    func(app *pinion.App) { app.Use("a", struct{}{}) },
		"unimplemented": func(app *pinion.App) { app.Use("a", onlyGet{}, pinion.WithMethods("find")) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn(pinion.New())
		})
	}
}

func TestLookup(t *testing.T) {
	app := pinion.New()
	app.Use("messages", &echo{})
	app.Use(":orgId/projects", &echo{})
	app.Use("api/v1/things", &echo{})
	app.Use(":orgId/special", &echo{})
	app.Use("acme/special", &echo{})
	app.Use(":userId/tasks", &echo{}) // another name at the same level
	cases := []struct {
		path, want string
		route      map[string]string
	}{
		{"/messages/", "messages", nil},
		{"messages", "messages", nil},
		{"Messages", "", nil},
		{"org1/projects", ":orgId/projects", map[string]string{"orgId": "org1"}},
		{"api/v1/things", "api/v1/things", nil},
		{"acme/special", "acme/special", nil}, // a literal wins over a placeholder
		{"other/special", ":orgId/special", map[string]string{"orgId": "other"}},
		{"u1/tasks", ":userId/tasks", map[string]string{"userId": "u1"}},
		{"messages/1", "", nil},
		{"", "", nil},
		{"api/v1", "", nil},
	}
	for _, tc := range cases {
		s, route := app.Lookup(tc.path)
		got := ""
		if s != nil {
			got = s.Path()
		}
		if got != tc.want || !reflect.DeepEqual(route, tc.route) {
			t.Errorf("Lookup(%q) = %q %v, want %q %v", tc.path, got, route, tc.want, tc.route)
		}
	}
	if app.Service("/:orgId/projects") == nil || app.Service("org1/projects") != nil {
		t.Error("Service must match registered paths exactly")
	}
}

type lifecycle struct {
	echo
	name      string
	log       *[]string
	fail      bool
	failSetup int // setups that fail before one succeeds
}

func (l *lifecycle) Setup(ctx context.Context, app *pinion.App, path string) error {
	*l.log = append(*l.log, "setup "+path)
	if l.failSetup > 0 {
		l.failSetup--
		return errors.New("not yet")
	}
	return nil
}

func (l *lifecycle) Teardown(ctx context.Context) error {
	*l.log = append(*l.log, "teardown "+l.name)
	if l.fail {
		return errors.New("close failed")
	}
	return nil
}

func TestSetupTeardown(t *testing.T) {
	ctx := context.Background()
	var log []string
	app := pinion.New()
	app.Use("a", &lifecycle{name: "a", log: &log, fail: true})
	app.Use("b", &lifecycle{name: "b", log: &log})
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	app.Use("c", &lifecycle{name: "c", log: &log})
	app.Setup(ctx) // sets up only c
	err := app.Teardown(ctx)
	want := []string{"setup a", "setup b", "setup c", "teardown c", "teardown b", "teardown a"}
	if !slices.Equal(log, want) {
		t.Errorf("log = %v, want %v", log, want)
	}
	if err == nil {
		t.Error("teardown error lost")
	}
}

// A service whose setup failed is neither torn down nor skipped by the next Setup.
func TestSetupRetriedAfterFailure(t *testing.T) {
	ctx := context.Background()
	var log []string
	app := pinion.New()
	app.Use("a", &lifecycle{name: "a", log: &log})
	app.Use("b", &lifecycle{name: "b", log: &log, failSetup: 1})
	if err := app.Setup(ctx); err == nil {
		t.Fatal("a failed setup was not reported")
	}
	if err := app.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	app.Teardown(ctx)
	want := []string{"setup a", "setup b", "teardown a", "setup a", "setup b", "teardown b", "teardown a"}
	if !slices.Equal(log, want) {
		t.Errorf("log = %v, want %v", log, want)
	}
}

func TestValues(t *testing.T) {
	app := pinion.New()
	app.Set("paginate", 10)
	if app.Get("paginate") != 10 || app.Get("nothing") != nil {
		t.Fatal("values")
	}
	p := &pinion.Params{Query: map[string]any{"a": "1"}}
	p.Set("k", "v")
	c := p.Clone()
	c.Query["a"] = "2"
	c.Set("k", "w")
	if v, _ := p.Value("k"); v != "v" || p.Query["a"] != "1" {
		t.Fatal("Clone shares maps")
	}
}

func TestRecords(t *testing.T) {
	a, b := map[string]any{"id": 1}, map[string]any{"id": 2}
	for _, tc := range []struct {
		in   any
		want int
	}{
		{a, 1}, {[]map[string]any{a, b}, 2}, {[]any{a, "x", b}, 2},
		{&pinion.Page{Data: []map[string]any{a}}, 1}, {"x", 0}, {nil, 0},
	} {
		if got := pinion.Records(tc.in); len(got) != tc.want {
			t.Errorf("Records(%v) = %d records, want %d", tc.in, len(got), tc.want)
		}
	}
}

// An id is a placeholder like the others, tried in registration order after
// the literal segments, as in Feathers' router.
func TestLookupID(t *testing.T) {
	app := pinion.New()
	app.Use("a/:x", &echo{}) // before "a": a/5 is a/:x
	app.Use("a", &echo{})
	app.Use("b", &echo{}) // before "b/:y": b/5 is b with id 5
	app.Use("b/:y", &echo{})
	app.Use("messages", &echo{})
	app.Use(":orgId/projects", &echo{})
	cases := []struct {
		segs  []string
		want  string
		route map[string]string
		id    string
		hasID bool
	}{
		{[]string{"a", "5"}, "a/:x", map[string]string{"x": "5"}, "", false},
		{[]string{"b", "5"}, "b", nil, "5", true},
		{[]string{"messages", "projects"}, "messages", nil, "projects", true},
		{[]string{"org1", "projects", "7"}, ":orgId/projects", map[string]string{"orgId": "org1"}, "7", true},
		{[]string{"messages", "1", "2"}, "", nil, "", false},
		{[]string{"messages", ""}, "", nil, "", false},
		{[]string{""}, "", nil, "", false},
	}
	for _, tc := range cases {
		s, route, id, hasID := app.LookupID(tc.segs)
		got := ""
		if s != nil {
			got = s.Path()
		}
		if got != tc.want || !reflect.DeepEqual(route, tc.route) || id != tc.id || hasID != tc.hasID {
			t.Errorf("LookupID(%q) = %q %v %q %v, want %q %v %q %v", tc.segs, got, route, id, hasID, tc.want, tc.route, tc.id, tc.hasID)
		}
	}
}
