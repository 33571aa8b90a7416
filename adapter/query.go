// Package adapter holds what database adapters share, as Feathers'
// adapter-commons does: options, query sanitising with Feathers' rules and error
// messages, pagination, and coercion of REST query strings to field types.
//
// Adapters (adapter/memory, adapter/mongodb) call Options.Parse once per call and
// work on the resulting Query.
package adapter

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
)

// Options are the settings every adapter understands.
type Options struct {
	// ID is the name of the id field: "id" by default, "_id" for MongoDB.
	ID string
	// Paginate turns pagination on for find: {Default, Max}.
	Paginate pinion.Paginate
	// Operators are query operators allowed besides $in, $nin, $lt, $lte, $gt, $gte,
	// $ne and $or, e.g. "$regex". Feathers forbids the rest because they can be
	// expensive or leak data.
	Operators []string
	// Multi lists the methods allowed to work on several records: "create" with a
	// list, "patch" and "remove" without an id. Others answer MethodNotAllowed, so
	// an accidental `DELETE /messages` cannot wipe a collection.
	Multi []pinion.Method
	// Fields describes field types, so that query values arriving as strings over
	// REST can be compared with stored numbers, booleans, dates and ObjectIds:
	// ?createdAt[$gt]=0 finds records whose numeric createdAt is above 0.
	Fields Fields
}

// FieldType is the type of a stored field, for query coercion.
type FieldType int

const (
	String FieldType = iota + 1
	Number
	Boolean
	// Date fields hold time.Time; a query may give RFC 3339 text or epoch milliseconds.
	Date
	// ObjectID fields hold MongoDB ObjectIds (24 hex digits as text).
	ObjectID
)

func (t FieldType) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Boolean:
		return "boolean"
	case Date:
		return "date"
	case ObjectID:
		return "ObjectId"
	}
	return "unknown"
}

// Fields maps field names (dot paths allowed) to their types.
type Fields map[string]FieldType

// Query is a sanitised query: the filters Feathers treats specially, and the
// conditions. Every name in it that stands for a field is canonical: the
// keys of Where other than $or and $and, and those of the sub-queries in
// them, passed ParsePath (adapters take their Path with ParsePath again,
// which cannot fail on them); Sort and Select hold Paths.
type Query struct {
	// Where holds the conditions: field values, operator objects, $or and $and.
	Where map[string]any
	Sort  []SortField
	// Limit is the number of records to return; -1 means no limit.
	Limit int
	Skip  int
	// Select lists the fields to return (the id is always returned); nil means all.
	Select []Path
	// Paginate is in effect for this call: the adapter's setting unless the call's
	// params override it.
	Paginate pinion.Paginate
}

// SortField is one key of $sort: Order is 1 (ascending) or -1 (descending).
type SortField struct {
	Field Path
	Order int
}

// Paginated reports whether find should answer a Page rather than a list.
func (q *Query) Paginated() bool { return q.Paginate.Enabled() }

var defaultOperators = []string{"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne", "$or"}

// filters are the top-level $keys Feathers accepts.
var filters = []string{"$sort", "$limit", "$skip", "$select", "$or", "$and"}

// Parse sanitises params.Query as Feathers' filterQuery does, with its exact
// BadRequest messages ("Invalid filter value $x", "Invalid query parameter $op"),
// applies pagination, and coerces values of typed fields. The query in params is
// not changed.
//
// convertID, when not nil, converts values of ObjectID-typed fields (the MongoDB
// adapter turns 24-hex strings into ObjectIds); other adapters keep the strings.
func (o *Options) Parse(params *pinion.Params, convertID func(string) (any, bool)) (*Query, error) {
	q := &Query{Limit: -1, Paginate: o.Paginate}
	if params != nil && params.Paginate != nil {
		q.Paginate = *params.Paginate
	}
	var raw map[string]any
	if params != nil {
		raw = params.Query
	}
	p := parser{opts: o, convertID: convertID}
	q.Where = make(map[string]any, len(raw))
	for key, v := range raw {
		if !strings.HasPrefix(key, "$") {
			if err := checkField(key); err != nil {
				return nil, err
			}
			cv, err := p.property(key, v)
			if err != nil {
				return nil, err
			}
			q.Where[key] = cv
			continue
		}
		var err error
		switch key {
		case "$sort":
			q.Sort, err = parseSort(v)
		case "$limit":
			q.Limit, err = parseLimit(v)
		case "$skip":
			q.Skip, err = parseSkip(v)
		case "$select":
			q.Select, err = parseSelect(v)
		case "$or", "$and":
			q.Where[key], err = p.conditions(key, v)
		default:
			return nil, pinion.BadRequest("Invalid filter value %s", key)
		}
		if err != nil {
			return nil, err
		}
	}
	q.Limit = limitFor(q.Paginate, q.Limit)
	return q, nil
}

// limit applies Feathers' getLimit: with pagination a missing or negative $limit
// becomes the default, and any limit is capped at the maximum.
func limitFor(p pinion.Paginate, limit int) int {
	if !p.Enabled() {
		return limit
	}
	if limit < 0 {
		limit = p.Default
	}
	if p.Max > 0 && limit > p.Max {
		limit = p.Max
	}
	return limit
}

type parser struct {
	opts      *Options
	convertID func(string) (any, bool)
}

func (p *parser) operatorAllowed(op string) bool {
	return slices.Contains(defaultOperators, op) || slices.Contains(p.opts.Operators, op)
}

// conditions validates the value of $or or $and: a list of sub-queries.
func (p *parser) conditions(key string, v any) (any, error) {
	list, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap {
			// qs turns $or[0][a]=1&$or[25][b]=2 into an object; take its values in
			// index order so the query still means what the client sent.
			list = indexedValues(m)
		} else {
			return nil, pinion.BadRequest("Invalid query parameter %s: expected a list of queries", key)
		}
	}
	out := make([]any, len(list))
	for i, e := range list {
		sub, ok := e.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid query parameter %s: expected a list of queries", key)
		}
		c, err := p.subquery(sub)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	if key == "$or" {
		if in, ok := sameFieldIn(out); ok {
			return []any{in}, nil
		}
	}
	return out, nil
}

// sameFieldIn rewrites an $or whose queries each test one field for
// equality with a scalar, the same field in all, as one $in: {a: {$in: [1,
// 2]}} means what [{a: 1}, {a: 2}] does, in every adapter, and costs one
// condition where the $or costs one per term (issue #17, item 7).
func sameFieldIn(list []any) (map[string]any, bool) {
	if len(list) < 2 {
		return nil, false
	}
	var field string
	values := make([]any, len(list))
	for i, e := range list {
		q := e.(map[string]any)
		if len(q) != 1 {
			return nil, false
		}
		for k, v := range q {
			if strings.HasPrefix(k, "$") || (i > 0 && k != field) {
				return nil, false
			}
			field = k
			switch v.(type) {
			case string, float64, bool, int, int64, int32, time.Time:
				values[i] = v
			default:
				return nil, false
			}
		}
	}
	return map[string]any{field: map[string]any{"$in": values}}, true
}

// subquery validates one element of $or/$and. Like Feathers it allows $or (an
// operator) but not $and or other filters inside.
func (p *parser) subquery(q map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(q))
	for k, v := range q {
		if strings.HasPrefix(k, "$") {
			if !p.operatorAllowed(k) {
				return nil, pinion.BadRequest("Invalid query parameter %s", k).WithData(q)
			}
			if k == "$or" {
				c, err := p.conditions(k, v)
				if err != nil {
					return nil, err
				}
				out[k] = c
				continue
			}
		} else if err := checkField(k); err != nil {
			return nil, err
		}
		c, err := p.property(k, v)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

// property validates and coerces the condition on one field: a plain value, or an
// object of operators.
func (p *parser) property(field string, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		// A list compared by equality may hold documents, which may not
		// hide operators or names that are not fields either.
		if err := p.checkNested(v); err != nil {
			return nil, err
		}
		return p.coerce(field, v)
	}
	out := make(map[string]any, len(m))
	isOps, isDoc := false, false
	for op, ov := range m {
		if !strings.HasPrefix(op, "$") {
			// A nested document compared by equality: it may not hide
			// operators deeper down, which Feathers refuses at any depth.
			if err := checkField(op); err != nil {
				return nil, err
			}
			if err := p.checkNested(ov); err != nil {
				return nil, err
			}
			isDoc = true
			out[op] = ov
			continue
		}
		isOps = true
		if !p.operatorAllowed(op) {
			return nil, pinion.BadRequest("Invalid query parameter %s", op).WithData(m)
		}
		switch op {
		case "$in", "$nin":
			list, err := asList(op, ov)
			if err != nil {
				return nil, err
			}
			cl := make([]any, len(list))
			for i, e := range list {
				// A value may be a document, which may not hide operators
				// ({$in: [{$where: …}]}) or names that are not fields.
				if err := p.checkNested(e); err != nil {
					return nil, err
				}
				if cl[i], err = p.coerce(field, e); err != nil {
					return nil, err
				}
			}
			out[op] = cl
		default:
			// The operand may itself hold operators (a field-level $or):
			// each must be allowed, at any depth.
			if err := p.checkNested(ov); err != nil {
				return nil, err
			}
			cv, err := p.coerce(field, ov)
			if err != nil {
				return nil, err
			}
			out[op] = cv
		}
	}
	if isOps && isDoc {
		return nil, pinion.BadRequest("Invalid query for '%s': an object mixes fields and operators", field).WithData(m)
	}
	if !isOps {
		return m, nil
	}
	return out, nil
}

// checkNested refuses $-keys that are not allowed operators anywhere inside v.
func (p *parser) checkNested(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasPrefix(k, "$") && !p.operatorAllowed(k) {
				return pinion.BadRequest("Invalid query parameter %s", k).WithData(x)
			}
			if !strings.HasPrefix(k, "$") {
				if err := checkField(k); err != nil {
					return err
				}
			}
			if err := p.checkNested(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := p.checkNested(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// asList accepts a JSON array, a single value (qs gives a string for a lone
// `a[$in]=x`), or a qs object of indices.
func asList(op string, v any) ([]any, error) {
	switch l := v.(type) {
	case []any:
		return l, nil
	case map[string]any:
		return indexedValues(l), nil
	case nil:
		return nil, pinion.BadRequest("Invalid query parameter %s: expected a list", op)
	}
	return []any{v}, nil
}

// indexedValues orders the values of a qs object like {"0": a, "21": b} by numeric key.
func indexedValues(m map[string]any) []any {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		ai, aerr := strconv.Atoi(a)
		bi, berr := strconv.Atoi(b)
		if aerr == nil && berr == nil {
			return ai - bi
		}
		return strings.Compare(a, b)
	})
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// coerce converts a string to the declared type of field. Values that are not
// strings, and fields without a declared type, pass through unchanged.
func (p *parser) coerce(field string, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	t := p.opts.Fields[field]
	if t == 0 && field == "_id" && field == p.opts.ID && p.convertID != nil {
		t = ObjectID
	}
	switch t {
	case Number:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, invalidValue(field, s, t)
		}
		return f, nil
	case Boolean:
		switch s {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, invalidValue(field, s, t)
	case Date:
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, invalidValue(field, s, t)
		}
		return tm, nil
	case ObjectID:
		if p.convertID != nil {
			if id, ok := p.convertID(s); ok {
				return id, nil
			}
		}
		if field == p.opts.ID {
			// Feathers leaves ids that are not ObjectIds alone: they simply match nothing.
			return s, nil
		}
		return nil, invalidValue(field, s, t)
	}
	return s, nil
}

func invalidValue(field, s string, t FieldType) error {
	article := "a"
	if t == ObjectID {
		article = "an"
	}
	return pinion.BadRequest("Invalid value for '%s': %q is not %s %s", field, s, article, t).
		WithData(map[string]any{"field": field, "type": t.String()})
}

func parseInt(name string, v any) (int, error) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.IsNaN(n) || math.Abs(n) > math.MaxInt32 {
			return 0, pinion.BadRequest("Invalid %s: %v is not an integer", name, v)
		}
		return int(n), nil
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case int32:
		return int(n), nil
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return 0, pinion.BadRequest("Invalid %s: %q is not an integer", name, n)
		}
		return i, nil
	}
	return 0, pinion.BadRequest("Invalid %s: expected an integer", name)
}

func parseLimit(v any) (int, error) {
	n, err := parseInt("$limit", v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return -1, nil
	}
	return n, nil
}

func parseSkip(v any) (int, error) {
	n, err := parseInt("$skip", v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, pinion.BadRequest("Invalid $skip: must not be negative")
	}
	return n, nil
}

func parseSort(v any) ([]SortField, error) {
	var kvs pinion.Ordered
	switch s := v.(type) {
	case pinion.Ordered:
		kvs = s
	case map[string]any:
		// A Go map has lost the client's key order; sort by name so the result is
		// at least deterministic. The REST transport hands over pinion.Ordered.
		for _, k := range slices.Sorted(maps.Keys(s)) {
			kvs = append(kvs, pinion.KeyValue{Key: k, Value: s[k]})
		}
	default:
		return nil, pinion.BadRequest("Invalid $sort: expected an object of field: 1 or -1")
	}
	out := make([]SortField, 0, len(kvs))
	for _, kv := range kvs {
		path, err := ParsePath(kv.Key)
		if err != nil {
			return nil, err
		}
		n, err := parseInt("$sort", kv.Value)
		if err != nil || (n != 1 && n != -1) {
			return nil, pinion.BadRequest("Invalid $sort value for '%s': expected 1 or -1", kv.Key)
		}
		out = append(out, SortField{Field: path, Order: n})
	}
	return out, nil
}

func parseSelect(v any) ([]Path, error) {
	var names []string
	switch s := v.(type) {
	case []any:
		names = make([]string, len(s))
		for i, e := range s {
			switch e.(type) {
			case string, float64, int, int64:
				names[i] = fmt.Sprint(e)
			default:
				return nil, pinion.BadRequest("Invalid $select: expected a list of field names")
			}
		}
	case []string:
		names = s
	case string:
		names = []string{s}
	case map[string]any:
		// qs object of indices ($select[0]=a&$select[25]=b).
		return parseSelect(indexedValues(s))
	default:
		return nil, pinion.BadRequest("Invalid $select: expected a list of field names")
	}
	out := make([]Path, len(names))
	for i, f := range names {
		p, err := ParsePath(f)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// Path is a field name in canonical form (see pinion.FieldPath): segments
// of ASCII letters, digits, '_' and '-' joined by '.'. Adapters build SQL,
// JSON paths and MongoDB keys only from a Path's segments.
type Path = pinion.FieldPath

// ParsePath returns the canonical path of name, or a 400 BadRequest naming
// it: a name outside the grammar is refused, never escaped.
func ParsePath(name string) (Path, error) { return pinion.ParseFieldPath(name) }

// MustPath is ParsePath for names written in Go code, which are the
// program's own: it panics when name is not a field path.
func MustPath(name string) Path {
	p, err := ParsePath(name)
	if err != nil {
		panic(err)
	}
	return p
}

// checkField refuses a name that is not a canonical field path.
func checkField(name string) error {
	_, err := ParsePath(name)
	return err
}

// Project returns rec reduced to the selected fields plus the id field, or rec
// itself when nothing was selected. Like Feathers it picks top-level keys only.
func (q *Query) Project(rec map[string]any, id string) map[string]any {
	if q.Select == nil || rec == nil {
		return rec
	}
	out := make(map[string]any, len(q.Select)+1)
	if v, ok := rec[id]; ok {
		out[id] = v
	}
	for _, f := range q.Select {
		if v, ok := rec[f.String()]; ok {
			out[f.String()] = v
		}
	}
	return out
}
