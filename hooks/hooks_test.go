package hooks_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/hooks"
)

var ctx = context.Background()

func TestProtect(t *testing.T) {
	rec := func() map[string]any {
		return map[string]any{"id": 1.0, "email": "a@b.c", "password": "hash", "token": "t"}
	}
	protect := hooks.Protect("password", "token")
	for _, tc := range []struct {
		name   string
		result any
		want   string
	}{
		{"record", rec(), `{"email":"a@b.c","id":1}`},
		{"list", []map[string]any{rec(), rec()}, `[{"email":"a@b.c","id":1},{"email":"a@b.c","id":1}]`},
		{"any list", []any{rec(), "not a record"}, `[{"email":"a@b.c","id":1},"not a record"]`},
		{"page", &pinion.Page{Total: 1, Limit: 10, Data: []map[string]any{rec()}}, `{"total":1,"limit":10,"skip":0,"data":[{"email":"a@b.c","id":1}]}`},
	} {
		for _, provider := range []string{"", "rest"} {
			hc := &pinion.HookContext{Method: "find", Result: tc.result, Params: &pinion.Params{Provider: provider}}
			if err := protect(ctx, hc); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(hc.External())
			if string(b) != tc.want {
				t.Errorf("%s (provider %q): external %s, want %s", tc.name, provider, b, tc.want)
			}
			full, _ := json.Marshal(hc.Result)
			leaked := json.Valid(full) && string(full) != tc.want
			if provider == "rest" && leaked {
				t.Errorf("%s: the result of an external call keeps the fields: %s", tc.name, full)
			}
			if provider == "" && !leaked {
				t.Errorf("%s: an internal call lost the fields from its result", tc.name)
			}
		}
	}
	// The stored record (shared with a store or a cache) is never changed.
	r := rec()
	protect(ctx, &pinion.HookContext{Result: r, Params: &pinion.Params{Provider: "rest"}})
	if r["password"] != "hash" {
		t.Error("Protect changed the record itself")
	}
}

func TestValidate(t *testing.T) {
	validate := hooks.Validate(`{"type":"object","required":["email"],"properties":{"email":{"type":"string","format":"email"},"age":{"type":"number","minimum":0}}}`)
	ok := &pinion.HookContext{Data: map[string]any{"email": "a@b.c", "age": 3.0}}
	if err := validate(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := &pinion.HookContext{Data: []any{map[string]any{"email": "a@b.c"}, map[string]any{"email": "nope", "age": -1.0}}}
	err := validate(ctx, bad)
	fe, isErr := err.(*pinion.Error)
	if !isErr || fe.Code != 400 || !strings.HasPrefix(fe.Message, "Invalid data: '1.") {
		t.Fatalf("err = %v", err)
	}
	problems := fe.Data.([]any)
	paths := map[string]bool{}
	for _, p := range problems {
		paths[p.(map[string]any)["instancePath"].(string)] = true
	}
	if len(problems) != 2 || !paths["/1/email"] || !paths["/1/age"] {
		t.Errorf("problems %v", problems)
	}
	if err := validate(ctx, &pinion.HookContext{Data: "a string"}); err == nil {
		t.Error("a string passed an object schema")
	}
	defer func() {
		if recover() == nil {
			t.Error("an invalid schema must panic at registration")
		}
	}()
	hooks.Validate(`{"type": 5}`)
}

// Validate's refusals read as a typed service's: the message names the
// first field at fault, and each problem is in the schema package's words.
func TestValidateMessages(t *testing.T) {
	validate := hooks.Validate(`{"type": "object", "required": ["email", "password"], "additionalProperties": false, "properties": {
		"email": {"type": "string", "format": "email"},
		"password": {"type": "string", "minLength": 8, "maxLength": 72},
		"age": {"type": "integer", "minimum": 0, "maximum": 150},
		"role": {"enum": ["user", "admin"]},
		"nick": {"type": "string", "minLength": 1},
		"site": {"type": "string", "pattern": "^https://"}}}`)
	cases := []struct {
		data    map[string]any
		message string
		data0   map[string]any
	}{
		{map[string]any{"password": "correct horse"}, "Invalid data: 'email' is required", map[string]any{"instancePath": "/email", "message": "is required"}},
		{map[string]any{"email": "ada@example", "password": "correct horse"}, "Invalid data: 'email' must be a valid email address", nil},
		{map[string]any{"email": "ada@example.com", "password": "short"}, "Invalid data: 'password' must be at least 8 characters long",
			map[string]any{"instancePath": "/password", "message": "must be at least 8 characters long"}},
		{map[string]any{"email": "ada@example.com", "password": strings.Repeat("x", 73)}, "Invalid data: 'password' must be at most 72 characters long", nil},
		{map[string]any{"email": "ada@example.com", "password": 5}, "Invalid data: 'password' must be a string", nil},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "nick": ""}, "Invalid data: 'nick' must not be empty", nil},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "admin": true}, "Invalid data: 'admin' is not a field", nil},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "age": -1}, "Invalid data: 'age' must be at least 0", nil},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "age": 1.5}, "Invalid data: 'age' must be an integer", nil},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "site": "http://x"}, "Invalid data: 'site' must match the pattern ^https://", nil},
	}
	for _, c := range cases {
		err := validate(ctx, &pinion.HookContext{Data: c.data})
		fe, ok := err.(*pinion.Error)
		if !ok || fe.Code != 400 || fe.Message != c.message {
			t.Errorf("%v: got %v, want %q", c.data, err, c.message)
			continue
		}
		if c.data0 != nil && !reflect.DeepEqual(fe.Data.([]any)[0], c.data0) {
			t.Errorf("%v: data %v, want %v first", c.data, fe.Data, c.data0)
		}
	}
}
