package memory

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"time"
)

// matches reports whether rec satisfies a sanitised query (adapter.Query.Where)
// with MongoDB's semantics, as the sift library Feathers uses has them.
func matches(rec map[string]any, where map[string]any) bool {
	for field, cond := range where {
		switch field {
		case "$or":
			if !anyMatches(rec, cond) {
				return false
			}
		case "$and":
			for _, sub := range list(cond) {
				if m, ok := sub.(map[string]any); ok && !matches(rec, m) {
					return false
				}
			}
		default:
			v, found := lookupPath(rec, field)
			if !matchField(v, found, cond) {
				return false
			}
		}
	}
	return true
}

func anyMatches(rec map[string]any, cond any) bool {
	for _, sub := range list(cond) {
		if m, ok := sub.(map[string]any); ok && matches(rec, m) {
			return true
		}
	}
	return false
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// lookupPath reads a field, following dots into nested objects ("address.city").
func lookupPath(rec map[string]any, path string) (any, bool) {
	if v, ok := rec[path]; ok || !strings.Contains(path, ".") {
		return v, ok
	}
	cur := any(rec)
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// matchField applies a field condition: a value to equal, or an object of
// operators.
func matchField(v any, found bool, cond any) bool {
	ops, ok := cond.(map[string]any)
	if !ok || !isOperators(ops) {
		return equalsOrContains(v, found, cond)
	}
	for op, arg := range ops {
		if !matchOp(v, found, op, arg) {
			return false
		}
	}
	return true
}

func isOperators(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

func matchOp(v any, found bool, op string, arg any) bool {
	switch op {
	case "$in":
		for _, a := range list(arg) {
			if equalsOrContains(v, found, a) {
				return true
			}
		}
		return false
	case "$nin":
		return !matchOp(v, found, "$in", arg)
	case "$ne":
		return !equalsOrContains(v, found, arg)
	case "$lt", "$lte", "$gt", "$gte":
		return compareOp(v, found, op, arg)
	case "$or":
		for _, a := range list(arg) {
			if matchField(v, found, a) {
				return true
			}
		}
		return false
	}
	// Operators reach here only when allowed in adapter.Options.Operators;
	// the memory adapter knows no others.
	return false
}

// compareOp applies $lt/$lte/$gt/$gte. As in MongoDB, values of different
// kinds never compare, and an array field matches if one element does.
func compareOp(v any, found bool, op string, arg any) bool {
	if !found {
		return false
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if compareOp(e, true, op, arg) {
				return true
			}
		}
		return false
	}
	c, ok := compareSameKind(v, arg)
	if !ok {
		return false
	}
	switch op {
	case "$lt":
		return c < 0
	case "$lte":
		return c <= 0
	case "$gt":
		return c > 0
	}
	return c >= 0
}

// equalsOrContains is MongoDB equality: the field equals the value, or the field
// is an array containing it. A nil value matches a missing field.
func equalsOrContains(v any, found bool, want any) bool {
	if !found {
		return want == nil
	}
	if equal(v, want) {
		return true
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if equal(e, want) {
				return true
			}
		}
	}
	return false
}

// equal compares JSON-like values, treating every numeric type as a number.
func equal(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equal)
	}
	return reflect.DeepEqual(a, b)
}

// number converts any Go numeric value to float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case float32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case int16:
		return float64(n), true
	case int8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint8:
		return float64(n), true
	}
	return 0, false
}

// compareSameKind orders two values of the same kind (numbers, strings, times,
// booleans); ok is false for different kinds.
func compareSameKind(a, b any) (int, bool) {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return cmp.Compare(fa, fb), ok
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case time.Time:
		y, ok := b.(time.Time)
		return x.Compare(y), ok
	case bool:
		y, ok := b.(bool)
		return cmp.Compare(boolInt(x), boolInt(y)), ok
	}
	return 0, false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// kindRank orders values of different kinds as MongoDB sorts them: missing and
// null, numbers, strings, objects, arrays, booleans, dates.
func kindRank(v any, found bool) int {
	if !found || v == nil {
		return 0
	}
	if _, ok := number(v); ok {
		return 1
	}
	switch v.(type) {
	case string:
		return 2
	case map[string]any:
		return 3
	case []any:
		return 4
	case bool:
		return 5
	case time.Time:
		return 6
	}
	return 7
}

// compareValues is a total order over field values for sorting.
func compareValues(a any, aok bool, b any, bok bool) int {
	ra, rb := kindRank(a, aok), kindRank(b, bok)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	if c, ok := compareSameKind(a, b); ok {
		return c
	}
	return 0
}
