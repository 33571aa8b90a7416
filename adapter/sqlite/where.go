package sqlite

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// A compiler translates a sanitised query (adapter.Query) into SQL with the
// memory adapter's (MongoDB's) meaning:
//
//   - {f: v} matches an equal value, or a list holding one; null matches a
//     missing field too. Values of different kinds never compare: 5 is not
//     "5", and {f: {$lt: 6}} skips strings.
//   - $ne and $nin match what equality and $in do not, missing fields too.
//   - $lt, $lte, $gt and $gte compare numbers, strings, booleans and dates
//     with values of their own kind; a list matches when an element does.
//   - $or and $and combine queries; a field may hold an $or of conditions.
//   - "a.b" reads into nested objects (not through lists, see below).
//   - $eq, $exists and $regex (with $options) where Options.Operators allows.
//
// Every condition tests the kind of a value before comparing it, so that SQL's
// own cross-type comparisons (every number below every text) never leak
// through. On an indexed field both the kind and the value are columns of one
// index, so "kind = 1 AND value < ?" is a range of that index.
//
// A condition that SQL evaluates to NULL (a missing field) is false; AND and
// OR keep it so, and every NOT is written NOT IFNULL(x, 0), so that negations
// match missing fields as they must.
//
// Unlike the memory adapter, a dot path does not reach through lists into the
// objects they hold ("comments.author"), and a number in a path is an object
// key, not a list index.
type compiler struct {
	sc    *schema
	id    string
	lists map[string]bool // indexed fields that hold a list in this snapshot
	args  []any
}

func (c *compiler) bind(v any) string {
	c.args = append(c.args, v)
	return "?"
}

func and(parts []string) string {
	switch len(parts) {
	case 0:
		return "1"
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

func or(parts []string) string {
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "0" })
	switch len(parts) {
	case 0:
		return "0"
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

func not(p string) string { return "NOT IFNULL(" + p + ", 0)" }

// where is the condition of a query's Where.
func (c *compiler) where(w map[string]any) (string, error) {
	parts := make([]string, 0, len(w))
	for _, k := range slices.Sorted(maps.Keys(w)) {
		var p string
		var err error
		switch k {
		case "$or", "$and":
			p, err = c.queries(k, w[k])
		default:
			p, err = c.field(k, w[k])
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	return and(parts), nil
}

func (c *compiler) queries(op string, v any) (string, error) {
	list, _ := v.([]any)
	parts := make([]string, 0, len(list))
	for _, e := range list {
		q, ok := e.(map[string]any)
		if !ok {
			return "", pinion.BadRequest("Invalid query parameter %s: expected a list of queries", op)
		}
		p, err := c.where(q)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	if op == "$or" {
		return or(parts), nil
	}
	return and(parts), nil
}

// target is the field a condition is on.
type target struct {
	field string
	path  string  // SQL literal of its JSON path
	col   *column // its columns, when indexed
	id    bool    // the id field, whose key is the id column
	lists bool    // whether it may hold lists: the list branch is needed
}

// target is the field of a condition. Options.Parse made every key of a
// query's Where canonical; ParsePath takes its Path again, and refuses a key
// that would not be one (a query built by hand), for nothing but a Path
// goes into SQL.
func (c *compiler) target(field string) (*target, error) {
	p, err := adapter.ParsePath(field)
	if err != nil {
		return nil, err
	}
	t := &target{field: field, path: jsonPath(p), col: c.sc.byName[field], id: field == c.id, lists: true}
	if t.col != nil {
		t.lists = c.lists[field]
	}
	return t, nil
}

func (c *compiler) field(field string, cond any) (string, error) {
	t, err := c.target(field)
	if err != nil {
		return "", err
	}
	return c.cond(t, cond)
}

// cond is the condition on one field: a value to equal, or operators.
func (c *compiler) cond(t *target, cond any) (string, error) {
	ops, ok := cond.(map[string]any)
	if !ok || !hasOperator(ops) {
		return c.eq(t, cond), nil
	}
	parts := make([]string, 0, len(ops))
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		if op == "$options" {
			continue // read by $regex
		}
		p, err := c.op(t, op, ops[op], ops)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	return and(parts), nil
}

func hasOperator(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

var comparisons = map[string]string{"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}

func (c *compiler) op(t *target, op string, arg any, ops map[string]any) (string, error) {
	switch op {
	case "$eq":
		return c.eq(t, arg), nil
	case "$ne":
		return not(c.eq(t, arg)), nil
	case "$in", "$nin":
		list, _ := arg.([]any)
		p := c.in(t, list)
		if op == "$nin" {
			return not(p), nil
		}
		return p, nil
	case "$lt", "$lte", "$gt", "$gte":
		return c.compare(t, comparisons[op], arg), nil
	case "$or":
		list, _ := arg.([]any)
		parts := make([]string, 0, len(list))
		for _, e := range list {
			p, err := c.cond(t, e)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return or(parts), nil
	case "$exists":
		if truthy(arg) {
			return "json_type(data, " + t.path + ") IS NOT NULL", nil
		}
		return "json_type(data, " + t.path + ") IS NULL", nil
	case "$regex":
		pattern, err := regexPattern(arg, ops["$options"])
		if err != nil {
			return "", err
		}
		return c.withLists(t, func(s subject) string {
			return "(" + s.kind(kindString) + " AND " + regexpFunc + "(" + c.bind(pattern) + ", " + s.value() + "))"
		}), nil
	}
	if !strings.HasPrefix(op, "$") {
		return "", pinion.BadRequest("Invalid query: '%s' next to operators", op)
	}
	return "", pinion.BadRequest("The sqlite adapter does not support %s", op)
}

// truthy reads an $exists argument, which REST sends as text.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x != "" && x != "false" && x != "0"
	case nil:
		return false
	}
	n, ok := adapter.Float64(v)
	return !ok || n != 0
}

// normalized reads a query value as records hold it; values that records
// cannot hold match nothing (ok false).
func normalized(v any) (any, bool) {
	n, err := normalize(v, 0)
	return n, err == nil
}

// eq is MongoDB's equality: the field equals v, or is a list holding v.
func (c *compiler) eq(t *target, v any) string {
	if t.id {
		return c.idIn([]any{v})
	}
	n, ok := normalized(v)
	if !ok {
		return "0"
	}
	return c.withLists(t, func(s subject) string { return c.equal(s, n) })
}

// in is $in: the field equals one of the values, or is a list holding one.
func (c *compiler) in(t *target, list []any) string {
	if t.id {
		return c.idIn(list)
	}
	values := make([]any, 0, len(list))
	for _, v := range list {
		if n, ok := normalized(v); ok {
			values = append(values, n)
		}
	}
	return c.withLists(t, func(s subject) string { return c.oneOf(s, values) })
}

// idIn matches records whose id is one of ids, by the id column.
func (c *compiler) idIn(ids []any) string {
	var keys []string
	for _, id := range ids {
		if k, err := key(id); err == nil {
			keys = append(keys, c.bind(k))
		}
	}
	switch len(keys) {
	case 0:
		return "0"
	case 1:
		return "id = " + keys[0]
	}
	return "id IN (" + strings.Join(keys, ", ") + ")"
}

// compare is $lt, $lte, $gt or $gte with op the SQL operator. Only numbers,
// strings, booleans and dates compare.
func (c *compiler) compare(t *target, op string, arg any) string {
	n, ok := normalized(arg)
	if !ok {
		return "0"
	}
	switch k := kindOf(n); k {
	case kindNumber, kindString, kindBool, kindDate:
		return c.withLists(t, func(s subject) string {
			return "(" + s.kind(k) + " AND " + s.value() + " " + op + " " + c.bind(sqlValue(n)) + ")"
		})
	}
	return "0"
}

// withLists is test on the field, or on an element of it when it is a list.
// Tests of a scalar kind fail on the list itself, so for comparisons only the
// elements count, as in MongoDB.
func (c *compiler) withLists(t *target, test func(subject) string) string {
	return or([]string{test(fieldSubject{t}), c.listBranch(t, test)})
}

// listBranch is the SQL of "the field is a list with an element passing
// test", or "0" when the field holds no lists.
func (c *compiler) listBranch(t *target, test func(subject) string) string {
	if !t.lists {
		return "0"
	}
	elem := test(elementSubject{})
	if elem == "0" {
		return "0"
	}
	return "(" + fieldSubject{t}.kind(kindList) + " AND EXISTS (SELECT 1 FROM json_each(data, " + t.path + ") AS e WHERE " + elem + "))"
}

// isNull is the test that a subject is null or missing. On an indexed field
// it also names the value column, which is NULL for every such record: both
// columns fixed, an index on {field, other} reads the records in the order of
// other, so "no room, newest first" needs no sort.
func isNull(s subject) string {
	if f, ok := s.(fieldSubject); ok && f.t.col != nil {
		return "(" + f.kind(kindNull) + " AND " + f.t.col.value + " IS NULL)"
	}
	return s.kind(kindNull)
}

// equal is the test that a subject equals the normalised value v.
func (c *compiler) equal(s subject, v any) string {
	k := kindOf(v)
	if k == kindNull {
		return isNull(s)
	}
	if f, ok := s.(fieldSubject); ok && f.t.col == nil {
		// One JSON lookup instead of two: the JSON text of the field, as
		// SQLite renders what the adapter wrote, is the value's own text
		// exactly when kind and value are equal.
		return "(data -> " + f.t.path + ") = " + c.bind(string(encode(nil, v)))
	}
	return "(" + s.kind(k) + " AND " + s.value() + " = " + c.bind(sqlValue(v)) + ")"
}

// oneOf is the test that a subject equals one of values: one IN list per kind,
// so that an index answers each.
func (c *compiler) oneOf(s subject, values []any) string {
	byKind := map[int][]any{}
	for _, v := range values {
		k := kindOf(v)
		byKind[k] = append(byKind[k], v)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		vs := byKind[k]
		if k == kindNull {
			parts = append(parts, isNull(s))
			continue
		}
		if len(vs) == 1 {
			parts = append(parts, c.equal(s, vs[0]))
			continue
		}
		if f, ok := s.(fieldSubject); ok && f.t.col == nil {
			marks := make([]string, len(vs))
			for i, v := range vs {
				marks[i] = c.bind(string(encode(nil, v)))
			}
			parts = append(parts, "(data -> "+f.t.path+") IN ("+strings.Join(marks, ", ")+")")
			continue
		}
		marks := make([]string, len(vs))
		for i, v := range vs {
			marks[i] = c.bind(sqlValue(v))
		}
		parts = append(parts, "("+s.kind(k)+" AND "+s.value()+" IN ("+strings.Join(marks, ", ")+"))")
	}
	return or(parts)
}

// A subject is where a test reads a value: a field of the record or an
// element of a list field.
type subject interface {
	// kind is the SQL test that the value is of the kind.
	kind(k int) string
	// value is the value as SQL compares it (see sqlValue), for the kinds
	// other than null.
	value() string
}

// fieldSubject is a field, through its columns when it has them.
type fieldSubject struct{ t *target }

func (f fieldSubject) kind(k int) string {
	if c := f.t.col; c != nil {
		return c.kind + " = " + strconv.Itoa(k)
	}
	p := f.t.path
	typ := "json_type(data, " + p + ")"
	switch k {
	case kindNull:
		return "IFNULL(" + typ + ", 'null') = 'null'"
	case kindNumber:
		return typ + " IN ('integer', 'real')"
	case kindString:
		return typ + " = 'text'"
	case kindBool:
		return typ + " IN ('true', 'false')"
	case kindDate:
		return "json_type(data, " + subPath(p, "$date") + ") = 'text'"
	case kindList:
		return typ + " = 'array'"
	case kindBytes:
		return "json_type(data, " + subPath(p, "$binary") + ") = 'text'"
	}
	return "(" + typ + " = 'object' AND json_type(data, " + subPath(p, "$date") + ") IS NULL AND json_type(data, " + subPath(p, "$binary") + ") IS NULL)"
}

func (f fieldSubject) value() string {
	if c := f.t.col; c != nil {
		return c.value
	}
	return "(data ->> " + f.t.path + ")"
}

// elementSubject is an element of a list field: a row "e" of json_each.
type elementSubject struct{}

func (elementSubject) kind(k int) string {
	// json_type of an element's value is only asked of objects (CASE makes
	// sure): the value of a text element is not JSON.
	member := func(key string) string {
		return "(CASE WHEN e.type = 'object' THEN json_type(e.value, '$.\"" + key + "\"') END)"
	}
	switch k {
	case kindNull:
		return "e.type = 'null'"
	case kindNumber:
		return "e.type IN ('integer', 'real')"
	case kindString:
		return "e.type = 'text'"
	case kindBool:
		return "e.type IN ('true', 'false')"
	case kindDate:
		return member("$date") + " = 'text'"
	case kindList:
		return "e.type = 'array'"
	case kindBytes:
		return member("$binary") + " = 'text'"
	}
	return "(e.type = 'object' AND " + member("$date") + " IS NULL AND " + member("$binary") + " IS NULL)"
}

func (elementSubject) value() string { return "e.value" }

// kindSQL is the kind of a field read from the JSON, for sorting by a field
// without columns: the same number as its kind column would hold.
func kindSQL(path string) string {
	return "(CASE json_type(data, " + path + ")" +
		" WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2" +
		" WHEN 'true' THEN 3 WHEN 'false' THEN 3 WHEN 'array' THEN 5" +
		" WHEN 'object' THEN (CASE WHEN json_type(data, " + subPath(path, "$date") + ") IS NOT NULL THEN 4" +
		" WHEN json_type(data, " + subPath(path, "$binary") + ") IS NOT NULL THEN 7 ELSE 6 END)" +
		" ELSE 0 END)"
}

// orderBy is the ORDER BY of $sort: by kind, then value, for each key in
// order. Records equal on every key keep their insertion order, reversed when
// the last key is descending, so that an index read backwards gives the order
// without sorting. Without $sort the order is insertion order.
func (c *compiler) orderBy(sort []adapter.SortField) (string, error) {
	if len(sort) == 0 {
		return "seq", nil
	}
	parts := make([]string, 0, 2*len(sort)+1)
	dir := ""
	for _, f := range sort {
		dir = " ASC"
		if f.Order < 0 {
			dir = " DESC"
		}
		if col := c.sc.byName[f.Field.String()]; col != nil {
			parts = append(parts, col.kind+dir, col.value+dir)
			continue
		}
		path := jsonPath(f.Field)
		parts = append(parts, kindSQL(path)+dir, "(data ->> "+path+")"+dir)
	}
	parts = append(parts, "seq"+dir)
	return strings.Join(parts, ", "), nil
}

// indexedFields lists the indexed fields that the conditions of w name, for
// the probe that tells which of them hold lists.
func (sc *schema) indexedFields(w map[string]any, id string, out map[string]bool) {
	for k, v := range w {
		switch k {
		case "$or", "$and":
			list, _ := v.([]any)
			for _, e := range list {
				if q, ok := e.(map[string]any); ok {
					sc.indexedFields(q, id, out)
				}
			}
		default:
			if sc.byName[k] != nil && k != id {
				out[k] = true
			}
		}
	}
}
