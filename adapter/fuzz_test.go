package adapter_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// FuzzParse feeds arbitrary JSON queries (as sockets deliver them) to Parse:
// it never panics, and every refusal is a 400 BadRequest.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}`, `{"$sort":{"a":-1},"$limit":"5","$skip":2,"$select":["a","b"]}`,
		`{"$or":[{"a":{"$in":[1,2]}},{"b":{"$ne":null}}]}`, `{"a":{"$regex":"x","b":1}}`,
		`{"a\u0000b":1}`, `{"$sort":{"$where":1}}`, `{"$select":["$"]}`, `{"a..b":1}`,
		`{"n":{"$gt":"3"},"d":"2026-01-01T00:00:00Z","u":"568225fbfe21222432e836ff"}`,
		`{"$and":{"0":{"a":1}}}`, `{"a":{"$or":[{"$where":"1"}]}}`,
	} {
		f.Add(seed)
	}
	opts := adapter.Options{Operators: []string{"$regex"}, Paginate: pinion.Paginate{Default: 10, Max: 50},
		Fields: adapter.Fields{"n": adapter.Number, "b": adapter.Boolean, "d": adapter.Date, "u": adapter.ObjectID}}
	f.Fuzz(func(t *testing.T, s string) {
		var q map[string]any
		if json.Unmarshal([]byte(s), &q) != nil {
			return
		}
		_, err := opts.Parse(&pinion.Params{Query: q}, toOID)
		var fe *pinion.Error
		if err != nil && (!errors.As(err, &fe) || fe.Code != 400) {
			t.Fatalf("query %s: %v, want nil or a 400", s, err)
		}
	})
}
