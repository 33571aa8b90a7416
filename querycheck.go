package pinion

import (
	"fmt"
	"strconv"
)

// QueryLimits bound the size of a query an external caller may send. A
// query is checked against them when it arrives, before any hook adds to
// it; one over a bound fails with 400 BadRequest stating the bound. They
// exist because a database's cost grows with a query's width (SQLite
// compiles each condition, then runs it on every candidate row) and its
// own limits give 500s: "Expression tree is too large", "too many terms in
// ORDER BY".
type QueryLimits struct {
	// Terms bounds the conditions of a query: each condition on a field,
	// each operator and each empty sub-query of $or and $and counts one, so
	// {$or: [{a: 1}, {a: 2}]} is two terms and {a: {$gt: 1, $lt: 9}}
	// three. Default 100.
	Terms int
	// Values bounds the values of one $in or $nin list. Default 1000.
	Values int
	// Sort bounds the keys of $sort. Default 16.
	Sort int
	// Select bounds the fields of $select. Default 100.
	Select int
	// Depth bounds the nesting of sub-queries ($or in $and in $or ...) and
	// of objects inside conditions. Default 8.
	Depth int
}

// DefaultQueryLimits are the limits of an app without WithQueryLimits.
var DefaultQueryLimits = QueryLimits{Terms: 100, Values: 1000, Sort: 16, Select: 100, Depth: 8}

// withDefaults fills the zero fields of l from DefaultQueryLimits.
func (l QueryLimits) withDefaults() QueryLimits {
	d := DefaultQueryLimits
	if l.Terms <= 0 {
		l.Terms = d.Terms
	}
	if l.Values <= 0 {
		l.Values = d.Values
	}
	if l.Sort <= 0 {
		l.Sort = d.Sort
	}
	if l.Select <= 0 {
		l.Select = d.Select
	}
	if l.Depth <= 0 {
		l.Depth = d.Depth
	}
	return l
}

// WithQueryLimits sets the bounds of external queries; zero fields keep
// their defaults (DefaultQueryLimits).
func WithQueryLimits(l QueryLimits) Option {
	return func(a *App) { a.queryLimits = l.withDefaults() }
}

// checkQuery checks the query of an external call as the client sent it,
// before hooks add to it (a hook that sets $and must not hide a client's
// malformed $and). Every name standing where a field goes must parse as a
// FieldPath; none may overlap a protected field; $or and $and must be
// lists of queries; the query must be within limits. The operators an
// adapter allows, and the values' types, are the adapter's to check.
func checkQuery(query map[string]any, protected []FieldPath, limits QueryLimits) error {
	if len(query) == 0 {
		return nil
	}
	c := queryChecker{protected: protected, limits: limits}
	return c.conditions(query, FieldPath{}, 0, true)
}

type queryChecker struct {
	protected []FieldPath
	limits    QueryLimits
	terms     int
}

// term counts one term, failing past the bound.
func (c *queryChecker) term() error {
	c.terms++
	if c.terms > c.limits.Terms {
		return BadRequest("Invalid query: it has more than %d terms (conditions and operators)", c.limits.Terms).
			WithData(map[string]any{"limit": c.limits.Terms})
	}
	return nil
}

// field parses name inside the document at path and checks it is not
// protected.
func (c *queryChecker) field(path FieldPath, name string) (FieldPath, error) {
	p, err := path.Child(name)
	if err != nil {
		return p, err
	}
	// MongoDB and the memory adapter read a number in a path as a list
	// index too ("auth.0.hash" is the hash of the first element of a list
	// auth), so a path is also compared without its numeric segments.
	bare := p.withoutIndices()
	for _, pr := range c.protected {
		if p.Overlaps(pr) || bare.Overlaps(pr) {
			return p, BadRequest("Invalid query: '%s' is a protected field and can not be queried, sorted or selected", pr).
				WithData(map[string]any{"field": pr.String()})
		}
	}
	return p, nil
}

// conditions checks an object of conditions about the document at path
// (zero at the top; top is true only for the query itself, where the
// filters $sort, $select, $limit and $skip stand).
func (c *queryChecker) conditions(m map[string]any, path FieldPath, depth int, top bool) error {
	if depth > c.limits.Depth {
		return BadRequest("Invalid query: it nests deeper than %d levels", c.limits.Depth).
			WithData(map[string]any{"limit": c.limits.Depth})
	}
	for k, v := range m {
		if len(k) == 0 || k[0] != '$' {
			p, err := c.field(path, k)
			if err != nil {
				return err
			}
			if err := c.term(); err != nil {
				return err
			}
			if err := c.value(v, p, depth+1); err != nil {
				return err
			}
			continue
		}
		var err error
		switch {
		case top && k == "$sort":
			err = c.sort(v)
		case top && k == "$select":
			err = c.selection(v)
		case top && (k == "$limit" || k == "$skip"):
		case k == "$or" || k == "$and":
			// Sub-queries: conditions on the record itself, wherever
			// they stand.
			err = c.queries(k, v, depth+1)
		default:
			// An operator's operand is about the field it stands in.
			if err = c.term(); err != nil {
				return err
			}
			if k == "$in" || k == "$nin" {
				err = c.list(k, v)
			}
			if err == nil {
				err = c.value(v, path, depth+1)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// value checks an operand about the document at path: an object holds
// conditions or fields of it, a list holds operands.
func (c *queryChecker) value(v any, path FieldPath, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		return c.conditions(x, path, depth, false)
	case Ordered:
		for _, kv := range x {
			if err := c.conditions(map[string]any{kv.Key: kv.Value}, path, depth, false); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := c.value(e, path, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// list bounds the values of $in and $nin.
func (c *queryChecker) list(op string, v any) error {
	n := 0
	switch l := v.(type) {
	case []any:
		n = len(l)
	case map[string]any:
		n = len(l)
	}
	if n > c.limits.Values {
		return BadRequest("Invalid query parameter %s: it has more than %d values", op, c.limits.Values).
			WithData(map[string]any{"limit": c.limits.Values})
	}
	return nil
}

// queries checks the value of $or or $and: a list of queries, or the
// object of indices qs makes of one ($or[0][a]=1).
func (c *queryChecker) queries(op string, v any, depth int) error {
	bad := BadRequest("Invalid query parameter %s: expected a list of queries", op)
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		list = make([]any, 0, len(x))
		for k, e := range x {
			if _, err := strconv.ParseUint(k, 10, 32); err != nil {
				return bad
			}
			list = append(list, e)
		}
	default:
		return bad
	}
	for _, e := range list {
		sub, ok := e.(map[string]any)
		if !ok {
			return bad
		}
		if len(sub) == 0 {
			// Costs a database as much as a condition.
			if err := c.term(); err != nil {
				return err
			}
		}
		if err := c.conditions(sub, FieldPath{}, depth, false); err != nil {
			return err
		}
	}
	return nil
}

// sort checks the keys of $sort.
func (c *queryChecker) sort(v any) error {
	n := 0
	switch s := v.(type) {
	case map[string]any:
		n = len(s)
	case Ordered:
		n = len(s)
	default:
		return BadRequest("Invalid $sort: expected an object of field: 1 or -1")
	}
	if n > c.limits.Sort {
		return BadRequest("Invalid $sort: it has more than %d keys", c.limits.Sort).
			WithData(map[string]any{"limit": c.limits.Sort})
	}
	check := func(k string) error {
		_, err := c.field(FieldPath{}, k)
		return err
	}
	switch s := v.(type) {
	case map[string]any:
		for k := range s {
			if err := check(k); err != nil {
				return err
			}
		}
	case Ordered:
		for _, kv := range s {
			if err := check(kv.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// selection checks the entries of $select: a list, one name, or a qs
// object of indices.
func (c *queryChecker) selection(v any) error {
	var names []any
	switch s := v.(type) {
	case string:
		names = []any{s}
	case []any:
		names = s
	case []string:
		for _, e := range s {
			names = append(names, e)
		}
	case map[string]any:
		for _, e := range s {
			names = append(names, e)
		}
	default:
		return BadRequest("Invalid $select: expected a list of field names")
	}
	if len(names) > c.limits.Select {
		return BadRequest("Invalid $select: it has more than %d fields", c.limits.Select).
			WithData(map[string]any{"limit": c.limits.Select})
	}
	for _, n := range names {
		var name string
		switch e := n.(type) {
		case string:
			name = e
		case float64, int, int64:
			name = fmt.Sprint(e) // as the adapters read it
		default:
			return BadRequest("Invalid $select: expected a list of field names")
		}
		if _, err := c.field(FieldPath{}, name); err != nil {
			return err
		}
	}
	return nil
}
