package schema

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
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
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil { // one object, nothing after it
		e := &Error{}
		e.add("", "must be an object")
		return nil, e
	}
	dc := decoder{d: d}
	present := s.decodeRaw(&dc, raw, dst.Elem(), true)
	return present, dc.err()
}

// DecodeMap sets the fields of dst (a pointer to a struct of s's type) from
// a decoded JSON object, as a socket delivers it; see DecodeJSON.
func (s *Struct) DecodeMap(m map[string]any, dst reflect.Value, d Decoding) ([]string, error) {
	dc := decoder{d: d}
	present := s.decodeMap(&dc, m, dst.Elem(), true)
	return present, dc.err()
}

// Load sets the fields of dst (a pointer to a struct of s's type) from a
// stored record, as DecodeMap with IgnoreUnknown does, without listing the
// fields given: adapters read every record they answer through it.
func (s *Struct) Load(m map[string]any, dst reflect.Value) error {
	dc := decoder{d: Decoding{IgnoreUnknown: true}}
	s.decodeMap(&dc, m, dst.Elem(), false)
	return dc.err()
}

// decoder decodes one piece of data.
type decoder struct {
	d Decoding
	problems
}

// decodeMap sets the fields of v from the members of m, and lists the
// names of those given when given is set.
func (s *Struct) decodeMap(dc *decoder, m map[string]any, v reflect.Value, given bool) []string {
	var present []string
	if given {
		present = make([]string, 0, len(m))
	}
	one := func(f *Field, value any) {
		if dc.d.External && f.ReadOnly {
			return
		}
		n := dc.n()
		if dc.value(f.settable(v), f.info, value) {
			if given {
				present = append(present, f.Name)
			}
		} else {
			dc.within(n, f.Name)
		}
	}
	known := 0
	if 2*len(m) < len(s.Fields) {
		// A few members (a patch): look each up.
		for name, value := range m {
			if f := s.byName[name]; f != nil {
				known++
				one(f, value)
			}
		}
	} else {
		// A whole record: one look-up per field, in declaration order.
		for _, f := range s.Fields {
			if value, ok := m[f.Name]; ok {
				known++
				one(f, value)
			}
		}
	}
	if known < len(m) && !dc.d.IgnoreUnknown {
		dc.unknown(unknownNames(s, m))
	}
	return present
}

// decodeRaw is decodeMap for the members of a JSON object.
func (s *Struct) decodeRaw(dc *decoder, raw map[string]json.RawMessage, v reflect.Value, given bool) []string {
	var present []string
	if given {
		present = make([]string, 0, len(raw))
	}
	known := 0
	for name, r := range raw {
		f := s.byName[name]
		if f == nil {
			continue
		}
		known++
		if dc.d.External && f.ReadOnly {
			continue
		}
		n := dc.n()
		if dc.raw(f.settable(v), f.info, r) {
			if given {
				present = append(present, name)
			}
		} else {
			dc.within(n, name)
		}
	}
	if known < len(raw) && !dc.d.IgnoreUnknown {
		dc.unknown(unknownNames(s, raw))
	}
	return present
}

// unknown adds a problem for each of names, members s has no field for.
func (dc *decoder) unknown(names []string) {
	for _, name := range names {
		dc.add("/"+name, "is not a field")
	}
}

// unknownNames lists the members of m that s has no field for, in order.
func unknownNames[V any](s *Struct, m map[string]V) []string {
	var names []string
	for name := range m {
		if s.byName[name] == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// value sets fv (of type in.t) from value, a decoded JSON value: a struct
// from an object member by member, a list from a list element by element,
// anything else with set. It reports whether value fitted.
func (dc *decoder) value(fv reflect.Value, in *info, value any) bool {
	switch v := value.(type) {
	case map[string]any:
		switch {
		case in.record:
			nv := reflect.New(in.t).Elem()
			n := dc.n()
			in.structOf().decodeMap(dc, v, nv, false)
			if dc.n() > n {
				return false
			}
			fv.Set(nv)
			return true
		case in.kind == reflect.Pointer && in.elemInfo().record:
			nv := reflect.New(in.t.Elem())
			if !dc.value(nv.Elem(), in.elemInfo(), value) {
				return false
			}
			fv.Set(nv)
			return true
		}
	case []any:
		if in.list {
			l := reflect.MakeSlice(in.t, len(v), len(v))
			ei := in.elemInfo()
			ok := true
			for i, item := range v {
				if n := dc.n(); !dc.value(l.Index(i), ei, item) {
					dc.within(n, strconv.Itoa(i))
					ok = false
				}
			}
			if ok {
				fv.Set(l)
			}
			return ok
		}
	}
	if err := set(fv, in, value); err != nil {
		dc.add("", "must be %s", article(in.t))
		return false
	}
	return true
}

// raw decodes r into fv (of type in.t): a struct member by member, a list
// element by element when it holds structs or does not decode whole,
// anything else as encoding/json does. It reports whether r fitted.
func (dc *decoder) raw(fv reflect.Value, in *info, r json.RawMessage) bool {
	if (in.kind == reflect.Pointer || in.record || in.list) && isNull(r) {
		fv.SetZero()
		return true
	}
	switch {
	case in.kind == reflect.Pointer && in.hasRecords:
		nv := reflect.New(in.t.Elem())
		if !dc.raw(nv.Elem(), in.elemInfo(), r) {
			return false
		}
		fv.Set(nv)
		return true
	case in.record:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r, &m); err != nil {
			dc.add("", "must be %s", article(in.t))
			return false
		}
		nv := reflect.New(in.t).Elem()
		n := dc.n()
		in.structOf().decodeRaw(dc, m, nv, false)
		if dc.n() > n {
			return false
		}
		fv.Set(nv)
		return true
	}
	if !in.hasRecords {
		// Into the field itself (addressable, as settable returns it); what
		// a failure left there is overwritten below or refused.
		if err := json.Unmarshal(r, fv.Addr().Interface()); err == nil {
			return true
		}
	}
	if !in.list {
		dc.add("", "must be %s", article(in.t))
		return false
	}
	// Element by element: to name the one at fault, and to decode the
	// structs in it member by member.
	var items []json.RawMessage
	if json.Unmarshal(r, &items) != nil {
		dc.add("", "must be %s", article(in.t))
		return false
	}
	l := reflect.MakeSlice(in.t, len(items), len(items))
	ei := in.elemInfo()
	ok := true
	for i, item := range items {
		if n := dc.n(); !dc.raw(l.Index(i), ei, item) {
			dc.within(n, strconv.Itoa(i))
			ok = false
		}
	}
	if ok {
		fv.Set(l)
	}
	return ok
}

func isNull(r json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(r), []byte("null")) }

// Set sets the field in v (a pointer to a struct of the field's struct type,
// or an addressable struct value) to value, converting as JSON would: a
// float64 into an int field if it is whole, a map into a struct.
func (f *Field) Set(v reflect.Value, value any) error {
	v = reflect.Indirect(v)
	if !v.CanAddr() {
		return errors.New("schema: the record cannot be changed")
	}
	var dc decoder
	if !dc.value(f.settable(v), f.info, value) {
		dc.within(0, f.Name)
		return errors.New(dc.e.Summary())
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

// set assigns value to fv (of type in.t): directly when the types allow,
// by number conversion for whole numbers, text with UnmarshalText where
// encoding/json would use it (times, ObjectIds), else through JSON.
func set(fv reflect.Value, in *info, value any) error {
	switch v := value.(type) {
	case nil:
		fv.SetZero()
		return nil
	case string:
		switch {
		case in.kind == reflect.String:
			fv.SetString(v)
			return nil
		case in.text:
			if fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(v)) != nil {
				return errMismatch
			}
			return nil
		}
	case bool:
		if in.kind == reflect.Bool {
			fv.SetBool(v)
			return nil
		}
	case float64:
		if isNumber(in.kind) {
			return setFloat(fv, v)
		}
	}
	rv := reflect.ValueOf(value)
	switch {
	case rv.Type().AssignableTo(in.t):
		fv.Set(rv)
		return nil
	case isNumber(rv.Kind()) && isNumber(in.kind):
		return setNumber(fv, rv)
	case rv.Kind() == reflect.String && in.kind == reflect.String:
		fv.SetString(rv.String())
		return nil
	case rv.Kind() == reflect.Bool && in.kind == reflect.Bool:
		fv.SetBool(rv.Bool())
		return nil
	}
	// Everything else is what the field's JSON decoding says it is.
	b, err := json.Marshal(value)
	if err != nil {
		return errMismatch
	}
	nv := reflect.New(in.t)
	if err := json.Unmarshal(b, nv.Interface()); err != nil {
		return errMismatch
	}
	fv.Set(nv.Elem())
	return nil
}

// setFloat sets a number field from a JSON number.
func setFloat(fv reflect.Value, f float64) error {
	switch {
	case fv.CanInt():
		if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 || fv.OverflowInt(int64(f)) {
			return errMismatch
		}
		fv.SetInt(int64(f))
	case fv.CanUint():
		if f < 0 || f != math.Trunc(f) || f >= math.MaxUint64 || fv.OverflowUint(uint64(f)) {
			return errMismatch
		}
		fv.SetUint(uint64(f))
	default:
		fv.SetFloat(f)
	}
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
		out[f.Name] = plain(fv, f.info)
	}
	return out
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// plain converts a value (of type in.t) into the shapes of decoded JSON
// where it has structure (objects, lists), keeping scalars and
// self-encoding values.
func plain(v reflect.Value, in *info) any {
	if in.self {
		return v.Interface()
	}
	switch in.kind {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if in.kind == reflect.Interface {
			e := v.Elem()
			return plain(e, infoOf(e.Type()))
		}
		return plain(v.Elem(), in.elemInfo())
	case reflect.Struct:
		return in.structOf().ToMap(v, nil)
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if in.t.Elem().Kind() == reflect.Uint8 {
			return v.Interface() // []byte: JSON writes base64
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		ei := in.elemInfo()
		for i := range out {
			out[i] = plain(v.Index(i), ei)
		}
		return out
	case reflect.Map:
		if v.IsNil() || in.t.Key().Kind() != reflect.String {
			return v.Interface()
		}
		out := make(map[string]any, v.Len())
		ei := in.elemInfo()
		for it := v.MapRange(); it.Next(); {
			out[it.Key().String()] = plain(it.Value(), ei)
		}
		return out
	}
	return v.Interface()
}
