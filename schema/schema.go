// Package schema describes Go struct types as their JSON form sees them, so
// that one struct is the source of truth for a typed service: how its data is
// decoded, which fields a client may set, how they are validated, how records
// are stored and which fields stay secret.
//
// Field names are the encoding/json names (the json tag, or the Go name).
// Rules come from struct tags, as huma reads them:
//
//		type Todo struct {
//			ID    int    `json:"id" readOnly:"true"`
//			Title string `json:"title" required:"true" minLength:"1" maxLength:"200"`
//			Done  bool   `json:"done"`
//			Owner string `json:"owner,omitempty" readOnly:"true"`
//			Notes string `json:"notes,omitempty" protected:"true"`
//		}
//
//	  - required:"true": create and update data must give the field (a Go
//	    caller: a non-zero value);
//	  - minimum, maximum (numbers), minLength, maxLength (strings, in
//	    characters), pattern (a regular expression, strings), enum (a
//	    comma-separated list), format (email, uri, date-time, date, uuid);
//	  - readOnly:"true": set by the server; what a client sends for it is
//	    dropped;
//	  - protected:"true": never sent to a client, nor usable in its queries;
//	  - index:"true" or index:"unique": the field is indexed where the
//	    records are stored (a unique index refuses a second record with the
//	    same value); the adapters' Typed constructors create the index, as
//	    if their options declared it;
//	  - doc:"…": a description, for documentation.
//
// The package knows nothing of services: package pinion builds typed services
// on it.
package schema

import (
	"encoding"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Struct is a struct type as its JSON form sees it.
type Struct struct {
	Type reflect.Type
	// Fields are the JSON fields in declaration order, those of embedded
	// structs flattened in, as encoding/json does.
	Fields []*Field
	byName map[string]*Field
}

// Field is one JSON field of a struct.
type Field struct {
	// Name is the JSON name.
	Name string
	// GoName is the name of the Go field.
	GoName    string
	Index     []int
	Type      reflect.Type
	OmitEmpty bool
	ReadOnly  bool
	Protected bool
	Doc       string
	// Indexed is set by index:"true" or index:"unique", Unique by the
	// latter: the store keeps an index on the field.
	Indexed, Unique bool
	Rules

	info *info // of Type
}

// Rules are a field's validation rules.
type Rules struct {
	Required             bool
	Minimum, Maximum     *float64
	MinLength, MaxLength *int
	Pattern              string
	Enum                 []string
	Format               string

	pattern *regexp.Regexp
	checked bool // some rule applies to values
}

var cache sync.Map // reflect.Type → *Struct

// Of describes the struct type t (a pointer to a struct is taken as the
// struct). The description is computed once per type. Of panics for another
// kind of type, or for an invalid rule tag: a wrong declaration is a
// programming error, found at registration.
func Of(t reflect.Type) *Struct {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := cache.Load(t); ok {
		return s.(*Struct)
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("schema: %s is not a struct", t))
	}
	s := &Struct{Type: t, byName: map[string]*Field{}}
	s.collect(t, nil)
	actual, _ := cache.LoadOrStore(t, s)
	return actual.(*Struct)
}

// For describes the struct type T.
func For[T any]() *Struct { return Of(reflect.TypeFor[T]()) }

func (s *Struct) collect(t reflect.Type, index []int) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			s.collect(sf.Type, idx)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := s.byName[name]; dup {
			continue // the shallower field wins, as in encoding/json
		}
		f := &Field{
			Name: name, GoName: sf.Name, Index: idx, Type: sf.Type,
			OmitEmpty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,"),
			ReadOnly:  sf.Tag.Get("readOnly") == "true",
			Protected: sf.Tag.Get("protected") == "true",
			Doc:       sf.Tag.Get("doc"),
			Rules:     rules(t, sf),
			info:      infoOf(sf.Type),
		}
		f.Indexed, f.Unique = indexTag(t, sf)
		s.Fields = append(s.Fields, f)
		s.byName[name] = f
	}
}

// indexTag reads the index tag: "true" or "unique". Another value panics, as
// a wrong rule does: an index that a typo left out would be found in
// production, by a slow query.
func indexTag(t reflect.Type, sf reflect.StructField) (indexed, unique bool) {
	v, ok := sf.Tag.Lookup("index")
	if !ok {
		return false, false
	}
	switch v {
	case "true":
		return true, false
	case "unique":
		return true, true
	}
	panic(fmt.Sprintf("schema: %s.%s: tag index: %q is neither \"true\" nor \"unique\"", t, sf.Name, v))
}

func rules(t reflect.Type, sf reflect.StructField) Rules {
	var r Rules
	bad := func(tag string, err error) {
		panic(fmt.Sprintf("schema: %s.%s: tag %s: %v", t, sf.Name, tag, err))
	}
	number := func(tag string) *float64 {
		v, ok := sf.Tag.Lookup(tag)
		if !ok {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad(tag, err)
		}
		return &f
	}
	length := func(tag string) *int {
		v, ok := sf.Tag.Lookup(tag)
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad(tag, fmt.Errorf("%q is not a length", v))
		}
		return &n
	}
	r.Required = sf.Tag.Get("required") == "true"
	r.Minimum, r.Maximum = number("minimum"), number("maximum")
	r.MinLength, r.MaxLength = length("minLength"), length("maxLength")
	if p, ok := sf.Tag.Lookup("pattern"); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			bad("pattern", err)
		}
		r.Pattern, r.pattern = p, re
	}
	if e, ok := sf.Tag.Lookup("enum"); ok {
		for v := range strings.SplitSeq(e, ",") {
			r.Enum = append(r.Enum, strings.TrimSpace(v))
		}
	}
	if f, ok := sf.Tag.Lookup("format"); ok {
		if _, known := formats[f]; !known {
			bad("format", fmt.Errorf("unknown format %q", f))
		}
		r.Format = f
	}
	r.checked = r.Minimum != nil || r.Maximum != nil || r.MinLength != nil || r.MaxLength != nil ||
		r.pattern != nil || len(r.Enum) > 0 || r.Format != ""
	return r
}

// Field returns the field with JSON name, or nil.
func (s *Struct) Field(name string) *Field { return s.byName[name] }

// Value returns the field's value in v, a struct value (or a pointer to
// one); nil when an embedded pointer on the way is nil.
func (f *Field) Value(v reflect.Value) reflect.Value {
	v = reflect.Indirect(v)
	if len(f.Index) == 1 {
		return v.Field(f.Index[0])
	}
	fv, err := v.FieldByIndexErr(f.Index)
	if err != nil {
		return reflect.Value{}
	}
	return fv
}

// Kind is the JSON type of a field's values, for query coercion and
// schemas: "string", "number", "integer", "boolean", "date-time" (a
// time.Time), "objectid" (a MongoDB ObjectId: 12 bytes written as 24 hex
// digits), "array", "object", or "" when it cannot be told.
func (f *Field) Kind() string { return kindOf(f.Type) }

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "date-time"
	case isObjectID(t):
		return "objectid"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

// isObjectID recognises MongoDB's ObjectID without importing the driver: 12
// bytes with a Hex method.
func isObjectID(t reflect.Type) bool {
	if t.Kind() != reflect.Array || t.Len() != 12 || t.Elem().Kind() != reflect.Uint8 {
		return false
	}
	_, ok := t.MethodByName("Hex")
	return ok
}
