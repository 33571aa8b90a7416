package memory

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// sortRecords sorts recs by the $sort fields, in order, the way adapter-commons'
// sorter does; records that compare equal keep their order (insertion order), as
// in JavaScript's stable sort.
func sortRecords(recs []map[string]any, by []adapter.SortField) {
	if len(by) == 0 || len(recs) < 2 {
		return
	}
	// Read every sort key once rather than at each comparison, and break ties by
	// position so that the faster unstable sort gives the stable order.
	type item struct {
		rec  map[string]any
		keys []any
		pos  int
	}
	items := make([]item, len(recs))
	keys := make([]any, len(recs)*len(by))
	for i, rec := range recs {
		k := keys[i*len(by) : (i+1)*len(by) : (i+1)*len(by)]
		for j, f := range by {
			k[j], _ = lookup(rec, f.Field.String())
		}
		items[i] = item{rec, k, i}
	}
	slices.SortFunc(items, func(a, b item) int {
		for j, f := range by {
			if c := compare(a.keys[j], b.keys[j]); c != 0 {
				return c * f.Order
			}
		}
		return cmp.Compare(a.pos, b.pos)
	})
	for i, it := range items {
		recs[i] = it.rec
	}
}

// Kinds of values, in the order adapter-commons' sorter (taken from NeDB) puts
// them: null and missing first, then numbers, strings, booleans, dates, lists and
// objects. Go values JSON has no kind for (ObjectIds) come last.
const (
	kindNull = iota
	kindNumber
	kindString
	kindBool
	kindDate
	kindList
	kindObject
	kindOther
)

func kind(v any) int {
	if v == nil {
		return kindNull
	}
	if _, ok := adapter.Float64(v); ok {
		return kindNumber
	}
	switch v.(type) {
	case string:
		return kindString
	case bool:
		return kindBool
	case time.Time:
		return kindDate
	case []any:
		return kindList
	case map[string]any:
		return kindObject
	}
	return kindOther
}

// compare is a total order over stored values: by kind, then within the kind.
// Lists compare element by element, then by length; objects compare the values of
// their sorted keys, then by size (as NeDB does).
func compare(a, b any) int {
	ka, kb := kind(a), kind(b)
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	switch ka {
	case kindNull:
		return 0
	case kindNumber:
		x, _ := adapter.Float64(a)
		y, _ := adapter.Float64(b)
		return cmp.Compare(x, y)
	case kindString:
		return strings.Compare(a.(string), b.(string))
	case kindBool:
		return cmp.Compare(boolInt(a.(bool)), boolInt(b.(bool)))
	case kindDate:
		return a.(time.Time).Compare(b.(time.Time))
	case kindList:
		x, y := a.([]any), b.([]any)
		for i := range min(len(x), len(y)) {
			if c := compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(x), len(y))
	case kindObject:
		x, y := a.(map[string]any), b.(map[string]any)
		kx, ky := slices.Sorted(maps.Keys(x)), slices.Sorted(maps.Keys(y))
		for i := range min(len(kx), len(ky)) {
			if c := compare(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(kx), len(ky))
	}
	return strings.Compare(pinion.IDString(a), pinion.IDString(b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
