package sqlite_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// The memory adapter is the reference for what a query means. These tests make
// random records and queries from a seed and want the SQLite adapter, with and
// without indexes, to find what the memory adapter finds, in an order that
// agrees with the $sort.
//
//	go test ./adapter/sqlite -run '^$' -fuzz FuzzMatchesMemory -fuzztime 60s

// oracleFields are the fields records and queries use. "n.c" is reached
// through an object (never through a list, where the adapters differ on
// purpose).
var oracleFields = []string{"a", "b", "n.c", "tags"}

var oracleOptions = adapter.Options{ID: "_id", Multi: []pinion.Method{"create", "remove"}, Operators: []string{"$regex", "$exists", "$eq"}}

type oracle struct {
	db        *sqlite.DB
	plain     *sqlite.Service
	indexed   *sqlite.Service
	generated int
}

func newOracle(t testing.TB) *oracle {
	db := openDB(t)
	var indexes []sqlite.Index
	for _, f := range oracleFields {
		indexes = append(indexes, sqlite.Index{Fields: []string{f}})
	}
	indexes = append(indexes, sqlite.Index{Fields: []string{"a", "b"}})
	return &oracle{
		db:      db,
		plain:   sqlite.New(db, "plain", sqlite.Options{Options: oracleOptions}),
		indexed: sqlite.New(db, "indexed", sqlite.Options{Options: oracleOptions, Indexes: indexes}),
	}
}

var (
	day1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	day2 = day1.Add(36 * time.Hour)
)

// scalar is a random value of a small domain, so that equal values are common.
func scalar(r *rand.Rand) any {
	switch r.IntN(12) {
	case 0:
		return nil
	case 1:
		return float64(r.IntN(3))
	case 2:
		return 2.5
	case 3:
		return r.IntN(3) // an int, equal to the float64 of the same value
	case 4, 5:
		return []string{"", "a", "b", "1", "ab", "B"}[r.IntN(6)]
	case 6:
		return r.IntN(2) == 0
	case 7:
		return []time.Time{day1, day2}[r.IntN(2)]
	case 8:
		return -1.0
	case 9:
		return "a\"'\\\u00e9"
	case 10:
		return 1e21
	}
	return "z"
}

func value(r *rand.Rand, depth int) any {
	switch r.IntN(8) {
	case 0:
		if depth > 0 {
			break
		}
		n := r.IntN(4)
		list := make([]any, n)
		for i := range list {
			list[i] = scalar(r)
		}
		return list
	case 1:
		if depth > 0 {
			break
		}
		return map[string]any{"c": scalar(r)}
	}
	return scalar(r)
}

func (o *oracle) record(r *rand.Rand, i int) map[string]any {
	rec := map[string]any{"_id": fmt.Sprintf("%024x", i+1), "i": float64(i)}
	for _, f := range []string{"a", "b", "tags"} {
		if r.IntN(5) > 0 {
			rec[f] = value(r, 0)
		}
	}
	switch r.IntN(4) {
	case 0:
		rec["n"] = map[string]any{"c": value(r, 1)}
	case 1:
		rec["n"] = scalar(r)
	case 2:
		rec["n"] = map[string]any{"d": 1.0}
	}
	return rec
}

func condition(r *rand.Rand, field string, depth int) any {
	switch r.IntN(14) {
	case 0, 1:
		return value(r, 0)
	case 2:
		return map[string]any{"$ne": value(r, 0)}
	case 3, 4:
		return map[string]any{[]string{"$in", "$nin"}[r.IntN(2)]: []any{scalar(r), scalar(r), value(r, 0)}}
	case 5, 6, 7:
		op := []string{"$lt", "$lte", "$gt", "$gte"}[r.IntN(4)]
		return map[string]any{op: scalar(r)}
	case 8:
		return map[string]any{"$exists": r.IntN(2) == 0}
	case 9:
		return map[string]any{"$regex": []string{"^a", "b$", "A", "^$"}[r.IntN(4)], "$options": []string{"", "i"}[r.IntN(2)]}
	case 10:
		if depth < 2 {
			return map[string]any{"$or": []any{condition(r, field, depth+1), condition(r, field, depth+1)}}
		}
	case 11:
		return map[string]any{"$gt": scalar(r), "$lte": scalar(r)}
	case 12:
		return map[string]any{"$eq": value(r, 0)}
	}
	return scalar(r)
}

func query(r *rand.Rand, n, depth int) map[string]any {
	q := map[string]any{}
	for range 1 + r.IntN(2) {
		switch x := r.IntN(10); {
		case x < 6:
			f := oracleFields[r.IntN(len(oracleFields))]
			q[f] = condition(r, f, 0)
		case x < 7:
			ids := []any{}
			for range r.IntN(3) {
				ids = append(ids, fmt.Sprintf("%024x", r.IntN(n+2)))
			}
			q["_id"] = map[string]any{[]string{"$in", "$nin"}[r.IntN(2)]: ids}
		case depth < 2:
			op := []string{"$or", "$and"}[r.IntN(2)]
			q[op] = []any{query(r, n, depth+1), query(r, n, depth+1)}
		}
	}
	return q
}

func sortOf(r *rand.Rand) pinion.Ordered {
	var sort pinion.Ordered
	for range r.IntN(3) {
		f := []string{"a", "b", "n.c", "i"}[r.IntN(4)]
		sort = append(sort, pinion.KeyValue{Key: f, Value: float64(1 - 2*r.IntN(2))})
	}
	return sort
}

// check makes a data set and queries from seed and compares the adapters.
func (o *oracle) check(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	mem := memory.New(memory.Options{Options: oracleOptions})
	n := r.IntN(40)
	recs := make([]any, n)
	for i := range recs {
		recs[i] = o.record(r, i)
	}
	services := []*sqlite.Service{o.plain, o.indexed}
	for _, s := range services {
		if _, err := s.Remove(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n > 0 {
		for _, s := range []interface {
			Create(ctx context.Context, data any, params *pinion.Params) (any, error)
		}{mem, o.plain, o.indexed} {
			if _, err := s.Create(ctx, recs, nil); err != nil {
				t.Fatalf("seed %d: create: %v", seed, err)
			}
		}
	}
	for range 20 {
		where := query(r, n, 0)
		sort := sortOf(r)
		params := func() *pinion.Params {
			q := map[string]any{}
			for k, v := range where {
				q[k] = v
			}
			if len(sort) > 0 {
				q["$sort"] = sort
			}
			return &pinion.Params{Query: q}
		}
		want, wantErr := mem.Find(ctx, params())
		for i, s := range services {
			got, err := s.Find(ctx, params())
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("seed %d, %s, query %v sort %v: err %v, memory %v", seed, []string{"plain", "indexed"}[i], where, sort, err, wantErr)
			}
			if err != nil {
				continue
			}
			compareResults(t, fmt.Sprintf("seed %d, %s, query %v sort %v", seed, []string{"plain", "indexed"}[i], where, sort),
				records(want), records(got), sort)
		}
	}
}

func compareResults(t *testing.T, what string, want, got []map[string]any, sort pinion.Ordered) {
	t.Helper()
	ids := func(list []map[string]any) []string {
		out := make([]string, len(list))
		for i, r := range list {
			out[i] = r["_id"].(string)
		}
		return out
	}
	if len(sort) == 0 {
		// Both answer in insertion order.
		if !slices.Equal(ids(want), ids(got)) {
			t.Fatalf("%s:\n got %v\nwant %v", what, ids(got), ids(want))
		}
		return
	}
	if !slices.Equal(slices.Sorted(slices.Values(ids(want))), slices.Sorted(slices.Values(ids(got)))) {
		t.Fatalf("%s:\n got %v\nwant %v", what, ids(got), ids(want))
	}
	for i := 1; i < len(got); i++ {
		if c := compareKeys(got[i-1], got[i], sort); c > 0 {
			t.Fatalf("%s: out of order at %d: %v before %v", what, i, got[i-1], got[i])
		}
	}
}

// compareKeys compares two records by the sort keys, with the memory
// adapter's order of kinds; lists and objects are equal to each other within
// their kind (their order within the kind differs between the adapters).
func compareKeys(a, b map[string]any, sort pinion.Ordered) int {
	for _, kv := range sort {
		x, y := lookupPath(a, kv.Key), lookupPath(b, kv.Key)
		if k := kindRank(x); k >= 5 && k == kindRank(y) {
			return 0 // their order is the adapter's own: the rest is not checked
		}
		c := compareValues(x, y)
		if c != 0 {
			if kv.Value.(float64) < 0 {
				return -c
			}
			return c
		}
	}
	return 0
}

func lookupPath(rec map[string]any, path string) any {
	var v any = rec
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func kindRank(v any) int {
	if _, ok := adapter.Float64(v); ok {
		return 1
	}
	switch v.(type) {
	case nil:
		return 0
	case string:
		return 2
	case bool:
		return 3
	case time.Time:
		return 4
	case []any:
		return 5
	case map[string]any:
		return 6
	}
	return 7
}

func compareValues(a, b any) int {
	ka, kb := kindRank(a), kindRank(b)
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	switch ka {
	case 1:
		x, _ := adapter.Float64(a)
		y, _ := adapter.Float64(b)
		return cmp.Compare(x, y)
	case 2:
		return strings.Compare(a.(string), b.(string))
	case 3:
		x, y := a.(bool), b.(bool)
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	case 4:
		return a.(time.Time).Compare(b.(time.Time))
	}
	return 0
}

func TestMatchesMemory(t *testing.T) {
	o := newOracle(t)
	n := 300
	if testing.Short() {
		n = 30
	}
	for seed := range uint64(n) {
		o.check(t, seed)
	}
}

func FuzzMatchesMemory(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	o := newOracle(f)
	f.Fuzz(func(t *testing.T, seed uint64) { o.check(t, seed) })
}
