package adapter

import (
	"maps"
	"slices"
	"strings"

	"github.com/pinionhq/pinion"
)

// PatchOps is patch data taken apart, as the adapters that apply patches
// in Go (memory, sqlite) apply them: the fields set (plain fields, and $set,
// which wins over a plain field of the same name), and the update operators
// $unset, $inc and $push, with MongoDB's meaning. Fields are dot paths:
// {"address.city": "Oslo"} sets one nested field.
type PatchOps struct {
	id    string
	set   map[string]any
	unset []string
	inc   map[string]float64
	push  map[string][]any
}

// PatchOperators are the update operators patch data may hold. Others
// (MongoDB's $rename, $where as a probe) are a BadRequest rather than fields
// named "$…".
var PatchOperators = []string{"$set", "$unset", "$inc", "$push"}

// ParsePatch takes patch data apart. id is the id field, which a patch
// never changes. value checks and normalises, for the adapter's store, the
// field path and each value the patch writes (a field's, or an element
// $push appends).
func ParsePatch(data any, id string, value func(field string, v any) (any, error)) (*PatchOps, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	p := &PatchOps{id: id, set: map[string]any{}}
	set := func(f string, v any) error {
		n, err := value(f, v)
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
		if !slices.Contains(PatchOperators, k) {
			return nil, pinion.BadRequest("Invalid patch operator %s", k)
		}
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
		}
		switch k {
		case "$set":
			explicit = fields
		case "$unset":
			for f := range fields {
				if _, err := value(f, nil); err != nil {
					return nil, err
				}
			}
			p.unset = slices.Sorted(maps.Keys(fields))
		case "$inc":
			p.inc = make(map[string]float64, len(fields))
			for f, n := range fields {
				if _, err := value(f, nil); err != nil {
					return nil, err
				}
				x, ok := Float64(n)
				if !ok {
					return nil, pinion.BadRequest("Invalid patch operator $inc: '%s' must be a number", f)
				}
				p.inc[f] = x
			}
		case "$push":
			p.push = make(map[string][]any, len(fields))
			for f, v := range fields {
				list := pushed(v)
				for i, e := range list {
					n, err := value(f, e)
					if err != nil {
						return nil, err
					}
					list[i] = n
				}
				p.push[f] = list
			}
		}
	}
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
			return slices.Clone(each)
		}
	}
	return []any{v}
}

// Apply returns a copy of the stored record with the patch written into it
// (the values of the patch may be shared by the records of a multi patch, so
// the copy must not be changed in place afterwards). The id keeps its stored
// value, or stays absent.
func (p *PatchOps) Apply(stored map[string]any) (map[string]any, error) {
	next := CloneRecord(stored)
	for _, f := range slices.Sorted(maps.Keys(p.set)) {
		setPath(next, f, p.set[f])
	}
	for _, f := range p.unset {
		unsetPath(next, f)
	}
	for _, f := range slices.Sorted(maps.Keys(p.inc)) {
		n := p.inc[f]
		cur, found := getPath(next, f)
		if !found || cur == nil {
			setPath(next, f, n)
			continue
		}
		x, ok := Float64(cur)
		if !ok {
			return nil, pinion.BadRequest("Cannot apply $inc to '%s': it is not a number", f)
		}
		setPath(next, f, x+n)
	}
	for _, f := range slices.Sorted(maps.Keys(p.push)) {
		cur, _ := getPath(next, f)
		list, ok := cur.([]any)
		if cur != nil && !ok {
			return nil, pinion.BadRequest("Cannot apply $push to '%s': it is not an array", f)
		}
		setPath(next, f, append(slices.Clip(list), p.push[f]...))
	}
	if id, ok := stored[p.id]; ok {
		next[p.id] = id
	} else {
		delete(next, p.id)
	}
	return next, nil
}

// getPath reads a field at a dot path through nested objects.
func getPath(m map[string]any, path string) (any, bool) {
	for {
		part, rest, more := strings.Cut(path, ".")
		v, ok := m[part]
		if !more || !ok {
			return v, ok
		}
		if m, ok = v.(map[string]any); !ok {
			return nil, false
		}
		path = rest
	}
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
