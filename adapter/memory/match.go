package memory

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// A matcher reports whether a record matches a query.
type matcher func(rec map[string]any) bool

// A test reports whether the value of one field meets a condition; found is false
// when the record does not have the field.
type test func(v any, found bool) bool

func matchAll(map[string]any) bool { return true }

// compile turns a sanitised query (adapter.Query.Where) into a matcher, once per
// call, with MongoDB's semantics, which sift (the matcher of Feathers' memory
// adapter) follows:
//
//   - {field: value} matches an equal value, or a list containing it; nil
//     matches a missing field too. Numbers are equal by value whatever their Go
//     type.
//   - $lt, $lte, $gt and $gte compare numbers, strings, booleans and times with
//     values of the same kind only: 5 is not less than "6".
//   - $ne and $nin match what {field: value} and $in do not, missing fields too.
//   - $or and $and combine queries; a field may also hold an $or of conditions.
//   - "a.b" reads into nested objects, and through lists into their elements.
//
// Besides Feathers' operators it knows $eq, $exists and $regex (with $options),
// for services that allow them in adapter.Options.Operators. Any other allowed
// operator is a BadRequest rather than a condition that silently matches nothing.
func compile(where map[string]any) (matcher, error) {
	ms := make([]matcher, 0, len(where))
	for field, cond := range where {
		switch field {
		case "$or", "$and":
			subs, err := compileQueries(field, cond)
			if err != nil {
				return nil, err
			}
			if field == "$or" {
				ms = append(ms, anyOf(subs))
			} else {
				ms = append(ms, allOf(subs))
			}
		default:
			t, err := compileCondition(cond)
			if err != nil {
				return nil, err
			}
			ms = append(ms, func(rec map[string]any) bool {
				v, found := lookup(rec, field)
				return t(v, found)
			})
		}
	}
	return allOf(ms), nil
}

func compileQueries(op string, cond any) ([]matcher, error) {
	list, _ := cond.([]any)
	subs := make([]matcher, len(list))
	for i, e := range list {
		q, ok := e.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Invalid query parameter %s: expected a list of queries", op)
		}
		var err error
		if subs[i], err = compile(q); err != nil {
			return nil, err
		}
	}
	return subs, nil
}

func allOf(ms []matcher) matcher {
	switch len(ms) {
	case 0:
		return matchAll
	case 1:
		return ms[0]
	}
	return func(rec map[string]any) bool {
		for _, m := range ms {
			if !m(rec) {
				return false
			}
		}
		return true
	}
}

func anyOf(ms []matcher) matcher {
	return func(rec map[string]any) bool {
		for _, m := range ms {
			if m(rec) {
				return true
			}
		}
		return false
	}
}

// compileCondition compiles the condition on one field: a value to equal, or an
// object of operators.
func compileCondition(cond any) (test, error) {
	ops, ok := cond.(map[string]any)
	if !ok || !hasOperator(ops) {
		return func(v any, found bool) bool { return equalsOrContains(v, found, cond) }, nil
	}
	tests := make([]test, 0, len(ops))
	for op, arg := range ops {
		if op == "$options" {
			continue // read by $regex
		}
		t, err := compileOperator(op, arg, ops)
		if err != nil {
			return nil, err
		}
		tests = append(tests, t)
	}
	return func(v any, found bool) bool {
		for _, t := range tests {
			if !t(v, found) {
				return false
			}
		}
		return true
	}, nil
}

func hasOperator(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

func compileOperator(op string, arg any, ops map[string]any) (test, error) {
	switch op {
	case "$eq":
		return func(v any, found bool) bool { return equalsOrContains(v, found, arg) }, nil
	case "$ne":
		return func(v any, found bool) bool { return !equalsOrContains(v, found, arg) }, nil
	case "$in", "$nin":
		list, _ := arg.([]any)
		in := func(v any, found bool) bool {
			return slices.ContainsFunc(list, func(a any) bool { return equalsOrContains(v, found, a) })
		}
		if op == "$nin" {
			return func(v any, found bool) bool { return !in(v, found) }, nil
		}
		return in, nil
	case "$lt", "$lte", "$gt", "$gte":
		return compileComparison(op, arg), nil
	case "$or":
		list, _ := arg.([]any)
		tests := make([]test, len(list))
		for i, c := range list {
			var err error
			if tests[i], err = compileCondition(c); err != nil {
				return nil, err
			}
		}
		return func(v any, found bool) bool {
			return slices.ContainsFunc(tests, func(t test) bool { return t(v, found) })
		}, nil
	case "$exists":
		want := truthy(arg)
		return func(_ any, found bool) bool { return found == want }, nil
	case "$regex":
		re, err := compileRegex(arg, ops["$options"])
		if err != nil {
			return nil, err
		}
		return elementwise(func(v any) bool {
			s, ok := v.(string)
			return ok && re.MatchString(s)
		}), nil
	}
	if !strings.HasPrefix(op, "$") {
		return nil, pinion.BadRequest("Invalid query: '%s' next to operators", op)
	}
	return nil, pinion.BadRequest("The memory adapter does not support %s", op)
}

// compileComparison compiles $lt, $lte, $gt or $gte. A list field matches when an
// element does, as in MongoDB.
func compileComparison(op string, arg any) test {
	var holds func(c int) bool
	switch op {
	case "$lt":
		holds = func(c int) bool { return c < 0 }
	case "$lte":
		holds = func(c int) bool { return c <= 0 }
	case "$gt":
		holds = func(c int) bool { return c > 0 }
	default:
		holds = func(c int) bool { return c >= 0 }
	}
	argKind := kind(arg)
	comparable := argKind == kindNumber || argKind == kindString || argKind == kindBool || argKind == kindDate
	return elementwise(func(v any) bool {
		return comparable && kind(v) == argKind && holds(compare(v, arg))
	})
}

// elementwise makes a test of a value test that holds for a field when the value
// holds, or, for a list, when one of its elements does.
func elementwise(holds func(v any) bool) test {
	return func(v any, found bool) bool {
		if !found {
			return false
		}
		if list, ok := v.([]any); ok {
			return slices.ContainsFunc(list, holds)
		}
		return holds(v)
	}
}

func compileRegex(pattern, options any) (*regexp.Regexp, error) {
	if re, ok := pattern.(*regexp.Regexp); ok {
		return re, nil
	}
	expr, ok := pattern.(string)
	if !ok {
		return nil, pinion.BadRequest("Invalid query parameter $regex: expected a string")
	}
	flags, _ := options.(string)
	for _, f := range flags {
		if !strings.ContainsRune("ims", f) {
			return nil, pinion.BadRequest("Invalid query parameter $options: unsupported flag %q", f)
		}
	}
	if flags != "" {
		expr = "(?" + flags + ")" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, pinion.BadRequest("Invalid query parameter $regex: %v", err)
	}
	return re, nil
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

// lookup reads the field at a dot path. Through a list it collects the field of
// every element (flattening lists), as MongoDB does, so "comments.author" finds
// the authors of all comments; a numeric part indexes a list ("tags.0").
func lookup(rec map[string]any, path string) (any, bool) {
	if !strings.Contains(path, ".") {
		v, ok := rec[path]
		return v, ok
	}
	return lookupPath(rec, path)
}

func lookupPath(v any, path string) (any, bool) {
	for {
		part, rest, more := strings.Cut(path, ".")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			// Only digits are an index, as for MongoDB: Atoi would read
			// "-0" and "+1" too, names the protected-field check does
			// not take for indices.
			if i, err := strconv.Atoi(part); err == nil && strings.Trim(part, "0123456789") == "" {
				if i < 0 || i >= len(x) {
					return nil, false
				}
				v = x[i]
				break
			}
			var out []any
			for _, e := range x {
				if ev, ok := lookupPath(e, path); ok {
					if l, isList := ev.([]any); isList {
						out = append(out, l...)
					} else {
						out = append(out, ev)
					}
				}
			}
			return out, out != nil
		default:
			return nil, false
		}
		if !more {
			return v, true
		}
		path = rest
	}
}

// equalsOrContains is MongoDB's equality: the field equals want, or is a list
// with an element equal to want. A nil want matches a missing field.
func equalsOrContains(v any, found bool, want any) bool {
	if !found {
		return want == nil
	}
	if equal(v, want) {
		return true
	}
	list, ok := v.([]any)
	return ok && slices.ContainsFunc(list, func(e any) bool { return equal(e, want) })
}

// equal compares stored values: numbers by value whatever their Go type, times
// by instant, objects and lists member by member, ids with a Hex method (ObjectIds)
// by their hex form, so that one equals the string a REST query carries.
func equal(a, b any) bool {
	if x, ok := adapter.Float64(a); ok {
		y, ok := adapter.Float64(b)
		return ok && x == y
	}
	if isHex(a) || isHex(b) {
		return a != nil && b != nil && pinion.IDString(a) == pinion.IDString(b)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && maps.EqualFunc(x, y, equal)
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equal)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return false
}

func isHex(v any) bool {
	_, ok := v.(interface{ Hex() string })
	return ok
}
