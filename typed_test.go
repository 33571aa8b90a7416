package pinion_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
)

type Todo struct {
	ID     int       `json:"id" readOnly:"true"`
	Title  string    `json:"title" required:"true" minLength:"1" maxLength:"50"`
	Done   bool      `json:"done"`
	Due    time.Time `json:"due,omitzero"`
	Secret string    `json:"secret,omitempty" protected:"true"`
}

func todos(t *testing.T, opts ...pinion.ServiceOption) (*pinion.App, pinion.ServiceOf[Todo, int]) {
	t.Helper()
	app := pinion.New()
	o := memory.Options{}
	o.Multi = []pinion.Method{pinion.MethodCreate, pinion.MethodPatch, pinion.MethodRemove}
	return app, pinion.Use(app, "todos", memory.Typed[Todo, int](o), opts...)
}

func badRequest(t *testing.T, err error, field string) {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != 400 || !strings.Contains(fe.Message, "'"+field+"'") {
		t.Fatalf("err = %v, want a 400 naming %s", err, field)
	}
}

// Go callers get the service's types, with no casts.
func TestTypedGoCallers(t *testing.T) {
	ctx := context.Background()
	_, svc := todos(t)
	created, err := svc.Create(ctx, Todo{Title: "write docs"}, nil)
	if err != nil || created.ID != 0 || created.Title != "write docs" {
		t.Fatalf("create: %+v, %v", created, err)
	}
	got, err := svc.Get(ctx, created.ID, nil)
	if err != nil || got != created {
		t.Fatalf("get: %+v, %v", got, err)
	}
	patched, err := svc.Patch(ctx, got.ID, pinion.NewPatch(Todo{Done: true}), nil)
	if err != nil || !patched.Done || patched.Title != "write docs" {
		t.Fatalf("patch: %+v, %v", patched, err)
	}
	// A zero value is written when the patch names it.
	undone, _ := svc.Patch(ctx, got.ID, pinion.NewPatch(Todo{}, "done"), nil)
	if undone.Done {
		t.Fatalf("a named zero field was not written: %+v", undone)
	}
	many, err := svc.CreateMany(ctx, []Todo{{Title: "a"}, {Title: "b"}}, nil)
	if err != nil || len(many) != 2 || many[1].ID != 2 {
		t.Fatalf("create many: %+v, %v", many, err)
	}
	found, err := svc.Find(ctx, &pinion.Params{Query: map[string]any{"done": false, "$sort": map[string]any{"id": -1}}})
	if err != nil || len(found.Data) != 3 || found.Data[0].Title != "b" || found.Paginated {
		t.Fatalf("find: %+v, %v", found, err)
	}
	removed, err := svc.Remove(ctx, 1, nil)
	if err != nil || removed.Title != "a" {
		t.Fatalf("remove: %+v, %v", removed, err)
	}
	if _, err := svc.Get(ctx, 1, nil); !errors.Is(err, pinion.NotFound("")) {
		t.Fatalf("get of a removed todo: %v", err)
	}
}

// What transports deliver is converted once, at the edge: REST bodies
// straight into the struct, socket maps field by field; ids become ints
// whether they came as strings or numbers; a wrong type is a 400 naming the
// field.
func TestTypedEdge(t *testing.T) {
	ctx := context.Background()
	_, svc := todos(t)
	rest := func(method pinion.Method, id any, body string) (*pinion.HookContext, error) {
		data, ok, err := svc.DecodeData(method, []byte(body))
		if !ok {
			t.Fatalf("a typed service does not decode its data")
		}
		if err != nil {
			return nil, err
		}
		return svc.Call(ctx, method, id, data, &pinion.Params{Provider: "rest"})
	}
	hc, err := rest(pinion.MethodCreate, nil, `{"title":"from REST","id":99}`)
	if err != nil {
		t.Fatal(err)
	}
	if id, title := field(hc.Result, "id"), field(hc.Result, "title"); id != 0 || title != "from REST" {
		t.Fatalf("a read-only id from the client was kept: %v", hc.Result)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"title": 5}`, "title"},
		{`{"title": "x", "done": "yes"}`, "done"},
		{`{"title": "x", "role": "admin"}`, "role"},
		{`{"done": true}`, "title"},
		{`{"title": ""}`, "title"},
		{`{"title": "` + strings.Repeat("x", 51) + `"}`, "title"},
		{`{"title": "x", "due": "tomorrow"}`, "due"},
	} {
		_, err := rest(pinion.MethodCreate, nil, tc.body)
		badRequest(t, err, tc.field)
	}
	if _, err := rest(pinion.MethodCreate, nil, `{"title": "x"} trailing`); !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("invalid JSON: %v", err)
	}
	// A REST id is a string, a socket id a number: both are the int 0.
	for _, id := range []any{"0", 0.0} {
		hc, err := svc.Call(ctx, pinion.MethodPatch, id, map[string]any{"done": true}, &pinion.Params{Provider: "socketio"})
		if err != nil || field(hc.Result, "done") != true || hc.ID != 0 {
			t.Fatalf("patch with id %#v: %v %v", id, hc, err)
		}
	}
	_, err = svc.Call(ctx, pinion.MethodGet, "zero", nil, &pinion.Params{Provider: "rest"})
	if !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("a non-numeric id: %v", err)
	}
	_, err = svc.Call(ctx, pinion.MethodPatch, "0", map[string]any{"done": "no"}, &pinion.Params{Provider: "socketio"})
	badRequest(t, err, "done")
	// A patch is checked field by field: a missing title is no problem.
	if _, err := rest(pinion.MethodPatch, "0", `{"done": false}`); err != nil {
		t.Fatal(err)
	}
	// A REST query string is coerced from the field's type.
	hc, err = svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest", Query: map[string]any{"done": "false"}})
	if err != nil || len(pinion.Records(hc.Result)) != 1 {
		t.Fatalf("?done=false: %v %v", hc, err)
	}
}

// field reads a field of a one-record result, whatever its shape.
func field(v any, name string) any {
	recs := pinion.Records(v)
	if len(recs) != 1 {
		return nil
	}
	f, _ := recs[0].Get(name)
	return f
}

// Typed hooks read and change the records, for one record and for lists.
func TestTypedHooks(t *testing.T) {
	ctx := context.Background()
	trim := pinion.Typed(func(ctx context.Context, c pinion.Context[Todo]) error {
		for _, todo := range c.Data() {
			todo.Title = strings.TrimSpace(todo.Title)
		}
		return nil
	})
	shout := pinion.Typed(func(ctx context.Context, c pinion.Context[Todo]) error {
		for _, todo := range c.Result() {
			todo.Title = strings.ToUpper(todo.Title)
		}
		return nil
	})
	_, svc := todos(t, pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{pinion.MethodCreate: {trim}},
		After:  pinion.HookMap{pinion.All: {shout}},
	}))
	one, _ := svc.Create(ctx, Todo{Title: "  padded  "}, nil)
	list, _ := svc.CreateMany(ctx, []Todo{{Title: " a "}, {Title: " b"}}, nil)
	found, _ := svc.Find(ctx, nil)
	if one.Title != "PADDED" || list[0].Title != "A" || list[1].Title != "B" || found.Data[2].Title != "B" {
		t.Fatalf("hooks: %+v %+v %+v", one, list, found)
	}
	// A short-cut result from a before hook is the call's result.
	cached := pinion.Typed(func(ctx context.Context, c pinion.Context[Todo]) error {
		c.SetResult(Todo{ID: 7, Title: "cached"})
		return nil
	})
	svc.Hooks(pinion.Hooks{Before: pinion.HookMap{pinion.MethodGet: {cached}}})
	if got, err := svc.Get(ctx, 7, nil); err != nil || got.Title != "CACHED" {
		t.Fatalf("cached get: %+v %v", got, err)
	}
}

// The core helpers work on structs as on maps: one event per record of a
// multi result, protected fields hidden and refused in queries, Records.
func TestTypedHelpers(t *testing.T) {
	ctx := context.Background()
	app, svc := todos(t)
	var events []string
	app.OnEvent(func(ctx context.Context, e pinion.Event) {
		b, _ := json.Marshal(e.External())
		events = append(events, e.Name+" "+string(b))
	})
	if _, err := svc.CreateMany(ctx, []Todo{{Title: "a", Secret: "s1"}, {Title: "b", Secret: "s2"}}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{`created {"done":false,"id":0,"title":"a"}`, `created {"done":false,"id":1,"title":"b"}`}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events:\n got %v\nwant %v", events, want)
	}
	hc, err := svc.Call(ctx, pinion.MethodGet, "0", nil, &pinion.Params{Provider: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(hc.External()); strings.Contains(string(b), "s1") {
		t.Errorf("a protected field reached an external caller: %s", b)
	}
	if internal, _ := svc.Get(ctx, 0, nil); internal.Secret != "s1" {
		t.Errorf("an internal caller lost the protected field: %+v", internal)
	}
	_, err = svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest", Query: map[string]any{"secret": map[string]any{"$gte": "s"}}})
	badRequest(t, err, "secret")

	recs := pinion.Records(&pinion.Found[Todo]{Data: []Todo{{ID: 3, Title: "x"}}})
	if len(recs) != 1 || recs[0].String("title") != "x" {
		t.Fatalf("Records of a Found: %v", recs)
	}
	if err := recs[0].Set("title", "y"); err != nil || recs[0].String("title") != "y" {
		t.Errorf("Record.Set: %v", err)
	}
	if err := recs[0].Set("done", "maybe"); !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("Record.Set of a wrong type: %v", err)
	}
	page := pinion.Without(&pinion.Found[Todo]{Data: []Todo{{Title: "p", Secret: "x"}}, Paginated: true, Total: 1}, "secret")
	if b, _ := json.Marshal(page); string(b) != `{"total":1,"limit":0,"skip":0,"data":[{"done":false,"id":0,"title":"p"}]}` {
		t.Errorf("Without(page) = %s", b)
	}
}

// Channels route typed events as they route maps: a publisher reads the
// record through Records, and connections get its JSON form.
func TestTypedChannels(t *testing.T) {
	ctx := context.Background()
	app, svc := todos(t)
	var got []string
	conn := pinion.NewConnection(pinion.ConnectionOptions{ID: "c", Send: func(event string, data any) {
		got = append(got, event+" "+string(data.(json.RawMessage)))
	}})
	app.Connected(ctx, conn)
	app.Channel("done").Join(conn)
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if done, _ := pinion.Records(e.Data)[0].Get("done"); done == true {
			return []*pinion.Channel{app.Channel("done")}
		}
		return nil
	})
	svc.CreateMany(ctx, []Todo{{Title: "open"}, {Title: "closed", Done: true}}, nil)
	if want := []string{`todos created {"done":true,"id":1,"title":"closed"}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
}

// A client's query names fields of the struct, with values of their types.
func TestTypedQueries(t *testing.T) {
	ctx := context.Background()
	_, svc := todos(t)
	svc.Create(ctx, Todo{Title: "a"}, nil)
	find := func(provider string, q map[string]any) error {
		_, err := svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: provider, Query: q})
		return err
	}
	for _, tc := range []struct {
		query map[string]any
		field string
	}{
		{map[string]any{"titel": "a"}, "titel"},
		{map[string]any{"done": "maybe"}, "done"}, // REST text the adapter cannot read as a boolean
		{map[string]any{"done": 1.0}, "done"},
		{map[string]any{"title": map[string]any{"$in": []any{true}}}, "title"},
		{map[string]any{"$or": []any{map[string]any{"nope": 1.0}}}, "nope"},
		{map[string]any{"$sort": map[string]any{"nope": 1.0}}, "$sort.nope"},
		{map[string]any{"$select": []any{"title", "nope"}}, "$select.nope"},
		{map[string]any{"$and": []any{map[string]any{"$or": []any{map[string]any{"nope": 1.0}}}}}, "nope"},
		{map[string]any{"$sort": pinion.Ordered{{Key: "title", Value: 1.0}, {Key: "nope", Value: -1.0}}}, "$sort.nope"}, // as REST sends it
		{map[string]any{"title.x": "a"}, "title.x"},
	} {
		err := find("socketio", tc.query)
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 400 || !strings.Contains(fe.Message, tc.field) {
			t.Errorf("query %v: %v, want a 400 naming %s", tc.query, err, tc.field)
		}
	}
	for _, q := range []map[string]any{
		{"done": false, "title": map[string]any{"$in": []any{"a", "b"}}, "$sort": map[string]any{"id": -1.0}},
		{"done": "false", "id": map[string]any{"$gte": "0"}}, // REST text
		{"$or": []any{map[string]any{"title": "a"}, map[string]any{"done": true}}},
	} {
		if err := find("rest", q); err != nil {
			t.Errorf("query %v: %v", q, err)
		}
	}
	// Internal callers are trusted with their queries.
	if err := find("", map[string]any{"titel": "a"}); err != nil {
		t.Errorf("an internal query was checked: %v", err)
	}
}
