package pinion

import (
	"encoding/json"
	"reflect"

	"github.com/pinionhq/pinion/schema"
)

// Patch is the data of a typed patch: a partial record, and the fields it
// gives. A field is written when the client sent it, when a hook set it
// through Record.Set or Include, or when it holds a non-zero value; so a
// hook can set `c.Patch().Data.UpdatedAt = now` and have it written, while
// a zero value is written only when named.
type Patch[T any] struct {
	Data  T
	given map[string]bool
}

// NewPatch is a patch of data that writes the named fields, and every
// non-zero field: pinion.NewPatch(Todo{Done: false}, "done").
func NewPatch[T any](data T, fields ...string) Patch[T] {
	p := Patch[T]{Data: data}
	p.Include(fields...)
	return p
}

// Include makes the patch write fields, whatever their values.
func (p *Patch[T]) Include(fields ...string) {
	if p.given == nil {
		p.given = make(map[string]bool, len(fields))
	}
	for _, f := range fields {
		p.given[f] = true
	}
}

// Has reports whether the patch writes field.
func (p *Patch[T]) Has(field string) bool {
	if p.given[field] {
		return true
	}
	f := schema.For[T]().Field(field)
	if f == nil {
		return false
	}
	fv := f.Value(reflect.ValueOf(&p.Data))
	return fv.IsValid() && !fv.IsZero()
}

// Fields lists the JSON names of the fields the patch writes.
func (p *Patch[T]) Fields() []string {
	var out []string
	for _, f := range schema.For[T]().Fields {
		if p.Has(f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}

// Map is the patch as adapters write it: the fields it writes, by JSON
// name, with their values in JSON shapes.
func (p *Patch[T]) Map() map[string]any {
	s := schema.For[T]()
	all := s.ToMap(reflect.ValueOf(&p.Data), nil)
	out := make(map[string]any, len(all))
	for _, f := range s.Fields {
		if p.Has(f.Name) {
			if v, ok := all[f.Name]; ok {
				out[f.Name] = v
			} else {
				out[f.Name] = reflect.Zero(f.Type).Interface() // an omitempty field set to empty
			}
		}
	}
	return out
}

func (p *Patch[T]) records() []Record {
	r := structRecord(reflect.ValueOf(&p.Data).Elem())
	r.given = func(field string) { p.Include(field) }
	return []Record{r}
}

// MarshalJSON writes the fields the patch writes.
func (p Patch[T]) MarshalJSON() ([]byte, error) { return json.Marshal(p.Map()) }
