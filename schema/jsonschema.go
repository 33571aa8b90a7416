package schema

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Form names one of the JSON Schemas of a struct: a record has a different
// shape as the service answers it, as a client sends it, as a patch and as a
// query.
type Form int

const (
	// Result is the record as the service answers it: no protected fields;
	// fields without omitempty are always there.
	Result Form = iota
	// Data is what a client creates or replaces a record with: no read-only
	// fields, the required ones required, nothing else allowed.
	Data
	// Patch is Data with nothing required.
	Patch
	// Query is a Feathers query on the record's fields: values or operator
	// objects per field, $or and $and, $sort, $select, $limit and $skip.
	Query
)

func (f Form) String() string {
	return [...]string{"result", "data", "patch", "query"}[f]
}

// Refs tells JSONSchema how to refer to schemas it does not inline: a query's
// own schema, for the sub-queries of $or and $and. Empty means "#", the
// root of a standalone document; in an OpenAPI document it is the query
// component's reference.
type Refs struct{ Query string }

// JSONSchema returns the JSON Schema (draft 2020-12, as OpenAPI 3.1 uses
// it) of form, as decoded JSON: maps and lists, ready to marshal. The same
// tags that validation checks make its keywords, so the document and the
// checks cannot disagree.
func (s *Struct) JSONSchema(form Form, refs Refs) map[string]any {
	if form == Query {
		return s.querySchema(refs, true)
	}
	return s.objectSchema(form)
}

func (s *Struct) objectSchema(form Form) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range s.Fields {
		switch {
		case form == Result && f.Protected,
			form != Result && f.ReadOnly:
			continue
		}
		p := f.valueSchema(form)
		if f.Doc != "" {
			p["description"] = f.Doc
		}
		if form == Result && f.ReadOnly {
			p["readOnly"] = true
		}
		if form != Result && f.Protected {
			p["writeOnly"] = true
		}
		props[f.Name] = p
		switch {
		case form == Data && f.Required,
			form == Result && !f.OmitEmpty && !f.Protected:
			required = append(required, f.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if form != Result {
		out["additionalProperties"] = false
	}
	return out
}

// valueSchema is the schema of the field's values, with its rules.
func (f *Field) valueSchema(form Form) map[string]any {
	p := typeSchema(f.Type, form)
	r := &f.Rules
	if r.Minimum != nil {
		p["minimum"] = *r.Minimum
	}
	if r.Maximum != nil {
		p["maximum"] = *r.Maximum
	}
	if r.MinLength != nil {
		p["minLength"] = *r.MinLength
	}
	if r.MaxLength != nil {
		p["maxLength"] = *r.MaxLength
	}
	if r.Pattern != "" {
		p["pattern"] = r.Pattern
	}
	if r.Format != "" {
		p["format"] = r.Format
	}
	if len(r.Enum) > 0 {
		p["enum"] = enumValues(f.Type, r.Enum)
	}
	return p
}

// enumValues are an enum's values in the field's JSON type.
func enumValues(t reflect.Type, enum []string) []any {
	out := make([]any, len(enum))
	for i, e := range enum {
		out[i] = e
		switch kindOf(t) {
		case "integer", "number":
			if n, err := strconv.ParseFloat(e, 64); err == nil {
				out[i] = n
			}
		case "boolean":
			if b, err := strconv.ParseBool(e); err == nil {
				out[i] = b
			}
		}
	}
	return out
}

// typeSchema is the schema of a Go type's JSON form.
func typeSchema(t reflect.Type, form Form) map[string]any {
	if t.Kind() == reflect.Pointer {
		p := typeSchema(t.Elem(), form)
		if ty, ok := p["type"].(string); ok {
			p["type"] = []any{ty, "null"}
		}
		return p
	}
	switch kindOf(t) {
	case "string":
		return map[string]any{"type": "string"}
	case "integer":
		return map[string]any{"type": "integer"}
	case "number":
		return map[string]any{"type": "number"}
	case "boolean":
		return map[string]any{"type": "boolean"}
	case "date-time":
		return map[string]any{"type": "string", "format": "date-time"}
	case "objectid":
		return map[string]any{"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}
	case "array":
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": typeSchema(t.Elem(), form)}
	case "object":
		if t.Kind() == reflect.Map {
			return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem(), form)}
		}
		if form == Patch {
			form = Data // a nested object is written whole
		}
		return Of(t).objectSchema(form)
	}
	return map[string]any{} // any JSON value
}

// operators are the Feathers query operators each kind of field takes.
var operators = map[string][]string{
	"string":    {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"},
	"integer":   {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"},
	"number":    {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"},
	"date-time": {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"},
	"objectid":  {"$in", "$nin", "$ne"},
	"boolean":   {"$in", "$nin", "$ne"},
}

// Operators lists the query operators a field takes, by its kind.
func (f *Field) Operators() []string { return operators[f.Kind()] }

func (s *Struct) querySchema(refs Refs, top bool) map[string]any {
	self := refs.Query
	if self == "" {
		self = "#"
	}
	props := map[string]any{}
	var names []any
	for _, f := range s.Fields {
		if f.Protected {
			continue
		}
		names = append(names, f.Name)
		props[f.Name] = f.conditionSchema()
	}
	props["$or"] = map[string]any{"type": "array", "items": map[string]any{"$ref": self}}
	props["$and"] = map[string]any{"type": "array", "items": map[string]any{"$ref": self}}
	if top {
		sortProps := map[string]any{}
		for _, n := range names {
			sortProps[n.(string)] = map[string]any{"type": "integer", "enum": []any{1, -1}}
		}
		props["$sort"] = map[string]any{"type": "object", "properties": sortProps, "additionalProperties": false}
		props["$select"] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": names}}
		props["$limit"] = map[string]any{"type": "integer", "minimum": 0}
		props["$skip"] = map[string]any{"type": "integer", "minimum": 0}
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

// conditionSchema is what a query may say about a field: a value, or an
// object of the operators its kind takes.
func (f *Field) conditionSchema() map[string]any {
	value := typeSchema(f.Type, Data)
	ops := f.Operators()
	if len(ops) == 0 {
		return value
	}
	opProps := map[string]any{}
	for _, op := range ops {
		if op == "$in" || op == "$nin" {
			opProps[op] = map[string]any{"type": "array", "items": value}
		} else {
			opProps[op] = value
		}
	}
	return map[string]any{"anyOf": []any{
		value,
		map[string]any{"type": "object", "properties": opProps, "additionalProperties": false},
	}}
}

// QueryFields lists the fields a query may name: every field that is not
// protected, nested ones as dot paths.
func (s *Struct) QueryFields() []string {
	var out []string
	s.queryFields("", &out, 0)
	return out
}

func (s *Struct) queryFields(prefix string, out *[]string, depth int) {
	for _, f := range s.Fields {
		if f.Protected {
			continue
		}
		*out = append(*out, prefix+f.Name)
		t := f.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct && kindOf(t) == "object" && depth < 4 {
			Of(t).queryFields(prefix+f.Name+".", out, depth+1)
		}
	}
}

// Path resolves a dot path ("address.city") to its field, or nil.
func (s *Struct) Path(path string) *Field {
	st := s
	for {
		name, rest, nested := cut(path)
		f := st.Field(name)
		if f == nil || !nested {
			return f
		}
		t := f.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || kindOf(t) != "object" {
			return nil
		}
		st, path = Of(t), rest
	}
}

func cut(path string) (string, string, bool) { return strings.Cut(path, ".") }

// ProtectedPaths lists the fields tagged protected:"true" as dot paths,
// nested ones too: "password", "creds.hash" for a hash inside a struct, a
// pointer to one or a list of them. Every one of them is left out of what
// external callers get, and no query may name it or a field around it.
func (s *Struct) ProtectedPaths() []string {
	var out []string
	s.protectedPaths("", &out, 0)
	return out
}

func (s *Struct) protectedPaths(prefix string, out *[]string, depth int) {
	for _, f := range s.Fields {
		if f.Protected {
			if strings.Contains(f.Name, ".") {
				// Removal and queries read a dot as nesting: the field
				// itself would be answered.
				panic(fmt.Sprintf("schema: %s: protected field %q has a dot in its JSON name", s.Type, f.Name))
			}
			*out = append(*out, prefix+f.Name)
			continue
		}
		t := f.Type
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct && kindOf(t) == "object" && depth < 8 {
			Of(t).protectedPaths(prefix+f.Name+".", out, depth+1)
		}
	}
}
