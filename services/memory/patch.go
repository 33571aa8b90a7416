package memory

import (
	"maps"
	"slices"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// patchOps is patch data taken apart: the plain fields, which merge like $set, and
// the MongoDB update operators the memory adapter shares with the MongoDB one.
// Fields are dot paths, as in MongoDB: {"address.city": "Oslo"} sets one nested
// field.
type patchOps struct {
	id    string
	set   map[string]any
	unset []string
	inc   map[string]float64
	push  map[string][]any
}

// patchOperators are the update operators patch data may hold. Others (MongoDB's
// $rename, $where as a typo…) are a BadRequest rather than fields named "$…".
var patchOperators = []string{"$set", "$unset", "$inc", "$push"}

// parsePatch validates and normalises patch data.
func parsePatch(data any, id string) (*patchOps, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	m, err := normalizeRecord(m)
	if err != nil {
		return nil, err
	}
	p := &patchOps{id: id, set: map[string]any{}}
	for k, v := range m {
		if !strings.HasPrefix(k, "$") {
			p.set[k] = v
			continue
		}
		if !slices.Contains(patchOperators, k) {
			return nil, pinion.BadRequest("Invalid patch operator %s", k)
		}
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
		}
		switch k {
		case "$set":
			maps.Copy(p.set, fields)
		case "$unset":
			p.unset = slices.Sorted(maps.Keys(fields))
		case "$inc":
			p.inc = make(map[string]float64, len(fields))
			for f, n := range fields {
				x, ok := adapter.Float64(n)
				if !ok {
					return nil, pinion.BadRequest("Invalid patch operator $inc: '%s' must be a number", f)
				}
				p.inc[f] = x
			}
		case "$push":
			p.push = make(map[string][]any, len(fields))
			for f, v := range fields {
				p.push[f] = pushed(v)
			}
		}
	}
	return p, nil
}

// pushed is what $push appends: the value, or the elements of {$each: [...]}.
func pushed(v any) []any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if each, ok := m["$each"].([]any); ok {
			return each
		}
	}
	return []any{v}
}

// apply returns the patched copy of a stored record. The id never changes.
// Stored records are never changed in place, so values of the patch may be
// shared by the records of a multi patch.
func (p *patchOps) apply(rec map[string]any) (map[string]any, error) {
	next := cloneRecord(rec)
	for _, f := range slices.Sorted(maps.Keys(p.set)) {
		setPath(next, f, p.set[f])
	}
	for _, f := range p.unset {
		unsetPath(next, f)
	}
	for f, n := range p.inc {
		cur, found := lookup(next, f)
		if !found || cur == nil {
			setPath(next, f, n)
			continue
		}
		x, ok := adapter.Float64(cur)
		if !ok {
			return nil, pinion.BadRequest("Cannot apply $inc to '%s': it is not a number", f)
		}
		setPath(next, f, x+n)
	}
	for f, vs := range p.push {
		cur, _ := lookup(next, f)
		list, ok := cur.([]any)
		if cur != nil && !ok {
			return nil, pinion.BadRequest("Cannot apply $push to '%s': it is not an array", f)
		}
		setPath(next, f, append(slices.Clip(list), vs...))
	}
	if id, ok := rec[p.id]; ok {
		next[p.id] = id
	} else {
		delete(next, p.id)
	}
	return next, nil
}

// setPath sets a field at a dot path, creating (or replacing with) objects on
// the way.
func setPath(m map[string]any, path string, v any) {
	for {
		part, rest, more := strings.Cut(path, ".")
		if !more {
			m[part] = v
			return
		}
		child, ok := m[part].(map[string]any)
		if !ok {
			child = map[string]any{}
			m[part] = child
		}
		m, path = child, rest
	}
}

func unsetPath(m map[string]any, path string) {
	for {
		part, rest, more := strings.Cut(path, ".")
		if !more {
			delete(m, part)
			return
		}
		child, ok := m[part].(map[string]any)
		if !ok {
			return
		}
		m, path = child, rest
	}
}
