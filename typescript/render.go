package typescript

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// renderer turns one JSON Schema document into TypeScript types.
type renderer struct {
	root  any               // the document, for #/$defs references
	self  string            // the type the document declares, for "#"
	names map[string]string // $ref → declared type name
	depth int               // of $defs being inlined, against cycles
}

// declaration is the top-level declaration of the document as name.
func (r *renderer) declaration(name, doc string) string {
	var b strings.Builder
	if doc != "" {
		b.WriteString(comment(doc, ""))
	}
	if o, ok := r.root.(*object); ok && isPlainObject(o) {
		fmt.Fprintf(&b, "export interface %s %s\n", name, r.objectType(o, "", true))
		return b.String()
	}
	if members := r.unionMembers(r.root); len(members) > 1 {
		if line := union(members); len(line)+len(name)+15 > 100 || strings.Contains(line, "\n") {
			fmt.Fprintf(&b, "export type %s =\n", name)
			for _, m := range members {
				b.WriteString("  | " + strings.ReplaceAll(m, "\n", "\n  ") + "\n")
			}
			return b.String()
		}
	}
	fmt.Fprintf(&b, "export type %s = %s\n", name, r.typ(r.root, ""))
	return b.String()
}

// unionMembers renders the members of a schema that is only a union
// (anyOf or oneOf), or returns nil.
func (r *renderer) unionMembers(v any) []string {
	o, ok := v.(*object)
	if !ok || hasTypeInfo(withoutCombinators(o)) || o.has("allOf") || o.has("$ref") || o.has("enum") || o.has("const") {
		return nil
	}
	var l []any
	switch {
	case o.has("anyOf") && o.has("oneOf"):
		return nil
	case o.has("anyOf"):
		l = o.list("anyOf")
	default:
		l = o.list("oneOf")
	}
	var out []string
	for _, m := range l {
		if t := r.typ(m, ""); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// isPlainObject reports whether o is an object schema with properties and
// nothing that an interface cannot say.
func isPlainObject(o *object) bool {
	for _, k := range []string{"anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not"} {
		if o.has(k) {
			return false
		}
	}
	if !o.has("properties") {
		return false
	}
	switch t := o.get("type").(type) {
	case nil:
		return true
	case string:
		return t == "object"
	}
	return false
}

// typ renders a schema as a type expression; indent is that of the line
// it starts on.
func (r *renderer) typ(v any, indent string) string {
	switch s := v.(type) {
	case bool:
		if s {
			return "unknown"
		}
		return "never"
	case *object:
		return r.objectSchema(s, indent)
	}
	return "unknown"
}

func (r *renderer) objectSchema(s *object, indent string) string {
	if ref := s.str("$ref"); ref != "" {
		return r.ref(ref, indent)
	}
	if s.has("const") {
		return literal(s.get("const"))
	}
	if enum := s.list("enum"); len(enum) > 0 {
		parts := make([]string, len(enum))
		for i, e := range enum {
			parts[i] = literal(e)
		}
		return union(parts)
	}
	var parts []string // intersected
	base := withoutCombinators(s)
	if hasTypeInfo(base) {
		parts = append(parts, r.byType(base, indent))
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if l := s.list(k); len(l) > 0 {
			members := make([]string, len(l))
			for i, m := range l {
				members[i] = r.typ(m, indent)
			}
			parts = append(parts, union(members))
		}
	}
	for _, m := range s.list("allOf") {
		parts = append(parts, r.typ(m, indent))
	}
	switch len(parts) {
	case 0:
		return "unknown" // any JSON value
	case 1:
		return parts[0]
	}
	for i, p := range parts {
		parts[i] = paren(p)
	}
	return strings.Join(parts, " & ")
}

// withoutCombinators is s less anyOf, oneOf and allOf.
func withoutCombinators(s *object) *object {
	o := &object{m: map[string]any{}}
	for _, k := range s.keys {
		switch k {
		case "anyOf", "oneOf", "allOf":
			continue
		}
		o.keys = append(o.keys, k)
		o.m[k] = s.m[k]
	}
	return o
}

func hasTypeInfo(s *object) bool {
	for _, k := range []string{"type", "properties", "items", "additionalProperties"} {
		if s.has(k) {
			return true
		}
	}
	return false
}

// byType renders a schema by its type keyword, a list of types as their
// union.
func (r *renderer) byType(s *object, indent string) string {
	switch t := s.get("type").(type) {
	case string:
		return r.single(t, s, indent)
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			if name, ok := e.(string); ok {
				parts = append(parts, r.single(name, s, indent))
			}
		}
		if len(parts) > 0 {
			return union(parts)
		}
	}
	switch {
	case s.has("properties") || s.has("additionalProperties"):
		return r.single("object", s, indent)
	case s.has("items"):
		return r.single("array", s, indent)
	}
	return "unknown"
}

func (r *renderer) single(t string, s *object, indent string) string {
	switch t {
	case "string":
		return "string"
	case "integer", "number":
		return "number"
	case "boolean":
		return "boolean"
	case "null":
		return "null"
	case "array":
		if !s.has("items") {
			return "unknown[]"
		}
		return paren(r.typ(s.get("items"), indent)) + "[]"
	case "object":
		return r.objectType(s, indent, false)
	}
	return "unknown"
}

// objectType renders an object schema: its properties, optional unless
// required, readonly when read-only, and an index signature for the
// properties it allows besides them.
func (r *renderer) objectType(s *object, indent string, multiline bool) string {
	props := s.obj("properties")
	extra := s.get("additionalProperties")
	var index string
	switch e := extra.(type) {
	case nil:
		if props == nil || len(props.keys) == 0 {
			index = "any" // {"type": "object"}: any object
		}
	case bool:
		if e {
			index = "unknown"
			if props == nil || len(props.keys) == 0 {
				index = "any"
			}
		}
	case *object:
		index = r.typ(e, indent)
		if props != nil && len(props.keys) > 0 {
			index = "unknown" // every property's type must fit it
		}
	}
	if props == nil || len(props.keys) == 0 {
		if index == "" {
			return "{}"
		}
		return "Record<string, " + index + ">"
	}
	required := map[string]bool{}
	for _, n := range s.list("required") {
		if name, ok := n.(string); ok {
			required[name] = true
		}
	}
	inner := indent + "  "
	type member struct{ doc, text string }
	members := make([]member, 0, len(props.keys)+1)
	for _, name := range props.keys {
		p := props.m[name]
		po, _ := p.(*object)
		var m member
		if po != nil && !strings.HasPrefix(name, "$") { // not on every operator
			m.doc = propertyDoc(po)
		}
		var b strings.Builder
		if po != nil && po.get("readOnly") == true {
			b.WriteString("readonly ")
		}
		b.WriteString(propertyName(name))
		if !required[name] {
			b.WriteString("?")
		}
		b.WriteString(": ")
		b.WriteString(r.typ(p, inner))
		m.text = b.String()
		members = append(members, m)
	}
	if index != "" {
		members = append(members, member{text: "[key: string]: " + index})
	}
	if !multiline {
		oneLine := true
		length := 4
		for _, m := range members {
			length += len(m.text) + 2
			if m.doc != "" || strings.Contains(m.text, "\n") {
				oneLine = false
			}
		}
		if oneLine && length+len(indent) <= 100 {
			texts := make([]string, len(members))
			for i, m := range members {
				texts[i] = m.text
			}
			return "{ " + strings.Join(texts, "; ") + " }"
		}
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, m := range members {
		if m.doc != "" {
			b.WriteString(comment(m.doc, inner))
		}
		b.WriteString(inner + m.text + "\n")
	}
	b.WriteString(indent + "}")
	return b.String()
}

// ref renders a reference: a declared type by name, or a definition of the
// document inlined.
func (r *renderer) ref(ref, indent string) string {
	if ref == "#" && r.self != "" {
		return r.self
	}
	if name, ok := r.names[ref]; ok {
		return name
	}
	for _, section := range []string{"$defs", "definitions"} {
		if def, ok := strings.CutPrefix(ref, "#/"+section+"/"); ok && r.depth < 8 {
			root, _ := r.root.(*object)
			if d := root.obj(section); d.has(def) {
				r.depth++
				defer func() { r.depth-- }()
				return r.typ(d.get(def), indent)
			}
		}
	}
	return "unknown"
}

// propertyDoc is what a property's comment says: its description, and
// what its type does not (a format, bounds, a pattern).
func propertyDoc(p *object) string {
	var notes []string
	if d := p.str("description"); d != "" {
		notes = append(notes, d)
	}
	if f := p.str("format"); f != "" {
		notes = append(notes, "format: "+f)
	}
	if p.str("pattern") == `^[0-9a-fA-F]{24}$` {
		notes = append(notes, "an ObjectId, 24 hex digits")
	}
	return strings.Join(notes, "; ")
}

func comment(text, indent string) string {
	text = strings.ReplaceAll(text, "*/", "* /")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) == 1 {
		return indent + "/** " + lines[0] + " */\n"
	}
	var b strings.Builder
	b.WriteString(indent + "/**\n")
	for _, l := range lines {
		b.WriteString(strings.TrimRight(indent+" * "+l, " ") + "\n")
	}
	b.WriteString(indent + " */\n")
	return b.String()
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

func propertyName(name string) string {
	if identifier.MatchString(name) {
		return name
	}
	return quote(name)
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return "'" + r.Replace(s) + "'"
}

// literal is a JSON value as a TypeScript literal type.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return quote(x)
	}
	if n, ok := number(v); ok {
		return n
	}
	return "unknown"
}

// union joins types with |, each once.
func union(parts []string) string {
	var out []string
	for _, p := range parts {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, " | ")
}

// paren wraps a union or an intersection for use inside another type.
func paren(t string) string {
	depth := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '{', '(', '[', '<':
			depth++
		case '}', ')', ']', '>':
			depth--
		case '|', '&':
			if depth == 0 {
				return "(" + t + ")"
			}
		case '\'':
			for i++; i < len(t) && t[i] != '\''; i++ {
				if t[i] == '\\' {
					i++
				}
			}
		}
	}
	return t
}
