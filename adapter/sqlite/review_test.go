package sqlite_test

// Adversarial review of protected fields (issue #17 follow-up): failing
// TestReview* tests are findings; the regression part holds attacks that
// were refused.

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

type reviewCreds struct {
	Hash string `json:"hash" protected:"true"`
	Kind string `json:"kind"`
}

type reviewAccount struct {
	ID    string      `json:"_id" readOnly:"true"`
	Name  string      `json:"name"`
	Creds reviewCreds `json:"creds"`
}

// Found by the review, fixed since: on SQLite (the default store) ?$sort[creds]=1 orders records by
// the JSON text of creds, which starts with the protected creds.hash: the
// order of a page tells how the hashes compare. The query check knows no
// protected field (Service.protected lists only top-level ones), and the
// schema check accepts creds, a field that is not itself protected.
func TestReviewSQLiteNestedProtectedSortOracle(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := pinion.Use(app, "accounts", sqlite.Typed[reviewAccount, string](openDB(t), "accounts", sqlite.Options{}))
	// "a" has the greater hash, "b" the smaller.
	for _, a := range []reviewAccount{{Name: "a", Creds: reviewCreds{Hash: "$2b$10$zz"}}, {Name: "b", Creds: reviewCreds{Hash: "$2b$10$aa"}}} {
		if _, err := svc.Create(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	hc, err := app.Service("accounts").Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest",
		Query: map[string]any{"$sort": pinion.Ordered{{Key: "creds", Value: 1}}, "$select": []any{"name"}}})
	if err == nil {
		order := ""
		for _, r := range pinion.Records(hc.Result) {
			order += fmt.Sprint(r.String("name"))
		}
		t.Errorf("$sort[creds]=1 was accepted and answers %q: the order of the protected hashes (b's < a's)", order)
	} else if !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("err %v, want 400", err)
	}
}

// Found by the review (same cause), fixed since: on SQLite, equality with the whole nested document,
// ?creds[hash]=<guess>&creds[kind]=, finds the record exactly when the
// guess is its protected hash.
func TestReviewSQLiteNestedProtectedEqualityOracle(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := pinion.Use(app, "accounts", sqlite.Typed[reviewAccount, string](openDB(t), "accounts", sqlite.Options{}))
	if _, err := svc.Create(ctx, reviewAccount{Name: "victim", Creds: reviewCreds{Hash: "$2b$10$right"}}, nil); err != nil {
		t.Fatal(err)
	}
	found := func(guess string) string {
		hc, err := app.Service("accounts").Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest",
			Query: map[string]any{"creds": map[string]any{"hash": guess, "kind": ""}}})
		if err != nil {
			return "error " + err.Error()
		}
		return fmt.Sprint(len(pinion.Records(hc.Result)))
	}
	if right, wrong := found("$2b$10$right"), found("$2b$10$wrong"); right != wrong {
		t.Errorf("the answer tells the protected hash: right guess %s records, wrong guess %s", right, wrong)
	}
}

// Regression (held): on the SQLite adapter the JSON path of a query field
// is case-sensitive, so PASSWORD or Password never read "password", and
// canonical names with '-' or digits are quoted keys.
func TestReviewSQLiteCaseAndDigitsHeld(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	store := sqlite.New(openDB(t), "users", sqlite.Options{Options: adapter.Options{ID: "_id"}})
	svc := app.Use("users", store, pinion.WithProtected("password"))
	if _, err := svc.Create(ctx, map[string]any{"email": "v@x", "password": "$2b$10$hash", "0": map[string]any{"password": "$2b$10$hash"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []map[string]any{
		{"Password": map[string]any{"$gte": "$"}},
		{"PASSWORD": map[string]any{"$gte": "$"}},
		{"password-": map[string]any{"$gte": "$"}},
		{"email": map[string]any{"$ne": map[string]any{"password": "x"}}, "$limit": 0, "Password": "$2b$10$hash"},
	} {
		hc, err := svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest", Query: q})
		if err != nil {
			continue
		}
		if n := len(pinion.Records(hc.Result)); n != 0 {
			t.Errorf("%v matched %d records: a spelling of password reached it", q, n)
		}
	}
	// The digit segment "0.password" is refused (MongoDB and memory read it
	// as an index), though on SQLite it is a key of its own.
	if _, err := svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest", Query: map[string]any{"0.password": "$2b$10$hash"}}); !errors.Is(err, pinion.BadRequest("")) {
		t.Errorf("0.password: %v, want 400", err)
	}
}
