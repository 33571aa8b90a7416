package schema

import (
	"reflect"
	"slices"
)

// CheckQuery checks a Feathers query against the struct: every field it
// names (in conditions at any depth of $or and $and, in $sort and $select)
// must be a field, and values given as JSON (over sockets) must be of the
// field's type. Strings are always accepted where a value goes: REST sends
// every value as text, which the adapter reads as the field's type.
// Operators the struct does not list for a field are left to the adapter,
// which allows or refuses them.
func (s *Struct) CheckQuery(q map[string]any) error {
	e := &Error{}
	s.checkQuery(q, e)
	return e.err()
}

func (s *Struct) checkQuery(q map[string]any, e *Error) {
	for k, v := range q {
		switch k {
		case "$limit", "$skip":
		case "$sort":
			s.checkNames(keysOf(v), e, "$sort")
		case "$select":
			s.checkNames(valuesOf(v), e, "$select")
		case "$or", "$and":
			for _, sub := range valuesOf(v) {
				if m, ok := sub.(map[string]any); ok {
					s.checkQuery(m, e)
				}
			}
		default:
			if len(k) > 0 && k[0] == '$' {
				continue // the adapter's to allow or refuse
			}
			f := s.Path(k)
			if f == nil || f.Protected {
				e.add("/"+k, "is not a field")
				continue
			}
			f.checkCondition(k, v, e)
		}
	}
}

func (s *Struct) checkNames(names []any, e *Error, where string) {
	for _, n := range names {
		name, _ := n.(string)
		if f := s.Path(name); f == nil || f.Protected {
			e.add("/"+where+"/"+name, "is not a field")
		}
	}
}

// checkCondition checks a value or an object of operators.
func (f *Field) checkCondition(path string, v any, e *Error) {
	ops, ok := v.(map[string]any)
	if !ok || kindOf(f.Type) == "object" {
		f.checkValue(path, v, e)
		return
	}
	known := f.Operators()
	for op, operand := range ops {
		if !slices.Contains(known, op) {
			continue
		}
		if op == "$in" || op == "$nin" {
			for _, item := range valuesOf(operand) {
				f.checkValue(path, item, e)
			}
			continue
		}
		f.checkValue(path, operand, e)
	}
}

// checkValue accepts text (REST), null, and JSON values of the field's kind.
func (f *Field) checkValue(path string, v any, e *Error) {
	if v == nil {
		return
	}
	if _, text := v.(string); text {
		return
	}
	ok := true
	switch kindOf(f.Type) {
	case "string", "objectid":
		ok = false
	case "integer", "number", "date-time":
		_, ok = v.(float64)
		if !ok {
			ok = reflect.ValueOf(v).CanInt() || reflect.ValueOf(v).CanFloat()
		}
	case "boolean":
		_, ok = v.(bool)
	}
	if !ok {
		e.add("/"+path, "must be %s", article(f.Type))
	}
}

// keysOf lists the keys of a $sort: a map, or key-value pairs in order (any
// type with a Key field in a slice, such as pinion.Ordered).
func keysOf(v any) []any {
	switch m := v.(type) {
	case map[string]any:
		out := make([]any, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil
	}
	out := make([]any, 0, rv.Len())
	for i := range rv.Len() {
		if e := reflect.Indirect(rv.Index(i)); e.Kind() == reflect.Struct {
			if k := e.FieldByName("Key"); k.IsValid() && k.Kind() == reflect.String {
				out = append(out, k.String())
			}
		}
	}
	return out
}

// valuesOf lists a JSON list, a qs object of indices, or a single value.
func valuesOf(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case map[string]any:
		out := make([]any, 0, len(l))
		for _, e := range l {
			out = append(out, e)
		}
		return out
	case nil:
		return nil
	}
	return []any{v}
}
