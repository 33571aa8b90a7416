package sqlite

import (
	"maps"
	"slices"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// patchOps is patch data taken apart, as in the memory adapter: the plain
// fields, which merge like $set, and the update operators $unset, $inc and
// $push. Fields are dot paths: {"address.city": "Oslo"} sets one nested field.
// Patches are applied in Go, inside the write transaction, so they mean
// exactly what they mean for the memory adapter.
type patchOps struct {
	id    string
	set   map[string]any
	unset []string
	inc   map[string]float64
	push  map[string][]any
}

// patchOperators are the update operators patch data may hold. Others
// (MongoDB's $rename, $where as a probe…) are a BadRequest.
var patchOperators = []string{"$set", "$unset", "$inc", "$push"}

// parsePatch validates patch data and normalises its values.
func parsePatch(data any, id string) (*patchOps, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	p := &patchOps{id: id, set: map[string]any{}}
	set := func(f string, v any) error {
		if err := checkPath(f); err != nil {
			return err
		}
		n, err := normalize(v, strings.Count(f, ".")+1)
		if err != nil {
			return err
		}
		p.set[f] = n
		return nil
	}
	var explicit map[string]any
	for k, v := range m {
		if !strings.HasPrefix(k, "$") {
			if err := set(k, v); err != nil {
				return nil, err
			}
			continue
		}
		if !slices.Contains(patchOperators, k) {
			return nil, pinion.BadRequest("Invalid patch operator %s", k)
		}
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
		}
		for f := range fields {
			if err := checkPath(f); err != nil {
				return nil, err
			}
		}
		switch k {
		case "$set":
			explicit = fields
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
				vs, err := normalizeList(pushed(v), strings.Count(f, ".")+1)
				if err != nil {
					return nil, err
				}
				p.push[f] = vs
			}
		}
	}
	// An explicit $set wins over a plain field of the same name.
	for f, v := range explicit {
		if err := set(f, v); err != nil {
			return nil, err
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

// apply returns the patched record, normalised again as a whole (so that it
// is checked, nesting depth included, and shares nothing with the patch or
// with the other records of a multi patch). The id never changes.
func (p *patchOps) apply(rec map[string]any) (map[string]any, error) {
	next := cloneRecord(rec)
	for _, f := range slices.Sorted(maps.Keys(p.set)) {
		setPath(next, f, p.set[f])
	}
	for _, f := range p.unset {
		unsetPath(next, f)
	}
	for _, f := range slices.Sorted(maps.Keys(p.inc)) {
		n := p.inc[f]
		cur, found := lookup(next, f)
		if !found || cur == nil {
			setPath(next, f, n)
			continue
		}
		x, ok := cur.(float64)
		if !ok {
			return nil, pinion.BadRequest("Cannot apply $inc to '%s': it is not a number", f)
		}
		setPath(next, f, x+n)
	}
	for _, f := range slices.Sorted(maps.Keys(p.push)) {
		cur, _ := lookup(next, f)
		list, ok := cur.([]any)
		if cur != nil && !ok {
			return nil, pinion.BadRequest("Cannot apply $push to '%s': it is not an array", f)
		}
		setPath(next, f, append(slices.Clip(list), p.push[f]...))
	}
	if id, ok := rec[p.id]; ok {
		next[p.id] = id
	} else {
		delete(next, p.id)
	}
	return normalizeRecord(next)
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
