package typescript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pinionhq/pinion/schema"
)

// object is a JSON object that keeps the order of its keys, so that the
// declarations list properties as the struct, or the hand-written schema,
// does.
type object struct {
	keys []string
	m    map[string]any
}

func (o *object) get(k string) any {
	if o == nil {
		return nil
	}
	return o.m[k]
}

func (o *object) has(k string) bool {
	if o == nil {
		return false
	}
	_, ok := o.m[k]
	return ok
}

func (o *object) str(k string) string { s, _ := o.get(k).(string); return s }

func (o *object) obj(k string) *object { v, _ := o.get(k).(*object); return v }

func (o *object) list(k string) []any { v, _ := o.get(k).([]any); return v }

// parse decodes a hand-written JSON Schema, keeping key order.
func parse(doc string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := o.m[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.m[k] = v
			}
			_, err := dec.Token() // }
			return o, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token() // ]
			return l, err
		}
	case json.Number:
		return t, nil
	}
	return tok, nil
}

// fromSchema converts a schema made by package schema (maps, which have no
// order) into objects, ordering the properties of each object as the
// fields of its Go type t (nil when unknown) are declared.
func fromSchema(v any, t reflect.Type) any {
	switch x := v.(type) {
	case map[string]any:
		o := &object{m: make(map[string]any, len(x))}
		for _, k := range sortedKeys(x, nil) {
			o.keys = append(o.keys, k)
			switch k {
			case "properties":
				props, _ := x[k].(map[string]any)
				st := structType(t)
				var fields []string
				if st != nil {
					for _, f := range schema.Of(st).Fields {
						fields = append(fields, f.Name)
					}
				}
				po := &object{m: make(map[string]any, len(props))}
				for _, name := range sortedKeys(props, fields) {
					var ft reflect.Type
					if st != nil {
						if f := schema.Of(st).Field(name); f != nil {
							ft = f.Type
						} else if name == "$sort" {
							ft = st // a sort names the struct's fields
						}
					}
					po.keys = append(po.keys, name)
					po.m[name] = fromSchema(props[name], ft)
				}
				o.m[k] = po
			case "items":
				o.m[k] = fromSchema(x[k], elemType(t))
			case "additionalProperties":
				o.m[k] = fromSchema(x[k], mapElem(t))
			case "anyOf", "oneOf", "allOf":
				l, _ := x[k].([]any)
				out := make([]any, len(l))
				for i, e := range l {
					out[i] = fromSchema(e, t)
				}
				o.m[k] = out
			default:
				o.m[k] = fromSchema(x[k], nil)
			}
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromSchema(e, nil)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}

// keywordOrder puts Feathers' query keys after the fields, in the order
// Feathers documents them.
var keywordOrder = []string{"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne", "$or", "$and", "$sort", "$select", "$limit", "$skip"}

// sortedKeys lists m's keys: first, in order, those of first; then the
// query keywords in Feathers' order; then the others alphabetically.
func sortedKeys(m map[string]any, first []string) []string {
	out := make([]string, 0, len(m))
	for _, k := range first {
		if _, ok := m[k]; ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, k := range keywordOrder {
		if _, ok := m[k]; ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func structType(t reflect.Type) reflect.Type {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

func elemType(t reflect.Type) reflect.Type {
	t = deref(t)
	if t == nil || (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
		return nil
	}
	return t.Elem()
}

func mapElem(t reflect.Type) reflect.Type {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Map {
		return nil
	}
	return t.Elem()
}

// number reads a JSON number as parse or package schema gave it.
func number(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return n.String(), true
	case float64, float32, int, int64, int32, uint, uint64:
		b, _ := json.Marshal(n)
		return string(bytes.TrimSpace(b)), true
	}
	return "", false
}
