package memory

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

type M = map[string]any

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// doug is the record the matching tests query.
var doug = M{
	"name":     "Doug",
	"age":      32.0,
	"n":        int32(5),
	"ok":       true,
	"at":       at,
	"nil":      nil,
	"tags":     []any{"go", "js"},
	"address":  M{"city": "Oslo", "geo": M{"lat": 59.9}},
	"comments": []any{M{"by": "ann"}, M{"by": "bob", "tags": []any{"x"}}},
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		query M
		want  bool
	}{
		{M{}, true},

		// Equality; numbers by value whatever their Go type; lists contain.
		{M{"name": "Doug"}, true},
		{M{"name": "doug"}, false},
		{M{"name": "Doug", "age": 31.0}, false},
		{M{"age": 32}, true},
		{M{"age": int64(32)}, true},
		{M{"n": 5.0}, true},
		{M{"age": "32"}, false},
		{M{"ok": "true"}, false},
		{M{"at": at.In(time.FixedZone("x", 3600))}, true},
		{M{"tags": "go"}, true},
		{M{"tags": "rust"}, false},
		{M{"tags": []any{"go", "js"}}, true},
		{M{"tags": []any{"js", "go"}}, false},
		{M{"address": M{"geo": M{"lat": 59.9}, "city": "Oslo"}}, true},
		{M{"address": M{"city": "Oslo"}}, false},

		// nil matches null and missing.
		{M{"missing": nil}, true},
		{M{"nil": nil}, true},
		{M{"name": nil}, false},

		// Dot paths, into objects and through lists.
		{M{"address.city": "Oslo"}, true},
		{M{"address.geo.lat": M{"$gt": 59}}, true},
		{M{"address.zip": nil}, true},
		{M{"name.first": nil}, true},
		{M{"comments.by": "bob"}, true},
		{M{"comments.by": "cat"}, false},
		{M{"comments.tags": "x"}, true},
		{M{"comments.0.by": "ann"}, true},
		{M{"comments.1.by": "ann"}, false},
		{M{"tags.1": "js"}, true},
		{M{"tags.5": nil}, true},

		// $in, $nin, $ne, $eq.
		{M{"name": M{"$in": []any{"Bob", "Doug"}}}, true},
		{M{"name": M{"$in": []any{}}}, false},
		{M{"tags": M{"$in": []any{"rust", "js"}}}, true},
		{M{"missing": M{"$in": []any{nil}}}, true},
		{M{"name": M{"$nin": []any{"Doug"}}}, false},
		{M{"tags": M{"$nin": []any{"go"}}}, false},
		{M{"missing": M{"$nin": []any{"x"}}}, true},
		{M{"age": M{"$ne": 32}}, false},
		{M{"age": M{"$ne": 33}}, true},
		{M{"tags": M{"$ne": "go"}}, false},
		{M{"missing": M{"$ne": 1.0}}, true},
		{M{"missing": M{"$ne": nil}}, false},
		{M{"tags": M{"$eq": "go"}}, true},

		// Comparisons, of values of the same kind only.
		{M{"age": M{"$lt": 33.0}}, true},
		{M{"age": M{"$lte": 32}}, true},
		{M{"age": M{"$gt": 32.0}}, false},
		{M{"age": M{"$gte": int64(32)}}, true},
		{M{"n": M{"$gt": 4.5}}, true},
		{M{"age": M{"$gt": 30.0, "$lt": 33.0}}, true},
		{M{"age": M{"$gt": 30.0, "$lt": 31.0}}, false},
		{M{"age": M{"$lt": "40"}}, false},
		{M{"age": M{"$gt": "1"}}, false},
		{M{"name": M{"$gt": "Alice"}}, true},
		{M{"name": M{"$gt": 1.0}}, false},
		{M{"name": M{"$lt": true}}, false},
		{M{"at": M{"$gt": at.Add(-time.Hour)}}, true},
		{M{"at": M{"$gt": at.UnixMilli()}}, false},
		{M{"ok": M{"$gt": false}}, true},
		{M{"missing": M{"$lt": 1.0}}, false},
		{M{"tags": M{"$gt": "h"}}, true},
		{M{"tags": M{"$gt": "k"}}, false},

		// $or, $and, and $or on one field.
		{M{"$or": []any{M{"name": "Bob"}, M{"age": 32.0}}}, true},
		{M{"$or": []any{M{"name": "Bob"}}}, false},
		{M{"$or": []any{}}, false},
		{M{"$or": []any{M{"name": "Bob"}, M{"$or": []any{M{"ok": true}}}}}, true},
		{M{"$and": []any{M{"name": "Doug"}, M{"age": M{"$gt": 1.0}}}}, true},
		{M{"$and": []any{M{"$or": []any{M{"name": "x"}}}}}, false},
		{M{"name": "Doug", "$or": []any{M{"age": 1.0}, M{"n": 5}}}, true},
		{M{"age": M{"$or": []any{M{"$lt": 10.0}, M{"$gt": 30.0}}}}, true},
		{M{"age": M{"$or": []any{M{"$lt": 10.0}, 40.0}}}, false},

		// Operators a service may allow besides Feathers' own.
		{M{"name": M{"$exists": true}}, true},
		{M{"nil": M{"$exists": false}}, false},
		{M{"missing": M{"$exists": "false"}}, true},
		{M{"missing": M{"$exists": 1.0}}, false},
		{M{"name": M{"$regex": "^D"}}, true},
		{M{"name": M{"$regex": "^d"}}, false},
		{M{"name": M{"$regex": "^d", "$options": "i"}}, true},
		{M{"tags": M{"$regex": "^j"}}, true},
		{M{"age": M{"$regex": "3"}}, false},
	} {
		match, err := compile(tc.query)
		if err != nil {
			t.Errorf("%v: %v", tc.query, err)
			continue
		}
		if got := match(doug); got != tc.want {
			t.Errorf("%v matches = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		query   M
		message string
	}{
		{M{"name": M{"$elemMatch": M{}}}, "The memory adapter does not support $elemMatch"},
		{M{"$or": []any{M{"a": M{"$size": 1.0}}}}, "The memory adapter does not support $size"},
		{M{"name": M{"$gt": 1.0, "b": 2.0}}, "Invalid query: 'b' next to operators"},
		{M{"name": M{"$regex": "("}}, "Invalid query parameter $regex: error parsing regexp: missing closing ): `(`"},
		{M{"name": M{"$regex": "a", "$options": "x"}}, "Invalid query parameter $options: unsupported flag 'x'"},
		{M{"name": M{"$regex": 1.0}}, "Invalid query parameter $regex: expected a string"},
		{M{"$or": []any{"a"}}, "Invalid query parameter $or: expected a list of queries"},
	} {
		_, err := compile(tc.query)
		fe, ok := err.(*pinion.Error)
		if !ok || fe.Code != 400 || fe.Message != tc.message {
			t.Errorf("%v: err = %v, want BadRequest %q", tc.query, err, tc.message)
		}
	}
}

type hexID string

func (h hexID) Hex() string { return string(h) }

// TestCompare checks the order of adapter-commons' sorter: every value sorts
// before the ones after it in the list.
func TestCompare(t *testing.T) {
	ordered := []any{
		nil,
		-1.5, int32(0), 2, uint8(3),
		"", "B", "a", "b",
		false, true,
		at, at.Add(time.Second),
		[]any{}, []any{1.0}, []any{1.0, "a"}, []any{2.0},
		M{}, M{"a": 1.0}, M{"z": 2.0}, M{"a": 2.0, "b": 0.0},
		hexID("1"), hexID("2"),
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compare(a, b); got != want {
				t.Errorf("compare(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
	if compare(2.0, int64(2)) != 0 || compare(nil, nil) != 0 {
		t.Error("equal values do not compare equal")
	}
}

func TestSortRecords(t *testing.T) {
	recs := []M{
		{"name": "A", "age": 30.0},
		{"name": "B", "age": 20.0, "address": M{"city": "Oslo"}},
		{"name": "C", "age": 30.0, "address": M{"city": "Bern"}},
		{"name": "D", "age": nil},
		{"name": "E", "age": 20.0},
	}
	for _, tc := range []struct {
		sort []adapter.SortField
		want string
	}{
		{nil, "ABCDE"},
		{[]adapter.SortField{{Field: adapter.MustPath("age"), Order: 1}}, "DBEAC"},
		{[]adapter.SortField{{Field: adapter.MustPath("age"), Order: -1}}, "ACBED"},
		{[]adapter.SortField{{Field: adapter.MustPath("age"), Order: 1}, {Field: adapter.MustPath("name"), Order: -1}}, "DEBCA"},
		{[]adapter.SortField{{Field: adapter.MustPath("address.city"), Order: 1}}, "ADECB"},
		{[]adapter.SortField{{Field: adapter.MustPath("missing"), Order: -1}}, "ABCDE"},
	} {
		got := append([]M(nil), recs...)
		sortRecords(got, tc.sort)
		var b strings.Builder
		for _, r := range got {
			b.WriteString(r["name"].(string))
		}
		if b.String() != tc.want {
			t.Errorf("sort %v = %s, want %s", tc.sort, b.String(), tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	type point struct {
		X int `json:"x"`
	}
	for _, tc := range []struct {
		in, want any
	}{
		{nil, nil},
		{int32(3), int32(3)},
		{at, at},
		{[]any{1, M{"a": []string{"b"}}}, []any{1, M{"a": []any{"b"}}}},
		{[]map[string]any{{"a": 1}}, []any{M{"a": 1}}},
		{[]string{"a"}, []any{"a"}},
		{point{X: 1}, M{"x": 1.0}},
		{&point{X: 2}, M{"x": 2.0}},
		{hexID("abc"), hexID("abc")},
		{[]byte("hi"), []byte("hi")},
	} {
		got, err := normalize(tc.in)
		if err != nil || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
			t.Errorf("normalize(%#v) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	if _, err := normalize(M{"c": make(chan int)}); err == nil {
		t.Error("a channel was accepted")
	}
	list := []any{M{"a": 1}}
	got, _ := normalize(list)
	list[0].(M)["a"] = 2
	if got.([]any)[0].(M)["a"] != 1 {
		t.Error("normalize does not copy")
	}
}

// TestSortRecordsStable sorts enough records for the sort to leave insertion
// sort behind: ties must keep their order.
func TestSortRecordsStable(t *testing.T) {
	recs := make([]M, 200)
	for i := range recs {
		recs[i] = M{"i": i, "k": float64(i % 3)}
	}
	sortRecords(recs, []adapter.SortField{{Field: adapter.MustPath("k"), Order: -1}})
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1], recs[i]
		if a["k"].(float64) < b["k"].(float64) || (a["k"] == b["k"] && a["i"].(int) > b["i"].(int)) {
			t.Fatalf("records %v and %v out of order", a, b)
		}
	}
}
