package pinion_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

type finder struct{}

func (f *finder) Find(ctx context.Context, params *pinion.Params) (any, error) { return []any{}, nil }

// The query of an external call is checked as the client sent it: names,
// shapes and bounds, before any hook runs.
func TestQueryCheck(t *testing.T) {
	app := pinion.New(pinion.WithQueryLimits(pinion.QueryLimits{Terms: 4, Sort: 2, Select: 2, Values: 3, Depth: 3}))
	f := &finder{}
	hookRan := false
	svc := app.Use("things", f, pinion.WithProtected("secret", "auth.hash"), pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{
		pinion.MethodFind: {func(ctx context.Context, hc *pinion.HookContext) error {
			hookRan = true
			hc.Params.Query["$and"] = []any{map[string]any{"owner": "me"}}
			return nil
		}},
	}}))
	m := func(kv ...any) map[string]any {
		out := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	for _, tc := range []struct {
		query map[string]any
		want  string // in the message; "" for no error
	}{
		{m("a", 1.0, "$sort", m("b", 1.0), "$select", []any{"a"}, "$limit", 2.0), ""},
		{m("a.b", m("$in", []any{1.0, 2.0})), ""},
		{m("$or", m("0", m("a", 1.0), "1", m("b", 2.0))), ""}, // qs's object of indices
		{m(`pass\u0077ord`, 1.0), "not a field name"},
		{m("a", m("b\\", 1.0)), "not a field name"},
		{m("$or", []any{m("a\\", 1.0)}), "not a field name"},
		{m("$sort", pinion.Ordered{{Key: "a\\", Value: 1.0}}), "not a field name"},
		{m("$select", []any{"a\\"}), "not a field name"},
		{m("secret", 1.0), "protected"},
		{m("auth", m("hash", 1.0)), "protected"},
		{m("auth", 1.0), "protected"},
		{m("secret.x", 1.0), "protected"},
		{m("auth.0.hash", 1.0), "protected"}, // the hash of a list's first element
		{m("auth.1", m("hash", 1.0)), "protected"},
		{m("secret.0", 1.0), "protected"},
		{m("0.secret", 1.0), "protected"},
		{m("$sort", m("secret", 1.0)), "protected"},
		{m("$select", "auth.hash"), "protected"},
		{m("$and", []any{m("$or", []any{m("secret", 1.0)})}), "protected"},
		{m("a", m("$or", []any{m("secret", 1.0)})), "protected"}, // a field-level $or
		{m("$and", "x"), "expected a list of queries"},
		{m("$or", []any{"x"}), "expected a list of queries"},
		{m("$or", m("a", m("b", 1.0))), "expected a list of queries"},
		{m("a", 1.0, "b", 1.0, "c", 1.0, "d", 1.0, "e", 1.0), "more than 4 terms"},
		{m("$or", []any{m(), m(), m(), m(), m()}), "more than 4 terms"},
		{m("a", m("$gt", 1.0, "$lt", 2.0, "$ne", 3.0, "$gte", 0.0)), "more than 4 terms"},
		{m("$sort", m("a", 1.0, "b", 1.0, "c", 1.0)), "more than 2 keys"},
		{m("$select", []any{"a", "b", "c"}), "more than 2 fields"},
		{m("a", m("$in", []any{1.0, 2.0, 3.0, 4.0})), "more than 3 values"},
		{m("$or", []any{m("$or", []any{m("$or", []any{m("$or", []any{m("a", 1.0)})})})}), "deeper than 3"},
	} {
		hookRan = false
		_, err := svc.Find(context.Background(), &pinion.Params{Provider: "rest", Query: tc.query})
		var fe *pinion.Error
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.query, err)
		case tc.want != "" && (!errors.As(err, &fe) || fe.Code != 400 || !strings.Contains(fe.Message, tc.want)):
			t.Errorf("%v: %v, want a 400 saying %q", tc.query, err, tc.want)
		case tc.want != "" && hookRan:
			t.Errorf("%v: a hook ran before the check", tc.query)
		}
	}
	// Internal calls are trusted with their queries.
	if _, err := svc.Find(context.Background(), &pinion.Params{Query: m("secret", 1.0)}); err != nil {
		t.Errorf("internal call: %v", err)
	}
	if got := fmt.Sprint(pinion.DefaultQueryLimits); got != "{100 1000 16 100 8}" {
		t.Errorf("DefaultQueryLimits = %s", got)
	}
}

// BenchmarkQueryCheck is the check of a client's query at the edge: the
// REST benchmark's query (qs form), on a service with a protected field,
// against the same call from Go, which is not checked.
func BenchmarkQueryCheck(b *testing.B) {
	app := pinion.New()
	svc := app.Use("messages", &finder{}, pinion.WithProtected("password"))
	query := map[string]any{
		"$limit": "10",
		"$sort":  pinion.Ordered{{Key: "createdAt", Value: "-1"}},
		"userId": map[string]any{"$in": map[string]any{"0": "1"}},
	}
	for _, provider := range []string{"", "rest"} {
		name := "internal"
		if provider != "" {
			name = "external"
		}
		b.Run(name, func(b *testing.B) {
			p := &pinion.Params{Provider: provider, Query: query}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Find(context.Background(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
