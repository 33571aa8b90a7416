package pinion

import (
	"iter"
	"strings"
)

// FieldPath is a field name in its one canonical form: segments of ASCII
// letters, digits, '_' and '-' (not first), joined by '.', as in "email" or
// "profile.first-name". A segment of digits only is a list index to
// MongoDB and the memory adapter, and the protected-field check reads it so. It is made only by ParseFieldPath, so a FieldPath
// in hand has passed the grammar.
//
// The grammar is strict on purpose. Databases read field names with their
// own syntax: SQLite decodes \u escapes in JSON paths, MongoDB treats '$'
// and '.' specially, and Unicode has several spellings of what looks like
// one name (case, width and composition variants). A name that could mean
// one thing to a check and another to a store would let a client query a
// field the check refused (issue #17: "pass\u0077ord" read the password
// hash). So a client's field name is either in this form, which every
// adapter reads the same way, or refused with 400; it is never escaped.
// Unicode letters are refused too: field names are code, not content.
type FieldPath struct{ s string }

// Bounds of a field path: longer names are not field names but payloads.
const (
	maxFieldPathLen      = 256
	maxFieldPathSegments = 16
)

// ParseFieldPath returns the canonical path of name, or a 400 BadRequest
// naming the field and saying what is wrong with it.
func ParseFieldPath(name string) (FieldPath, error) {
	if reason := fieldPathProblem(name); reason != "" {
		return FieldPath{}, invalidFieldPath(name, reason)
	}
	return FieldPath{s: name}, nil
}

func invalidFieldPath(name, reason string) *Error {
	return BadRequest("Invalid query: %q is not a field name (%s)", name, reason).
		WithData(map[string]any{"field": name})
}

// fieldPathProblem says why name is not a field path, or "" when it is.
func fieldPathProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > maxFieldPathLen:
		return "it is longer than 256 bytes"
	}
	segments, start := 1, 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' && i == start:
			// A store would read "-0" as the list index 0 (Go's Atoi
			// does), which the protected-field check would not.
			return "a segment starts with '-'"
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		case c == '.':
			if i == start {
				return "it has an empty segment"
			}
			segments++
			start = i + 1
		case c == '$' && i == start:
			return "a segment starts with $, which is for operators"
		default:
			return "a field name holds only letters a-z and A-Z, digits, '_' and '-', in segments joined by '.'"
		}
	}
	switch {
	case start == len(name):
		return "it has an empty segment"
	case segments > maxFieldPathSegments:
		return "it has more than 16 segments"
	}
	return ""
}

// String returns the path as written: "a.b".
func (p FieldPath) String() string { return p.s }

// IsZero reports whether p is the zero FieldPath, which names no field.
func (p FieldPath) IsZero() bool { return p.s == "" }

// Segments yields the segments of p in order: "a", "b" for "a.b".
func (p FieldPath) Segments() iter.Seq[string] { return strings.SplitSeq(p.s, ".") }

// Child returns the path of the field name inside p (name itself when p is
// zero). Name must be one segment or a path: it is parsed like any name.
func (p FieldPath) Child(name string) (FieldPath, error) {
	c, err := ParseFieldPath(name)
	if err != nil || p.s == "" {
		return c, err
	}
	if len(p.s)+1+len(c.s) > maxFieldPathLen {
		return FieldPath{}, invalidFieldPath(p.s+"."+c.s, "it is longer than 256 bytes")
	}
	return FieldPath{s: p.s + "." + c.s}, nil
}

// Within reports whether p is q or a field inside q: "a.b" is within "a".
func (p FieldPath) Within(q FieldPath) bool {
	return p.s == q.s || (len(p.s) > len(q.s) && p.s[len(q.s)] == '.' && p.s[:len(q.s)] == q.s)
}

// Overlaps reports whether p and q name the same data, in whole or in part:
// one is within the other.
func (p FieldPath) Overlaps(q FieldPath) bool { return p.Within(q) || q.Within(p) }

// withoutIndices returns p without its segments of digits, which some
// stores read as list indices: "a.0.b" is "a.b". It returns p itself when
// it has none, and the zero path when all are.
func (p FieldPath) withoutIndices() FieldPath {
	isIndex := func(seg string) bool { return strings.Trim(seg, "0123456789") == "" }
	has := false
	for seg := range p.Segments() {
		if isIndex(seg) {
			has = true
			break
		}
	}
	if !has {
		return p
	}
	var b strings.Builder
	for seg := range p.Segments() {
		if isIndex(seg) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return FieldPath{s: b.String()}
}
