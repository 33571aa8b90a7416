package adapter_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

type M = map[string]any

// oid stands in for an ObjectId in the coercion tests.
type oid string

func toOID(s string) (any, bool) {
	if len(s) != 24 {
		return nil, false
	}
	return oid(s), true
}

const hex = "568225fbfe21222432e836ff"

var typed = adapter.Options{Fields: adapter.Fields{
	"n":         adapter.Number,
	"b":         adapter.Boolean,
	"d":         adapter.Date,
	"u":         adapter.ObjectID,
	"s":         adapter.String,
	"address.n": adapter.Number,
}}

func TestParse(t *testing.T) {
	paginated := adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 50}}
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		opts      adapter.Options
		params    *pinion.Params
		convertID func(string) (any, bool)
		want      adapter.Query
	}{
		{"nil params", adapter.Options{}, nil, nil,
			adapter.Query{Where: M{}, Limit: -1}},
		{"filters from REST strings", adapter.Options{}, q(M{"$limit": "10", "$skip": "5", "$sort": M{"a": "-1"}, "$select": []any{"a", "b"}, "name": "x"}), nil,
			adapter.Query{Where: M{"name": "x"}, Limit: 10, Skip: 5, Sort: []adapter.SortField{{Field: adapter.MustPath("a"), Order: -1}}, Select: paths("a", "b")}},
		{"filters from JSON numbers", adapter.Options{}, q(M{"$limit": 2.0, "$skip": 1.0, "$sort": M{"a": 1.0}}), nil,
			adapter.Query{Where: M{}, Limit: 2, Skip: 1, Sort: []adapter.SortField{{Field: adapter.MustPath("a"), Order: 1}}}},
		{"filters from Go ints", adapter.Options{}, q(M{"$limit": 2, "$skip": int64(1), "$sort": M{"a": -1}}), nil,
			adapter.Query{Where: M{}, Limit: 2, Skip: 1, Sort: []adapter.SortField{{Field: adapter.MustPath("a"), Order: -1}}}},
		{"negative $limit without pagination", adapter.Options{}, q(M{"$limit": "-5"}), nil,
			adapter.Query{Where: M{}, Limit: -1}},
		{"$limit 0", adapter.Options{}, q(M{"$limit": "0"}), nil,
			adapter.Query{Where: M{}, Limit: 0}},

		// $sort keeps the order of an Ordered; a Go map is sorted by field name.
		{"Ordered $sort", adapter.Options{}, q(M{"$sort": pinion.Ordered{{Key: "b", Value: "1"}, {Key: "a", Value: -1.0}}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Sort: []adapter.SortField{{Field: adapter.MustPath("b"), Order: 1}, {Field: adapter.MustPath("a"), Order: -1}}}},
		{"map $sort", adapter.Options{}, q(M{"$sort": M{"b": 1.0, "a": -1.0}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Sort: []adapter.SortField{{Field: adapter.MustPath("a"), Order: -1}, {Field: adapter.MustPath("b"), Order: 1}}}},

		// $select forms.
		{"$select string", adapter.Options{}, q(M{"$select": "name"}), nil,
			adapter.Query{Where: M{}, Limit: -1, Select: paths("name")}},
		{"$select []string", adapter.Options{}, q(M{"$select": []string{"a"}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Select: paths("a")}},
		{"$select values are stringified", adapter.Options{}, q(M{"$select": []any{1.0, "x"}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Select: paths("1", "x")}},
		{"$select empty", adapter.Options{}, q(M{"$select": []any{}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Select: paths()}},

		// qs turns lists with an index above 20 into objects of indices.
		{"qs index object $select", adapter.Options{}, q(M{"$select": M{"21": "b", "0": "a"}}), nil,
			adapter.Query{Where: M{}, Limit: -1, Select: paths("a", "b")}},
		{"qs index object $or", adapter.Options{}, q(M{"$or": M{"25": M{"b": "2"}, "3": M{"a": "1"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"a": "1"}, M{"b": "2"}}}, Limit: -1}},
		{"qs index object $in", adapter.Options{}, q(M{"id": M{"$in": M{"21": "y", "2": "x", "10": "z"}}}), nil,
			adapter.Query{Where: M{"id": M{"$in": []any{"x", "z", "y"}}}, Limit: -1}},
		{"lone $in value", adapter.Options{}, q(M{"id": M{"$in": "x"}}), nil,
			adapter.Query{Where: M{"id": M{"$in": []any{"x"}}}, Limit: -1}},

		// Conditions are kept as given.
		{"operators", adapter.Options{}, q(M{"age": M{"$gt": "1", "$ne": nil}, "$and": []any{M{"$or": []any{M{"a": 1.0}}}}}), nil,
			adapter.Query{Where: M{"age": M{"$gt": "1", "$ne": nil}, "$and": []any{M{"$or": []any{M{"a": 1.0}}}}}, Limit: -1}},
		{"nested document", adapter.Options{}, q(M{"address": M{"city": "Oslo"}}), nil,
			adapter.Query{Where: M{"address": M{"city": "Oslo"}}, Limit: -1}},
		{"same-field $or as $in", adapter.Options{}, q(M{"$or": []any{M{"a": "1"}, M{"a": "2"}, M{"a": "3"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"a": M{"$in": []any{"1", "2", "3"}}}}}, Limit: -1}},
		{"same-field $or of typed values as $in", typed, q(M{"$or": M{"0": M{"n": "1"}, "1": M{"n": "2"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"n": M{"$in": []any{1.0, 2.0}}}}}, Limit: -1}},
		{"$or of two fields stays", adapter.Options{}, q(M{"$or": []any{M{"a": "1"}, M{"b": "2"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"a": "1"}, M{"b": "2"}}}, Limit: -1}},
		{"$or of operators stays", adapter.Options{}, q(M{"$or": []any{M{"a": M{"$gt": "1"}}, M{"a": "2"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"a": M{"$gt": "1"}}, M{"a": "2"}}}, Limit: -1}},
		{"$or with null stays", adapter.Options{}, q(M{"$or": []any{M{"a": nil}, M{"a": "2"}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"a": nil}, M{"a": "2"}}}, Limit: -1}},
		{"allowed operator", adapter.Options{Operators: []string{"$regex"}}, q(M{"$or": []any{M{"name": M{"$regex": "^a"}}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"name": M{"$regex": "^a"}}}}, Limit: -1}},

		// Pagination: the default without $limit, capped at the maximum.
		{"paginate default", paginated, nil, nil,
			adapter.Query{Where: M{}, Limit: 10, Paginate: paginated.Paginate}},
		{"paginate $limit", paginated, q(M{"$limit": "20"}), nil,
			adapter.Query{Where: M{}, Limit: 20, Paginate: paginated.Paginate}},
		{"paginate max", paginated, q(M{"$limit": "500"}), nil,
			adapter.Query{Where: M{}, Limit: 50, Paginate: paginated.Paginate}},
		{"paginate $limit 0", paginated, q(M{"$limit": 0.0}), nil,
			adapter.Query{Where: M{}, Limit: 0, Paginate: paginated.Paginate}},
		{"paginate negative $limit", paginated, q(M{"$limit": -1.0}), nil,
			adapter.Query{Where: M{}, Limit: 10, Paginate: paginated.Paginate}},
		// As Feathers' getLimit: a maximum without a default gives pages of 0.
		{"paginate max only", adapter.Options{Paginate: pinion.Paginate{Max: 5}}, nil, nil,
			adapter.Query{Where: M{}, Limit: 0, Paginate: pinion.Paginate{Max: 5}}},
		{"params.Paginate overrides", paginated, &pinion.Params{Paginate: &pinion.Paginate{Default: 3}}, nil,
			adapter.Query{Where: M{}, Limit: 3, Paginate: pinion.Paginate{Default: 3}}},
		{"params.Paginate turns pagination off", paginated, &pinion.Params{Query: M{"$limit": "500"}, Paginate: &pinion.Paginate{}}, nil,
			adapter.Query{Where: M{}, Limit: 500}},
		{"params.Paginate turns pagination on", adapter.Options{}, &pinion.Params{Paginate: &pinion.Paginate{Default: 2, Max: 4}}, nil,
			adapter.Query{Where: M{}, Limit: 2, Paginate: pinion.Paginate{Default: 2, Max: 4}}},

		// Coercion of REST strings to declared field types.
		{"number", typed, q(M{"n": "5", "address.n": " 1.5 "}), nil,
			adapter.Query{Where: M{"n": 5.0, "address.n": 1.5}, Limit: -1}},
		{"number operators", typed, q(M{"n": M{"$gt": "0", "$in": []any{"1", 2.0}}}), nil,
			adapter.Query{Where: M{"n": M{"$gt": 0.0, "$in": []any{1.0, 2.0}}}, Limit: -1}},
		{"number in $or", typed, q(M{"$or": []any{M{"n": "1"}, M{"$or": []any{M{"n": M{"$lt": "2"}}}}}}), nil,
			adapter.Query{Where: M{"$or": []any{M{"n": 1.0}, M{"$or": []any{M{"n": M{"$lt": 2.0}}}}}}, Limit: -1}},
		{"boolean", typed, q(M{"b": "true", "$and": []any{M{"b": "0"}}}), nil,
			adapter.Query{Where: M{"b": true, "$and": []any{M{"b": false}}}, Limit: -1}},
		{"date", typed, q(M{"d": M{"$gte": "2026-01-02T03:04:05Z", "$lt": fmt.Sprint(day.UnixMilli())}}), nil,
			adapter.Query{Where: M{"d": M{"$gte": day, "$lt": day}}, Limit: -1}},
		{"typed values that are not strings pass", typed, q(M{"n": true, "b": 1.0, "s": 2.0}), nil,
			adapter.Query{Where: M{"n": true, "b": 1.0, "s": 2.0}, Limit: -1}},
		{"ObjectId field", typed, q(M{"u": M{"$in": []any{hex}}}), toOID,
			adapter.Query{Where: M{"u": M{"$in": []any{oid(hex)}}}, Limit: -1}},
		{"ObjectId id", adapter.Options{ID: "_id"}, q(M{"_id": hex}), toOID,
			adapter.Query{Where: M{"_id": oid(hex)}, Limit: -1}},
		{"id that is no ObjectId", adapter.Options{ID: "_id"}, q(M{"_id": "7"}), toOID,
			adapter.Query{Where: M{"_id": "7"}, Limit: -1}},
		{"id without convertID", adapter.Options{ID: "_id"}, q(M{"_id": hex}), nil,
			adapter.Query{Where: M{"_id": hex}, Limit: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.Parse(tc.params, tc.convertID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
			if got.Paginated() != tc.want.Paginate.Enabled() {
				t.Errorf("Paginated() = %v", got.Paginated())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		opts    adapter.Options
		query   M
		message string
		data    any
	}{
		{adapter.Options{}, M{"$foo": 1.0}, "Invalid filter value $foo", nil},
		{adapter.Options{}, M{"$in": []any{}}, "Invalid filter value $in", nil},
		{adapter.Options{}, M{"name": M{"$regex": "a"}}, "Invalid query parameter $regex", M{"$regex": "a"}},
		{adapter.Options{}, M{"name": M{"$in": []any{"a"}, "$where": "x"}}, "Invalid query parameter $where", M{"$in": []any{"a"}, "$where": "x"}},
		{adapter.Options{}, M{"$or": []any{M{"$and": []any{}}}}, "Invalid query parameter $and", M{"$and": []any{}}},
		{adapter.Options{}, M{"$and": []any{M{"a": M{"$exists": true}}}}, "Invalid query parameter $exists", M{"$exists": true}},
		{adapter.Options{Operators: []string{"$regex"}}, M{"name": M{"$where": "x"}}, "Invalid query parameter $where", M{"$where": "x"}},
		{adapter.Options{}, M{"a": M{"b": M{"$where": "x"}}}, "Invalid query parameter $where", M{"$where": "x"}},
		{adapter.Options{}, M{"a": M{"b": []any{M{"$where": "x"}}}}, "Invalid query parameter $where", M{"$where": "x"}},
		{adapter.Options{}, M{"name": M{"$or": []any{M{"$regex": "^a"}}}}, "Invalid query parameter $regex", M{"$regex": "^a"}},
		{adapter.Options{}, M{"name": M{"$or": M{"0": M{"$exists": "true"}}}}, "Invalid query parameter $exists", M{"$exists": "true"}},
		{adapter.Options{}, M{"a": M{"$gt": 1.0, "b": 2.0}}, "Invalid query for 'a': an object mixes fields and operators", M{"$gt": 1.0, "b": 2.0}},
		{adapter.Options{}, M{"$or": "x"}, "Invalid query parameter $or: expected a list of queries", nil},
		{adapter.Options{}, M{"$and": []any{"x"}}, "Invalid query parameter $and: expected a list of queries", nil},
		{adapter.Options{}, M{"name": M{"$in": nil}}, "Invalid query parameter $in: expected a list", nil},
		{adapter.Options{}, M{"$limit": "many"}, `Invalid $limit: "many" is not an integer`, nil},
		{adapter.Options{}, M{"$limit": 2.5}, "Invalid $limit: 2.5 is not an integer", nil},
		{adapter.Options{}, M{"$limit": "99999999999"}, `Invalid $limit: "99999999999" is not an integer`, nil},
		{adapter.Options{}, M{"$limit": true}, "Invalid $limit: expected an integer", nil},
		{adapter.Options{}, M{"$skip": -1.0}, "Invalid $skip: must not be negative", nil},
		{adapter.Options{}, M{"$skip": "x"}, `Invalid $skip: "x" is not an integer`, nil},
		{adapter.Options{}, M{"$sort": "name"}, "Invalid $sort: expected an object of field: 1 or -1", nil},
		{adapter.Options{}, M{"$sort": M{"name": 2.0}}, "Invalid $sort value for 'name': expected 1 or -1", nil},
		{adapter.Options{}, M{"$sort": M{"name": "up"}}, "Invalid $sort value for 'name': expected 1 or -1", nil},
		{adapter.Options{}, M{"$select": 5.0}, "Invalid $select: expected a list of field names", nil},
		{typed, M{"n": "x"}, `Invalid value for 'n': "x" is not a number`, M{"field": "n", "type": "number"}},
		{typed, M{"n": M{"$in": []any{"1", "NaN"}}}, `Invalid value for 'n': "NaN" is not a number`, M{"field": "n", "type": "number"}},
		{typed, M{"b": "yes"}, `Invalid value for 'b': "yes" is not a boolean`, M{"field": "b", "type": "boolean"}},
		{typed, M{"$or": []any{M{"d": "soon"}}}, `Invalid value for 'd': "soon" is not a date`, M{"field": "d", "type": "date"}},
		{typed, M{"u": "abc"}, `Invalid value for 'u': "abc" is not an ObjectId`, M{"field": "u", "type": "ObjectId"}},
	} {
		_, err := tc.opts.Parse(q(tc.query), nil)
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 400 || fe.Message != tc.message {
			t.Errorf("%v: err = %v, want BadRequest %q", tc.query, err, tc.message)
			continue
		}
		if !reflect.DeepEqual(fe.Data, tc.data) {
			t.Errorf("%v: data = %#v, want %#v", tc.query, fe.Data, tc.data)
		}
	}
}

// TestParseKeepsQuery checks that Parse leaves params.Query alone: hooks may read
// it after the adapter ran.
func TestParseKeepsQuery(t *testing.T) {
	query := M{"n": M{"$in": M{"0": "1"}}, "$or": M{"0": M{"n": "2"}}, "$sort": M{"n": "1"}, "$limit": "3"}
	want := fmt.Sprint(query)
	if _, err := typed.Parse(q(query), nil); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(query); got != want {
		t.Errorf("query changed to %s, was %s", got, want)
	}
}

func TestProject(t *testing.T) {
	rec := M{"id": 1, "name": "Doug", "age": 32.0}
	for _, tc := range []struct {
		sel  []adapter.Path
		want M
	}{
		{nil, rec},
		{paths(), M{"id": 1}},
		{paths("name"), M{"id": 1, "name": "Doug"}},
		{paths("name", "id", "missing"), M{"id": 1, "name": "Doug"}},
	} {
		q := adapter.Query{Select: tc.sel}
		if got := q.Project(rec, "id"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("select %q: %v, want %v", tc.sel, got, tc.want)
		}
	}
	q := adapter.Query{Select: paths("name")}
	if got := q.Project(M{"name": "x"}, "id"); !reflect.DeepEqual(got, M{"name": "x"}) {
		t.Errorf("a record without id: %v", got)
	}
}

func q(query M) *pinion.Params { return &pinion.Params{Query: query} }

// paths returns the canonical paths of names.
func paths(names ...string) []adapter.Path {
	out := make([]adapter.Path, len(names))
	for i, n := range names {
		out[i] = adapter.MustPath(n)
	}
	return out
}
