package memory

import (
	"maps"
	"slices"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// patchOps is patch data split into its parts: plain fields and $set merge, the
// other operators apply in a fixed order.
type patchOps struct {
	id    string
	set   map[string]any
	unset []string
	inc   map[string]float64
	push  map[string]any
}

func parsePatch(data map[string]any, id string) (*patchOps, error) {
	ops := &patchOps{id: id, set: map[string]any{}}
	for k, v := range data {
		if !strings.HasPrefix(k, "$") {
			ops.set[k] = v
			continue
		}
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
		}
		switch k {
		case "$set":
			maps.Copy(ops.set, fields)
		case "$unset":
			for f := range fields {
				ops.unset = append(ops.unset, f)
			}
			slices.Sort(ops.unset)
		case "$inc":
			ops.inc = map[string]float64{}
			for f, n := range fields {
				x, ok := number(n)
				if !ok {
					return nil, pinion.BadRequest("Invalid patch operator $inc: '%s' must be a number", f)
				}
				ops.inc[f] = x
			}
		case "$push":
			ops.push = fields
		default:
			return nil, pinion.BadRequest("Invalid patch operator %s", k)
		}
	}
	delete(ops.set, id) // the id never changes
	return ops, nil
}

// apply returns a patched copy of rec.
func (o *patchOps) apply(rec map[string]any) (map[string]any, error) {
	next := copyRecord(rec)
	for f, v := range o.set {
		setPath(next, f, copyValue(v))
	}
	for _, f := range o.unset {
		unsetPath(next, f)
	}
	for f, n := range o.inc {
		cur, found := lookupPath(next, f)
		if !found || cur == nil {
			setPath(next, f, n)
			continue
		}
		x, ok := number(cur)
		if !ok {
			return nil, pinion.BadRequest("Cannot apply $inc to '%s': it is not a number", f)
		}
		setPath(next, f, x+n)
	}
	for f, v := range o.push {
		cur, found := lookupPath(next, f)
		arr, ok := cur.([]any)
		if found && cur != nil && !ok {
			return nil, pinion.BadRequest("Cannot apply $push to '%s': it is not an array", f)
		}
		setPath(next, f, append(slices.Clone(arr), copyValue(v)))
	}
	next[o.id] = rec[o.id]
	return next, nil
}

// setPath sets a field, creating nested objects along a dotted path.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		child, ok := m[p].(map[string]any)
		if !ok {
			child = map[string]any{}
			m[p] = child
		}
		m = child
	}
	m[parts[len(parts)-1]] = v
}

func unsetPath(m map[string]any, path string) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		child, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = child
	}
	delete(m, parts[len(parts)-1])
}

// copyRecord deep-copies a record: the store never shares maps with callers, so
// hooks may change results freely.
func copyRecord(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyRecord(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyRecord(e)
		}
		return out
	}
	return v
}

// sortRecords orders records by the $sort fields, keeping insertion order for
// ties.
func sortRecords(rs []*record, sort []adapter.SortField) {
	if len(sort) == 0 {
		return
	}
	slices.SortStableFunc(rs, func(a, b *record) int { return compareBy(a.data, b.data, sort) })
}

func sortRecordsData(rs []map[string]any, sort []adapter.SortField) {
	if len(sort) == 0 {
		return
	}
	slices.SortStableFunc(rs, func(a, b map[string]any) int { return compareBy(a, b, sort) })
}

func compareBy(a, b map[string]any, sort []adapter.SortField) int {
	for _, s := range sort {
		va, aok := lookupPath(a, s.Field)
		vb, bok := lookupPath(b, s.Field)
		if c := compareValues(va, aok, vb, bok); c != 0 {
			return c * s.Order
		}
	}
	return 0
}
