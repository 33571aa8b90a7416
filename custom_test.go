package pinion_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

// Rename is the data of the typed custom methods under test.
type Rename struct {
	Title string `json:"title" required:"true" minLength:"1" maxLength:"50"`
}

// Count is what the typed custom method without an id answers.
type Count struct {
	N int `json:"n"`
}

func renames(t *testing.T, opts ...pinion.ServiceOption) (pinion.ServiceOf[Todo, int], pinion.CustomOn[int, Rename, Todo], pinion.Custom[struct{}, Count]) {
	t.Helper()
	_, todos := todos(t, opts...)
	rename := pinion.AddCustomOn(todos, "rename", func(ctx context.Context, id int, d Rename, p *pinion.Params) (Todo, error) {
		return todos.Patch(ctx, id, pinion.NewPatch(Todo{Title: d.Title}, "title"), p)
	})
	count := pinion.AddCustom(todos, "count", func(ctx context.Context, _ struct{}, p *pinion.Params) (Count, error) {
		found, err := todos.Find(ctx, p)
		return Count{len(found.Data)}, err
	})
	return todos, rename, count
}

// A client's data for a typed custom method is decoded and validated as a
// create's would be: every refusal is a 400 that names the field, none a
// panic or a 500.
func TestCustomMethodData(t *testing.T) {
	ctx := context.Background()
	todos, _, _ := renames(t)
	todos.Create(ctx, Todo{Title: "a"}, nil)
	external := func() *pinion.Params { return &pinion.Params{Provider: pinion.ProviderSocketIO} }
	for _, c := range []struct {
		name  string
		data  any
		field string // "" for a 400 about the data's shape
	}{
		{"a number for a string", map[string]any{"id": 0.0, "title": 5.0}, "title"},
		{"a rule broken", map[string]any{"id": 0.0, "title": ""}, "title"},
		{"a required field missing", map[string]any{"id": 0.0}, "title"},
		{"an unknown field", map[string]any{"id": 0.0, "title": "b", "colour": "red"}, "colour"},
		{"no id", map[string]any{"title": "b"}, "id"},
		{"an id that is no integer", map[string]any{"id": "x", "title": "b"}, "id"},
		{"a list", []any{map[string]any{"id": 0.0, "title": "b"}}, ""},
		{"a string", "rename", ""},
		{"nothing", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := todos.Call(ctx, "rename", nil, c.data, external())
			var fe *pinion.Error
			if !errors.As(err, &fe) || fe.Code != 400 || c.field != "" && !strings.Contains(fe.Message, "'"+c.field+"'") {
				t.Fatalf("err = %v, want a 400 naming %q", err, c.field)
			}
		})
	}
	hc, err := todos.Call(ctx, "rename", nil, map[string]any{"id": 0.0, "title": "b"}, external())
	if err != nil {
		t.Fatal(err)
	}
	// What the client gets: the protected secret is gone.
	if got, ok := hc.External().(map[string]any); !ok || got["title"] != "b" {
		t.Fatalf("rename answered %#v", hc.External())
	}
}

// Go callers call custom methods with their types; hooks see the data as
// the method's type and the id as the service's.
func TestCustomMethodGoCallers(t *testing.T) {
	ctx := context.Background()
	var seen []string
	todos, rename, count := renames(t)
	todos.Hooks(pinion.Hooks{Before: pinion.HookMap{"rename": {pinion.Typed(func(ctx context.Context, c pinion.Context[Rename]) error {
		for _, d := range c.Data() {
			d.Title = strings.TrimSpace(d.Title)
			seen = append(seen, d.Title)
		}
		if _, ok := c.ID.(int); !ok {
			t.Errorf("the hook's id is a %T", c.ID)
		}
		return nil
	})}}})
	created, _ := todos.Create(ctx, Todo{Title: "a"}, nil)
	got, err := rename.Call(ctx, created.ID, Rename{Title: "  b  "}, nil)
	if err != nil || got.Title != "b" || got.ID != created.ID {
		t.Fatalf("rename: %+v %v", got, err)
	}
	if len(seen) != 1 || seen[0] != "b" {
		t.Errorf("the hook saw %q", seen)
	}
	if _, err := rename.Call(ctx, 42, Rename{Title: "c"}, nil); !errors.Is(err, pinion.NotFound("")) {
		t.Errorf("rename of a missing record: %v", err)
	}
	if n, err := count.Call(ctx, struct{}{}, nil); err != nil || n.N != 1 {
		t.Errorf("count: %+v %v", n, err)
	}
	if rename.Name() != "rename" || count.Name() != "count" {
		t.Errorf("names %q %q", rename.Name(), count.Name())
	}
}

// Custom methods are exposed like WithMethod's, unless WithMethods chose.
func TestCustomMethodExposure(t *testing.T) {
	todos, _, _ := renames(t)
	if !todos.Exposes("rename") || !todos.Exposes("count") {
		t.Errorf("exposed: %v", todos.Methods())
	}
	chosen, _, _ := renames(t, pinion.WithMethods(pinion.MethodGet))
	if chosen.Exposes("rename") || !chosen.Has("rename") {
		t.Errorf("WithMethods(get) exposes %v", chosen.Methods())
	}
	docs := todos.CustomDocs()
	if len(docs) != 2 || docs[0].Name != "count" || docs[0].IDField != "" || docs[1].Name != "rename" || docs[1].IDField != "id" || docs[1].Result == nil {
		t.Errorf("docs: %+v", docs)
	}
}

// Mistakes in registering one are caught at once.
func TestCustomMethodRegistration(t *testing.T) {
	noop := func(ctx context.Context, id string, d Rename, p *pinion.Params) (Todo, error) { return Todo{}, nil }
	for name, register := range map[string]func(todos pinion.ServiceOf[Todo, int]){
		"a standard name": func(todos pinion.ServiceOf[Todo, int]) {
			pinion.AddCustom(todos, "patch", func(ctx context.Context, d Rename, p *pinion.Params) (Todo, error) { return Todo{}, nil })
		},
		"a name twice": func(todos pinion.ServiceOf[Todo, int]) {
			pinion.AddCustom(todos, "rename", func(ctx context.Context, d Rename, p *pinion.Params) (Todo, error) { return Todo{}, nil })
		},
		"an id of another type": func(todos pinion.ServiceOf[Todo, int]) { pinion.AddCustomOn(todos, "other", noop) },
	} {
		t.Run(name, func(t *testing.T) {
			todos, _, _ := renames(t)
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			register(todos)
		})
	}
}

// Hooks may replace a custom method's data or id: the method reads what
// they left, and a hook's mistake is an error, not a panic.
func TestCustomMethodHookChanges(t *testing.T) {
	ctx := context.Background()
	todos, rename, _ := renames(t)
	created, _ := todos.Create(ctx, Todo{Title: "a"}, nil)
	var replace func(hc *pinion.HookContext)
	todos.Hooks(pinion.Hooks{Before: pinion.HookMap{"rename": {func(ctx context.Context, hc *pinion.HookContext) error {
		replace(hc)
		return nil
	}}}})
	replace = func(hc *pinion.HookContext) { hc.Data = map[string]any{"title": "from a map"} }
	if got, err := rename.Call(ctx, created.ID, Rename{Title: "b"}, nil); err != nil || got.Title != "from a map" {
		t.Errorf("data replaced by a map: %+v %v", got, err)
	}
	replace = func(hc *pinion.HookContext) { hc.Data = nil }
	if _, err := rename.Call(ctx, created.ID, Rename{Title: "b"}, nil); !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("data taken away: %v", err)
	}
	replace = func(hc *pinion.HookContext) { hc.ID = nil }
	if _, err := rename.Call(ctx, created.ID, Rename{Title: "b"}, nil); !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("id taken away: %v", err)
	}
}
