package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Problem is one reason data is refused: where (a JSON pointer, "/title")
// and why.
type Problem struct {
	Path    string `json:"instancePath"`
	Message string `json:"message"`
}

// Error lists every problem of a piece of data.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = describe(p)
	}
	return strings.Join(msgs, "; ")
}

// describe writes a problem the way a person reads it: "'title' is required".
func describe(p Problem) string {
	if p.Path == "" {
		return p.Message
	}
	return "'" + strings.ReplaceAll(strings.TrimPrefix(p.Path, "/"), "/", ".") + "' " + p.Message
}

// Summary is the first problem in words, for an error message.
func (e *Error) Summary() string {
	if len(e.Problems) == 0 {
		return "invalid data"
	}
	return describe(e.Problems[0])
}

func (e *Error) add(path, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (e *Error) err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Decoding is how data from outside is read into a struct.
type Decoding struct {
	// External drops read-only fields: a client does not set them.
	External bool
	// IgnoreUnknown skips keys the struct has no field for, instead of
	// refusing them (stored records may hold more than a struct declares).
	IgnoreUnknown bool
}

// DecodeJSON decodes a JSON object into dst, a pointer to a struct of s's
// type, field by field: each value is decoded once, into its field. It
// returns the JSON names of the fields given. An unknown field, a value of
// the wrong type, or anything but an object is an *Error naming the field.
func (s *Struct) DecodeJSON(b []byte, dst reflect.Value, d Decoding) ([]string, error) {
	e := &Error{}
	present, ok := s.decodeObject(b, dst.Elem(), "", d, e)
	if !ok {
		e.add("", "must be an object")
	}
	return present, e.err()
}

// decodeObject decodes a JSON object into v, a struct of s's type, adding
// its problems to e under prefix. It reports false when raw is no object.
func (s *Struct) decodeObject(b []byte, v reflect.Value, prefix string, d Decoding, e *Error) ([]string, bool) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, false
	}
	present := make([]string, 0, len(raw))
	for name, r := range raw {
		f := s.byName[name]
		switch {
		case f == nil:
			if !d.IgnoreUnknown {
				e.add(prefix+"/"+name, "is not a field")
			}
			continue
		case d.External && f.ReadOnly:
			continue
		}
		if decodeValue(r, f.settable(v), prefix+"/"+name, d, e) {
			present = append(present, name)
		}
	}
	return present, true
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue decodes raw into fv. Objects into structs are decoded field by
// field like the top level (exact names, unknown fields refused), lists
// item by item, so a problem anywhere is named by its path; values that
// decode themselves (times, ObjectIds) and scalars go to encoding/json.
func decodeValue(raw json.RawMessage, fv reflect.Value, path string, d Decoding, e *Error) bool {
	t := fv.Type()
	custom := reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	switch {
	case custom:
	case t.Kind() == reflect.Pointer:
		if string(raw) == "null" {
			fv.SetZero()
			return true
		}
		elem := reflect.New(t.Elem())
		if !decodeValue(raw, elem.Elem(), path, d, e) {
			return false
		}
		fv.Set(elem)
		return true
	case t.Kind() == reflect.Struct:
		before := len(e.Problems)
		if _, ok := Of(t).decodeObject(raw, fv, path, Decoding{IgnoreUnknown: d.IgnoreUnknown}, e); !ok {
			e.add(path, "must be %s", article(t))
			return false
		}
		return len(e.Problems) == before
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		if string(raw) == "null" {
			fv.SetZero()
			return true
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			e.add(path, "must be %s", article(t))
			return false
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		ok := true
		for i, item := range items {
			ok = decodeValue(item, out.Index(i), fmt.Sprintf("%s/%d", path, i), d, e) && ok
		}
		fv.Set(out)
		return ok
	}
	if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
		e.add(path, "must be %s", article(t))
		return false
	}
	return true
}

// DecodeMap sets the fields of dst (a pointer to a struct of s's type) from
// a decoded JSON object, as a socket delivers it; see DecodeJSON.
func (s *Struct) DecodeMap(m map[string]any, dst reflect.Value, d Decoding) ([]string, error) {
	v := dst.Elem()
	e := &Error{}
	present := make([]string, 0, len(m))
	for name, value := range m {
		f := s.byName[name]
		switch {
		case f == nil:
			if !d.IgnoreUnknown {
				e.add("/"+name, "is not a field")
			}
			continue
		case d.External && f.ReadOnly:
			continue
		}
		if err := f.set(f.settable(v), value); err != nil {
			e.add("/"+name, "must be %s", article(f.Type))
			continue
		}
		present = append(present, name)
	}
	return present, e.err()
}

// Set sets the field in v (a pointer to a struct of the field's struct type,
// or an addressable struct value) to value, converting as JSON would: a
// float64 into an int field if it is whole, a map into a struct.
func (f *Field) Set(v reflect.Value, value any) error {
	v = reflect.Indirect(v)
	if !v.CanAddr() {
		return errors.New("schema: the record cannot be changed")
	}
	if err := f.set(f.settable(v), value); err != nil {
		return fmt.Errorf("'%s' must be %s", f.Name, article(f.Type))
	}
	return nil
}

// settable returns the field in v, allocating embedded pointers on the way.
func (f *Field) settable(v reflect.Value) reflect.Value {
	for i, x := range f.Index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

var errMismatch = errors.New("type mismatch")

// set assigns value to fv: directly when the types allow, by number
// conversion for whole numbers, else through JSON.
func (f *Field) set(fv reflect.Value, value any) error {
	if value == nil {
		fv.SetZero()
		return nil
	}
	rv := reflect.ValueOf(value)
	switch {
	case rv.Type().AssignableTo(fv.Type()):
		fv.Set(rv)
		return nil
	case isNumber(rv.Kind()) && isNumber(fv.Kind()):
		return setNumber(fv, rv)
	case rv.Kind() == reflect.String && fv.Kind() == reflect.String:
		fv.SetString(rv.String())
		return nil
	case rv.Kind() == reflect.Bool && fv.Kind() == reflect.Bool:
		fv.SetBool(rv.Bool())
		return nil
	}
	// Everything else (objects into structs, hex strings into ObjectIds, RFC
	// 3339 text into times) is what the field's JSON decoding says it is.
	b, err := json.Marshal(value)
	if err != nil {
		return errMismatch
	}
	nv := reflect.New(fv.Type()).Elem()
	if !decodeValue(b, nv, "", Decoding{}, &Error{}) {
		return errMismatch
	}
	fv.Set(nv)
	return nil
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func setNumber(fv, rv reflect.Value) error {
	var f float64
	switch {
	case rv.CanInt():
		f = float64(rv.Int())
	case rv.CanUint():
		f = float64(rv.Uint())
	default:
		f = rv.Float()
	}
	switch {
	case fv.CanInt():
		if f != math.Trunc(f) || fv.OverflowInt(int64(f)) {
			return errMismatch
		}
		if rv.CanInt() {
			fv.SetInt(rv.Int()) // exact, beyond float64's 53 bits
		} else {
			fv.SetInt(int64(f))
		}
	case fv.CanUint():
		if f < 0 || f != math.Trunc(f) || fv.OverflowUint(uint64(f)) {
			return errMismatch
		}
		fv.SetUint(uint64(f))
	default:
		fv.SetFloat(f)
	}
	return nil
}

// article names a type for an error message: "a string", "an integer".
func article(t reflect.Type) string {
	k := kindOf(t)
	switch k {
	case "":
		return "a " + t.String()
	case "integer", "object", "array", "objectid":
		if k == "objectid" {
			return "an ObjectId (24 hex digits)"
		}
		return "an " + k
	case "date-time":
		return "a date-time (RFC 3339)"
	}
	return "a " + k
}

// ToMap returns the JSON-shaped form of v (a struct of s's type, or a
// pointer to one) as a map keyed by JSON names, without the fields skip
// reports. Nested structs, slices and maps become maps and lists too;
// values that encode themselves (times, ObjectIds, json.Marshalers) and
// scalars are kept as they are. Fields with omitempty are left out when
// empty, as encoding/json leaves them out.
func (s *Struct) ToMap(v reflect.Value, skip func(*Field) bool) map[string]any {
	v = reflect.Indirect(v)
	out := make(map[string]any, len(s.Fields))
	for _, f := range s.Fields {
		if skip != nil && skip(f) {
			continue
		}
		fv := f.Value(v)
		if !fv.IsValid() || (f.OmitEmpty && fv.IsZero()) {
			continue
		}
		out[f.Name] = plain(fv)
	}
	return out
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// plain converts a value into the shapes of decoded JSON where it has
// structure (objects, lists), keeping scalars and self-encoding values.
func plain(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	t := v.Type()
	if t.Implements(marshalerType) || t == timeType || isObjectID(t) || reflect.PointerTo(t).Implements(marshalerType) {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return plain(v.Elem())
	case reflect.Struct:
		return Of(t).ToMap(v, nil)
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return v.Interface() // []byte: JSON writes base64
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() || t.Key().Kind() != reflect.String {
			return v.Interface()
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			out[it.Key().String()] = plain(it.Value())
		}
		return out
	}
	return v.Interface()
}
