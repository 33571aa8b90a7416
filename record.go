package pinion

import (
	"errors"
	"reflect"

	"github.com/pinionhq/pinion/schema"
)

// Record is one record of a call's data or result, read and changed by its
// JSON field names, whether the service works on maps or on a Go struct.
// Stock hooks (hashing a password, hiding fields, stamping an author) use
// it, so that they work the same for both.
type Record struct {
	m     map[string]any
	v     reflect.Value // the struct; addressable when it may be changed
	s     *schema.Struct
	given func(field string) // a patch's: a field set is a field given
}

// Records returns the records of a call's data or result, for every shape a
// standard method has: a record, a list, a Page, a typed service's struct,
// list, page (Found) or patch. Changes through a Record change the value
// itself. Values that are not records are skipped.
func Records(v any) []Record {
	switch r := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return []Record{{m: r}}
	case []map[string]any:
		out := make([]Record, len(r))
		for i, m := range r {
			out[i] = Record{m: m}
		}
		return out
	case *Page:
		return Records(r.Data)
	case []any:
		out := make([]Record, 0, len(r))
		for _, e := range r {
			out = append(out, Records(e)...)
		}
		return out
	case recordSet:
		return r.records()
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct:
		return []Record{structRecord(rv.Elem())}
	case rv.Kind() == reflect.Struct:
		return []Record{structRecord(rv)}
	case rv.Kind() == reflect.Slice && structs(rv.Type().Elem()):
		out := make([]Record, rv.Len())
		for i := range out {
			out[i] = structRecord(reflect.Indirect(rv.Index(i)))
		}
		return out
	}
	return nil
}

// recordSet is implemented by the typed shapes that hold records (Found,
// Patch).
type recordSet interface{ records() []Record }

func structs(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

func structRecord(v reflect.Value) Record { return Record{v: v, s: schema.Of(v.Type())} }

// Get returns the value of field.
func (r Record) Get(field string) (any, bool) {
	if r.s == nil {
		v, ok := r.m[field]
		return v, ok
	}
	f := r.s.Field(field)
	if f == nil {
		return nil, false
	}
	fv := f.Value(r.v)
	if !fv.IsValid() {
		return nil, false
	}
	return fv.Interface(), !fv.IsZero() || !f.OmitEmpty
}

// String returns the value of field if it is a string.
func (r Record) String(field string) string {
	v, _ := r.Get(field)
	s, _ := v.(string)
	return s
}

// Has reports whether the record has field: a map key, or a struct field
// (which always exists, but with omitempty only when it is not empty).
func (r Record) Has(field string) bool {
	_, ok := r.Get(field)
	return ok
}

var errNoField = errors.New("pinion: the record has no such field")

// Set sets field to value. A struct field takes the value as JSON would (a
// float64 into an int field if it is whole); a struct record that cannot be
// changed (a value rather than a pointer), a field the struct lacks or a
// value of another type is an error.
func (r Record) Set(field string, value any) error {
	if r.s == nil {
		if r.m == nil {
			return errNoField
		}
		r.m[field] = value
		return nil
	}
	f := r.s.Field(field)
	if f == nil {
		return errNoField
	}
	if err := f.Set(r.v, value); err != nil {
		return BadRequest("%s", err.Error())
	}
	if r.given != nil {
		r.given(field)
	}
	return nil
}

// Delete removes field: the key of a map, the value (to zero) of a struct
// field.
func (r Record) Delete(field string) {
	if r.s == nil {
		delete(r.m, field)
		return
	}
	if f := r.s.Field(field); f != nil {
		if fv := f.Value(r.v); fv.CanSet() {
			fv.SetZero()
		}
	}
}

// Map returns the record as a map: the map itself for a map record, a new
// map of the JSON fields for a struct.
func (r Record) Map() map[string]any {
	if r.s == nil {
		return r.m
	}
	return r.s.ToMap(r.v, nil)
}

// Value is the record itself: the map, or the struct (a pointer to it when
// it can be changed).
func (r Record) Value() any {
	switch {
	case r.s == nil:
		return r.m
	case r.v.CanAddr():
		return r.v.Addr().Interface()
	}
	return r.v.Interface()
}
