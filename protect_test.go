package pinion_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/pinionhq/pinion"
)

func TestProtectedQueries(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := app.Use("users", &echo{}, pinion.WithProtected("password", "keys.private"))
	M := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		query   map[string]any
		refused bool
	}{
		{"no query", nil, false},
		{"other fields", M("email", "a", "$sort", M("email", 1), "$select", []any{"email"}), false},
		{"equality", M("password", "x"), true},
		{"operator", M("password", M("$gte", "$2")), true},
		{"in", M("password", M("$in", []any{"a"})), true},
		{"path below", M("password.length", 3), true},
		{"nested document", M("keys", M("private", "x")), true},
		{"path to the nested field", M("keys.private", "x"), true},
		{"object around the nested field", M("keys", M("$gt", M("private", "x"))), true},
		{"sibling of the nested field", M("keys.public", "x"), false},
		{"or", M("$or", []any{M("email", "a"), M("password", "b")}), true},
		{"and in or", M("$and", []any{M("$or", []any{M("password", "b")})}), true},
		{"qs object of indices", M("$or", M("0", M("password", "b"))), true},
		{"field-level or", M("email", M("$or", []any{M("password", "b")})), true},
		{"sort", M("$sort", M("password", -1)), true},
		{"ordered sort", M("$sort", pinion.Ordered{{Key: "email", Value: 1}, {Key: "password", Value: 1}}), true},
		{"select list", M("$select", []any{"email", "password"}), true},
		{"select one", M("$select", "password"), true},
		{"select qs object", M("$select", M("0", "keys")), true},
	} {
		for _, provider := range []string{"rest", ""} {
			_, err := svc.Find(ctx, &pinion.Params{Provider: provider, Query: tc.query})
			refused := errors.Is(err, pinion.BadRequest(""))
			if want := tc.refused && provider != ""; refused != want {
				t.Errorf("%s (provider %q): err %v, refused %v, want %v", tc.name, provider, err, refused, want)
			}
		}
	}
}

func TestProtectedResults(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	var events []any
	app.OnEvent(func(ctx context.Context, e pinion.Event) { events = append(events, e.External()) })
	svc := app.Use("users", &echo{}, pinion.WithProtected("password", "keys.private"))
	rec := map[string]any{"id": 1.0, "password": "hash", "keys": map[string]any{"private": "p", "public": "q"}}
	const want = `{"id":1,"keys":{"public":"q"}}`

	hc, err := svc.Call(ctx, pinion.MethodCreate, nil, rec, &pinion.Params{Provider: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(hc.External(), jsonValue(want)) || !equalJSON(hc.Result, jsonValue(want)) {
		t.Errorf("external call: result %v, external %v", hc.Result, hc.External())
	}
	hc, _ = svc.Call(ctx, pinion.MethodCreate, nil, rec, nil)
	if !equalJSON(hc.External(), jsonValue(want)) || hc.Result.(map[string]any)["password"] != "hash" {
		t.Errorf("internal call: result %v, external %v", hc.Result, hc.External())
	}
	for _, e := range events {
		if !equalJSON(e, jsonValue(want)) {
			t.Errorf("event %v", e)
		}
	}
	if rec["password"] != "hash" || rec["keys"].(map[string]any)["private"] != "p" {
		t.Error("the stored record was changed")
	}
	// A protected field in the objects of a list goes from each of them.
	withList := map[string]any{"id": 2.0, "keys": []any{map[string]any{"private": "p", "public": "q"}, "x"}}
	if got, want := pinion.Without(withList, "keys.private"), jsonValue(`{"id":2,"keys":[{"public":"q"},"x"]}`); !equalJSON(got, want) {
		t.Errorf("Without(a list of objects) = %v, want %v", got, want)
	}
	if withList["keys"].([]any)[0].(map[string]any)["private"] != "p" {
		t.Error("the record with a list was changed")
	}
	page := &pinion.Page{Total: 1, Data: []map[string]any{rec}}
	if got := pinion.Without(page, "password").(*pinion.Page); got.Data[0]["password"] != nil || page.Data[0]["password"] == nil {
		t.Errorf("Without(page) = %v", got.Data)
	}
}

func jsonValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

// FuzzProtectedQuery checks arbitrary queries against protected fields: no
// panic, only 400s, and no query naming the field gets through.
func FuzzProtectedQuery(f *testing.F) {
	for _, seed := range []string{`{"password":{"$gte":"$"}}`, `{"$or":[{"a":1},{"password":2}]}`,
		`{"$sort":{"password":1}}`, `{"$select":{"0":"password"}}`, `{"a":{"$or":[{"password":1}]}}`, `{"a":[{"b":1}]}`} {
		f.Add(seed)
	}
	app := pinion.New()
	svc := app.Use("users", &echo{}, pinion.WithProtected("password"))
	f.Fuzz(func(t *testing.T, s string) {
		var q map[string]any
		if json.Unmarshal([]byte(s), &q) != nil {
			return
		}
		_, err := svc.Find(context.Background(), &pinion.Params{Provider: "rest", Query: q})
		if err != nil && !errors.Is(err, pinion.BadRequest("")) {
			t.Fatalf("query %s: %v", s, err)
		}
		if err == nil && namesField(q, "password") {
			t.Fatalf("query %s names the protected field and passed", s)
		}
	})
}

// namesField is the plain reading of a query: does it filter by field at the
// top level or in $or and $and, sort by it or select it?
func namesField(q map[string]any, field string) bool {
	for k, v := range q {
		switch k {
		case field:
			return true
		case "$sort":
			if m, ok := v.(map[string]any); ok && m[field] != nil {
				return true
			}
		case "$select":
			var names []any
			switch l := v.(type) {
			case string:
				names = []any{l}
			case []any:
				names = l
			case map[string]any:
				for _, e := range l {
					names = append(names, e)
				}
			}
			if slices.Contains(names, any(field)) {
				return true
			}
		case "$or", "$and":
			var subs []any
			switch l := v.(type) {
			case []any:
				subs = l
			case map[string]any:
				for _, e := range l {
					subs = append(subs, e)
				}
			}
			for _, e := range subs {
				if m, ok := e.(map[string]any); ok && namesField(m, field) {
					return true
				}
			}
		}
	}
	return false
}
