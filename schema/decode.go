package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
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
// type, field by field: each value is decoded once, into its field, and
// nested structs (in lists too) field by field in turn. It returns the JSON
// names of the fields given. An unknown field (at any depth), a value of
// the wrong type, or anything but an object is an *Error naming the field
// by its path ("/address/zip").
func (s *Struct) DecodeJSON(b []byte, dst reflect.Value, d Decoding) ([]string, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		e := &Error{}
		e.add("", "must be an object")
		return nil, e
	}
	e := &Error{}
	present := s.decodeRaw(raw, dst.Elem(), "", d, e)
	return present, e.err()
}

// decodeRaw sets the fields of v from the members of a JSON object and
// returns the names of those given, adding problems under path to e.
func (s *Struct) decodeRaw(raw map[string]json.RawMessage, v reflect.Value, path string, d Decoding, e *Error) []string {
	present := make([]string, 0, len(raw))
	for name, r := range raw {
		f := s.byName[name]
		switch {
		case f == nil:
			if !d.IgnoreUnknown {
				e.add(path+"/"+name, "is not a field")
			}
			continue
		case d.External && f.ReadOnly:
			continue
		}
		if decodeJSONValue(f.settable(v), r, path+"/"+name, d, e) {
			present = append(present, name)
		}
	}
	return present
}

// decodeJSONValue decodes r into fv: a struct member by member, a list
// element by element when it holds structs or does not decode whole,
// anything else as encoding/json does. It reports whether r fitted.
func decodeJSONValue(fv reflect.Value, r json.RawMessage, path string, d Decoding, e *Error) bool {
	t := fv.Type()
	if isNull(r) && (t.Kind() == reflect.Pointer || isRecord(t) || isList(t)) {
		fv.SetZero()
		return true
	}
	switch {
	case t.Kind() == reflect.Pointer && hasRecords(t.Elem()):
		nv := reflect.New(t.Elem())
		if !decodeJSONValue(nv.Elem(), r, path, d, e) {
			return false
		}
		fv.Set(nv)
		return true
	case isRecord(t):
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r, &m); err != nil {
			e.add(path, "must be %s", article(t))
			return false
		}
		nv := reflect.New(t).Elem()
		n := len(e.Problems)
		Of(t).decodeRaw(m, nv, path, d, e)
		if len(e.Problems) > n {
			return false
		}
		fv.Set(nv)
		return true
	}
	if !hasRecords(t) {
		// Into the field itself (addressable, as settable returns it); what
		// a failure left there is overwritten below or refused.
		if err := json.Unmarshal(r, fv.Addr().Interface()); err == nil {
			return true
		}
	}
	if !isList(t) {
		e.add(path, "must be %s", article(t))
		return false
	}
	// Element by element: to name the one at fault, and to decode the
	// structs in it member by member.
	var items []json.RawMessage
	if json.Unmarshal(r, &items) != nil {
		e.add(path, "must be %s", article(t))
		return false
	}
	l := reflect.MakeSlice(t, len(items), len(items))
	ok := true
	for i, item := range items {
		ok = decodeJSONValue(l.Index(i), item, path+"/"+strconv.Itoa(i), d, e) && ok
	}
	if ok {
		fv.Set(l)
	}
	return ok
}

func isNull(r json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(r), []byte("null")) }

// DecodeMap sets the fields of dst (a pointer to a struct of s's type) from
// a decoded JSON object, as a socket delivers it; see DecodeJSON.
func (s *Struct) DecodeMap(m map[string]any, dst reflect.Value, d Decoding) ([]string, error) {
	e := &Error{}
	present := s.decodeMap(m, dst.Elem(), "", d, e)
	return present, e.err()
}

func (s *Struct) decodeMap(m map[string]any, v reflect.Value, path string, d Decoding, e *Error) []string {
	present := make([]string, 0, len(m))
	for name, value := range m {
		f := s.byName[name]
		switch {
		case f == nil:
			if !d.IgnoreUnknown {
				e.add(path+"/"+name, "is not a field")
			}
			continue
		case d.External && f.ReadOnly:
			continue
		}
		if decodeValue(f.settable(v), value, path+"/"+name, d, e) {
			present = append(present, name)
		}
	}
	return present
}

// decodeValue sets fv from value, a decoded JSON value: a struct from an
// object member by member, a list from a list element by element, anything
// else with set. It reports whether value fitted.
func decodeValue(fv reflect.Value, value any, path string, d Decoding, e *Error) bool {
	t := fv.Type()
	switch v := value.(type) {
	case map[string]any:
		switch {
		case isRecord(t):
			nv := reflect.New(t).Elem()
			n := len(e.Problems)
			Of(t).decodeMap(v, nv, path, d, e)
			if len(e.Problems) > n {
				return false
			}
			fv.Set(nv)
			return true
		case t.Kind() == reflect.Pointer && isRecord(t.Elem()):
			nv := reflect.New(t.Elem())
			if !decodeValue(nv.Elem(), value, path, d, e) {
				return false
			}
			fv.Set(nv)
			return true
		}
	case []any:
		if isList(t) {
			l := reflect.MakeSlice(t, len(v), len(v))
			ok := true
			for i, item := range v {
				ok = decodeValue(l.Index(i), item, path+"/"+strconv.Itoa(i), d, e) && ok
			}
			if ok {
				fv.Set(l)
			}
			return ok
		}
	}
	if err := set(fv, value); err != nil {
		e.add(path, "must be %s", article(t))
		return false
	}
	return true
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// isRecord reports whether t is a struct that is decoded member by member:
// one that does not decode itself (as times do).
func isRecord(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	p := reflect.PointerTo(t)
	return !p.Implements(jsonUnmarshalerType) && !p.Implements(textUnmarshalerType) &&
		!t.Implements(jsonUnmarshalerType) && !t.Implements(textUnmarshalerType)
}

// isList reports whether t is a list decoded element by element: a slice
// (not bytes, which JSON holds as base64) that does not decode itself.
func isList(t reflect.Type) bool {
	if t.Kind() != reflect.Slice || t.Elem().Kind() == reflect.Uint8 {
		return false
	}
	return !reflect.PointerTo(t).Implements(jsonUnmarshalerType) && !reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// hasRecords reports whether values of t hold structs decoded member by
// member, whose unknown members encoding/json would drop silently.
func hasRecords(t reflect.Type) bool {
	for {
		switch {
		case isRecord(t):
			return true
		case t.Kind() == reflect.Pointer || isList(t):
			t = t.Elem()
		default:
			return false
		}
	}
}

// Set sets the field in v (a pointer to a struct of the field's struct type,
// or an addressable struct value) to value, converting as JSON would: a
// float64 into an int field if it is whole, a map into a struct.
func (f *Field) Set(v reflect.Value, value any) error {
	v = reflect.Indirect(v)
	if !v.CanAddr() {
		return errors.New("schema: the record cannot be changed")
	}
	e := &Error{}
	if !decodeValue(f.settable(v), value, "/"+f.Name, Decoding{}, e) {
		return errors.New(e.Summary())
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
func set(fv reflect.Value, value any) error {
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
	nv := reflect.New(fv.Type())
	if err := json.Unmarshal(b, nv.Interface()); err != nil {
		return errMismatch
	}
	fv.Set(nv.Elem())
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
