package mongodb

import (
	"reflect"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

func TestProjection(t *testing.T) {
	doc := map[string]any{
		"_id":  "1",
		"name": "Doug",
		"age":  32.0,
		"address": map[string]any{
			"city": "Oslo",
			"geo":  map[string]any{"lat": 1.0, "lng": 2.0},
		},
		"pets":  []any{map[string]any{"name": "Rex", "kind": "dog"}, "goldfish", map[string]any{"kind": "cat"}},
		"flag":  true,
		"empty": map[string]any{},
	}
	for _, tc := range []struct {
		name string
		id   string
		sel  any
		want map[string]any
	}{
		{"no $select", "_id", nil, doc},
		{"top-level fields and the id", "_id", []any{"name"}, map[string]any{"_id": "1", "name": "Doug"}},
		{"missing fields are absent", "_id", []any{"nope"}, map[string]any{"_id": "1"}},
		{"custom id", "name", []any{"age"}, map[string]any{"name": "Doug", "age": 32.0}},
		{"dotted path", "_id", []any{"address.city"},
			map[string]any{"_id": "1", "address": map[string]any{"city": "Oslo"}}},
		{"two paths in one document", "_id", []any{"address.city", "address.geo.lat"},
			map[string]any{"_id": "1", "address": map[string]any{"city": "Oslo", "geo": map[string]any{"lat": 1.0}}}},
		{"a path under a selected field", "_id", []any{"address", "address.city"},
			map[string]any{"_id": "1", "address": doc["address"]}},
		{"a path into an array of documents", "_id", []any{"pets.name"},
			map[string]any{"_id": "1", "pets": []any{map[string]any{"name": "Rex"}, map[string]any{}}}},
		{"two paths into an array", "_id", []any{"pets.name", "pets.kind"},
			map[string]any{"_id": "1", "pets": []any{map[string]any{"name": "Rex", "kind": "dog"}, map[string]any{"kind": "cat"}}}},
		{"a path into a scalar", "_id", []any{"flag.x"}, map[string]any{"_id": "1"}},
		{"a path into a document without it", "_id", []any{"empty.x"}, map[string]any{"_id": "1", "empty": map[string]any{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(nil, Options{Options: adapter.Options{ID: tc.id}})
			query := map[string]any{}
			if tc.sel != nil {
				query["$select"] = tc.sel
			}
			q, err := s.query(&pinion.Params{Query: query})
			if err != nil {
				t.Fatal(err)
			}
			if got := project(doc, s.projection(q)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}
