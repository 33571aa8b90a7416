package mongodb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

type reviewCreds struct {
	Hash string `json:"hash" bson:"hash" protected:"true"`
	Kind string `json:"kind" bson:"kind"`
}

type reviewAccount struct {
	ID    string      `json:"_id" bson:"_id,omitempty" readOnly:"true"`
	Name  string      `json:"name" bson:"name"`
	Creds reviewCreds `json:"creds" bson:"creds"`
}

// Found by the review, fixed since: on MongoDB a nested protected field of a typed service (tagged
// protected:"true" in a nested struct) is a range oracle: documents compare
// field by field, so ?creds[$lt][hash]=<guess> tells, one comparison at a
// time, whether the hash sorts below the guess (the schema check reads an
// object-typed field's operand as a plain value; Service.protected lists
// only top-level protected fields).
func TestReviewMongoNestedProtectedRangeOracle(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := pinion.Use(app, "accounts", mongodb.Typed[reviewAccount, string](mongodbtest.DB(t).Collection("accounts"), mongodb.Options{}))
	if _, err := svc.Create(ctx, reviewAccount{Name: "victim", Creds: reviewCreds{Hash: "$2b$10$mmmm", Kind: "k"}}, nil); err != nil {
		t.Fatal(err)
	}
	count := func(guess string) (int, error) {
		hc, err := app.Service("accounts").Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest",
			Query: map[string]any{"creds": map[string]any{"$lt": map[string]any{"hash": guess}}}})
		if err != nil {
			return -1, err
		}
		return len(pinion.Records(hc.Result)), nil
	}
	below, err1 := count("$2b$10$a")
	above, err2 := count("$2b$10$z")
	t.Logf("guess a: %d %v, guess z: %d %v", below, err1, above, err2)
	if err1 == nil && err2 == nil && below != above {
		t.Errorf("the answer depends on the protected hash: %d records below guess a, %d below guess z", below, above)
	}
	if err1 == nil || err2 == nil {
		t.Errorf("a condition on creds (which holds the protected creds.hash) was accepted: %v, %v", err1, err2)
	}
}

// Regression (held on the embedded server): documents inside a list
// equality reach the MongoDB filter unchecked (see
// adapter.TestReviewParseListOfDocuments), but the server reads them as
// literal values: $expr there does not compare the protected password.
func TestReviewMongoListOfDocumentsHeld(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	svc := app.Use("users", mongodb.New(mongodbtest.DB(t).Collection("users"), mongodb.Options{}), pinion.WithProtected("password"))
	if _, err := svc.Create(ctx, map[string]any{"email": "v@x", "password": "$2b$10$mmmm"}, nil); err != nil {
		t.Fatal(err)
	}
	answer := func(guess string) string {
		hc, err := svc.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: "rest", Query: map[string]any{
			"email": []any{map[string]any{"$expr": map[string]any{"$gt": []any{"$password", guess}}}}}})
		if err != nil {
			return "error " + pinion.ToError(err, false).Name()
		}
		return fmt.Sprint(len(pinion.Records(hc.Result)))
	}
	lo, hi := answer("$2a"), answer("$2c")
	t.Logf("answers: %s / %s", lo, hi)
	if lo != hi {
		t.Errorf("the answer depends on the protected hash: %s / %s", lo, hi)
	}
}
