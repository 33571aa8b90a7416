package openapi

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/schema"
)

// QuerySchema returns the JSON Schema of what find (and the other methods'
// query) takes on svc, with self as the reference of the schema itself (for
// the sub-queries of $or and $and; "#" standalone). A typed service's comes
// from its struct. A map service's is made from the Result schema of its
// Docs, when it finds records: each property that holds a plain value may
// be given a value or the operators every adapter takes for its type.
// Another service takes any query. $limit says the most a page holds, where the service caps it.
// Package typescript types its queries from the same schema.
func QuerySchema(svc *pinion.Service, self string) map[string]any {
	var q map[string]any
	if st := svc.Schema(); st != nil {
		q = st.JSONSchema(schema.Query, schema.Refs{Query: self})
	} else if props := resultProperties(svc); props != nil && slices.Contains(svc.Methods(), pinion.MethodFind) {
		q = mapQuerySchema(props, svc.Protected(), self)
	} else {
		q = map[string]any{"type": "object", "additionalProperties": true, "properties": map[string]any{
			"$limit":  map[string]any{"type": "integer", "minimum": 0},
			"$skip":   map[string]any{"type": "integer", "minimum": 0},
			"$sort":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer", "enum": []any{1, -1}}},
			"$select": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"$or":     map[string]any{"type": "array", "items": map[string]any{"$ref": self}},
			"$and":    map[string]any{"type": "array", "items": map[string]any{"$ref": self}},
		}}
	}
	if max := pageMax(svc); max > 0 {
		props, _ := q["properties"].(map[string]any)
		if limit, ok := props["$limit"].(map[string]any); ok {
			limit["maximum"] = max
			limit["description"] = "How many records to answer at most; a page holds at most " + strconv.Itoa(max) + "."
		}
	}
	return q
}

// pageMax is the largest page svc answers, or 0 where it sets none.
func pageMax(svc *pinion.Service) int {
	p, ok := svc.Impl().(interface{ Paginate() pinion.Paginate })
	if !ok {
		return 0
	}
	page := p.Paginate()
	if !page.Enabled() {
		return 0
	}
	if page.Max > 0 {
		return page.Max
	}
	return page.Default
}

// resultProperties decodes the properties of a map service's Result schema.
func resultProperties(svc *pinion.Service) map[string]any {
	doc := svc.Docs().Result
	if doc == "" {
		return nil
	}
	var s struct {
		Properties map[string]any `json:"properties"`
	}
	if json.Unmarshal([]byte(doc), &s) != nil {
		return nil
	}
	return s.Properties
}

// The operators every adapter takes, by JSON type (as package schema gives
// them for a struct's fields).
var (
	orderedOps = []string{"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"}
	equalOps   = []string{"$in", "$nin", "$ne"}
)

func mapQuerySchema(props map[string]any, protected []string, self string) map[string]any {
	out := map[string]any{}
	sortProps := map[string]any{}
	var names []any
	fields := make([]string, 0, len(props))
	for name := range props {
		fields = append(fields, name)
	}
	slices.Sort(fields)
	for _, name := range fields {
		p, _ := props[name].(map[string]any)
		if slices.Contains(protected, name) || p == nil {
			continue
		}
		value, ops := plainValue(p)
		if value == nil {
			continue // objects and lists: not a query's business
		}
		opProps := map[string]any{}
		for _, op := range ops {
			if op == "$in" || op == "$nin" {
				opProps[op] = map[string]any{"type": "array", "items": value}
			} else {
				opProps[op] = value
			}
		}
		cond := map[string]any{"anyOf": []any{value,
			map[string]any{"type": "object", "properties": opProps, "additionalProperties": false}}}
		if d, ok := p["description"].(string); ok {
			cond["description"] = d
		}
		out[name] = cond
		sortProps[name] = map[string]any{"type": "integer", "enum": []any{1, -1}}
		names = append(names, name)
	}
	out["$or"] = map[string]any{"type": "array", "items": map[string]any{"$ref": self}}
	out["$and"] = map[string]any{"type": "array", "items": map[string]any{"$ref": self}}
	out["$sort"] = map[string]any{"type": "object", "properties": sortProps, "additionalProperties": false}
	out["$select"] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": names}}
	out["$limit"] = map[string]any{"type": "integer", "minimum": 0}
	out["$skip"] = map[string]any{"type": "integer", "minimum": 0}
	return map[string]any{"type": "object", "properties": out, "additionalProperties": false}
}

// plainValue is the schema of a property's values when they are plain (a
// string, number, integer or boolean, or a choice of them), with the
// operators they take; nil otherwise.
func plainValue(p map[string]any) (map[string]any, []string) {
	var types []string
	switch t := p["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				types = append(types, s)
			}
		}
	}
	if len(types) == 0 {
		return nil, nil
	}
	ops := orderedOps
	for _, t := range types {
		switch t {
		case "string", "number", "integer", "null":
		case "boolean":
			ops = equalOps
		default:
			return nil, nil
		}
	}
	value := map[string]any{}
	if len(types) == 1 {
		value["type"] = types[0]
	} else {
		l := make([]any, len(types))
		for i, t := range types {
			l[i] = t
		}
		value["type"] = l
	}
	for _, k := range []string{"format", "enum"} {
		if v, ok := p[k]; ok {
			value[k] = v
		}
	}
	return value, ops
}
