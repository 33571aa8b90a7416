package adapter_test

import (
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Found by the review (invariant), fixed since: Options.Parse refuses operators hidden in a document
// of an $in list ({$in: [{$where: …}]}, "which Feathers refuses at any
// depth") and non-canonical names in a nested document, but a plain
// equality with a LIST of documents is passed on unchecked (property
// coerces a non-map value as it is): {email: [{"$where": "…"}]} and
// {email: [{"pass\u0077ord": 1}]} reach the MongoDB filter (bson.M(q.Where))
// with names that are neither allowed operators nor canonical paths. The
// query check of Service.call lets the $-key through too (any $-key is an
// operator to it).
func TestReviewParseListOfDocuments(t *testing.T) {
	o := &adapter.Options{ID: "_id"}
	for _, q := range []map[string]any{
		{"email": []any{map[string]any{"$where": "sleep(100)"}}},
		{"email": []any{map[string]any{"pass\\u0077ord": "x"}}},
		{"$or": []any{map[string]any{"email": []any{map[string]any{"$expr": map[string]any{"$gt": []any{"$password", "$2"}}}}}}},
	} {
		if _, err := o.Parse(&pinion.Params{Query: q}, nil); err == nil {
			t.Errorf("Parse(%v) accepted a document whose names are not canonical field paths nor allowed operators", q)
		}
	}
	// The same document in $in is refused (held).
	if _, err := o.Parse(&pinion.Params{Query: map[string]any{"email": map[string]any{"$in": []any{map[string]any{"$where": "x"}}}}}, nil); err == nil {
		t.Errorf("$in with a $where document was accepted")
	}
}
