// Package qs parses URL query strings the way the npm qs library (v6.17, as
// Express's "extended" query parser and Koa's koa-qs call it) does, because that is
// what the Feathers clients encode for: nested brackets (a[b][c]=1), arrays
// (a[]=x, a[0]=x), depth and size limits, and string leaves only.
//
//	Parse("$limit=10&$sort[createdAt]=-1&userId[$in][0]=a&userId[$in][1]=b")
//	// map[$limit:10 $sort:map[createdAt:-1] userId:map[$in:[a b]]]
//
// Type conversion is left to the caller: every leaf is a string.
package qs

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Options bound the parser the way qs's options do. Zero fields take qs's
// defaults.
type Options struct {
	// Depth is the bracket nesting kept as structure (default 5); deeper parts
	// stay one literal key like "[g]".
	Depth int
	// ArrayLimit is the largest index that still builds an array (default 20):
	// a[100]=x is an object {"100": "x"}, so a client cannot make the server
	// allocate a huge array.
	ArrayLimit int
	// ParameterLimit is the number of pairs read (default 1000); the rest are
	// dropped.
	ParameterLimit int
}

func (o Options) withDefaults() Options {
	if o.Depth <= 0 {
		o.Depth = 5
	}
	if o.ArrayLimit <= 0 {
		o.ArrayLimit = 20
	}
	if o.ParameterLimit <= 0 {
		o.ParameterLimit = 1000
	}
	return o
}

// Parse decodes raw (the part after '?') with the default options into nested
// map[string]any and []any values whose leaves are strings.
func Parse(raw string) map[string]any { return Options{}.Parse(raw) }

// Parse decodes raw with o's limits.
func (o Options) Parse(raw string) map[string]any {
	p := parser{opts: o.withDefaults()}
	out := map[string]any{}
	if raw == "" {
		return out
	}
	root := p.parse(raw)
	for _, m := range root.members {
		out[m.key] = export(m.val)
	}
	return out
}

// ChildOrder returns, in order of first appearance, the names of the direct
// bracket children of the top-level key: ChildOrder("$sort[b]=1&$sort[a]=-1",
// "$sort") is ["b", "a"]. Go maps lose key order, and for $sort the order is the
// meaning.
func ChildOrder(raw, key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range splitParts(replaceBrackets(raw), 1000) {
		k, _ := splitPair(part)
		k = decode(k)
		rest, ok := strings.CutPrefix(k, key+"[")
		if !ok {
			continue
		}
		child, _, ok := strings.Cut(rest, "]")
		if ok && child != "" && !seen[child] {
			seen[child] = true
			out = append(out, child)
		}
	}
	return out
}

// The intermediate values mirror JavaScript's: a string, a possibly sparse
// array, or an object with ordered keys. qs's merge rules depend on that shape,
// and on two markers qs keeps beside objects: "overflow" (an array that grew past
// ArrayLimit and became an object) and "conflict" (a value that was both a string
// and an object).
type (
	array struct {
		items    []any // nil entries are holes
		conflict bool
	}
	// object keeps its members in order; most objects of a query have one or two
	// members, so a slice beats a map. index is built past a few members.
	object struct {
		members  []member
		index    map[string]int
		overflow int // largest index of an overflowed array, or -1
		conflict int // largest index of a conflict pair, or -1
	}
	member struct {
		key string
		val any
	}
)

func newObject() *object { return &object{overflow: -1, conflict: -1} }

// newObject1 returns an object with one member, in one allocation.
func newObject1(k string, v any) *object {
	o := &struct {
		object
		first [1]member
	}{}
	o.first[0] = member{k, v}
	o.members = o.first[:]
	o.overflow, o.conflict = -1, -1
	return &o.object
}

const indexAbove = 8

func (o *object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].key == k {
			return i
		}
	}
	return -1
}

func (o *object) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.members[i].val = v
		return
	}
	o.members = append(o.members, member{k, v})
	if o.index != nil {
		o.index[k] = len(o.members) - 1
	} else if len(o.members) > indexAbove {
		o.index = make(map[string]int, len(o.members)*2)
		for i, m := range o.members {
			o.index[m.key] = i
		}
	}
}

func (o *object) get(k string) any {
	if i := o.find(k); i >= 0 {
		return o.members[i].val
	}
	return nil
}

func (o *object) has(k string) bool { return o.find(k) >= 0 }

func (a *array) count() int {
	n := 0
	for _, it := range a.items {
		if it != nil {
			n++
		}
	}
	return n
}

func (a *array) setAt(i int, v any) {
	for len(a.items) <= i {
		a.items = append(a.items, nil)
	}
	a.items[i] = v
}

type parser struct {
	opts Options
	segs [8]string // scratch for segments
}

func (p *parser) parse(raw string) *object {
	temp := newObject()
	for _, part := range splitParts(replaceBrackets(raw), p.opts.ParameterLimit) {
		k, v := splitPair(part)
		key := decode(k)
		val := decode(v)
		if i := temp.find(key); i >= 0 {
			temp.members[i].val = p.combine(temp.members[i].val, val)
		} else {
			temp.set(key, val)
		}
	}
	var obj any = newObject()
	for _, m := range temp.members {
		if m.key == "" {
			continue
		}
		obj = p.merge(obj, p.build(p.segments(m.key), m.val))
	}
	if o, ok := obj.(*object); ok {
		return o
	}
	return newObject()
}

// replaceBrackets undoes the percent-encoding of brackets first, as qs does, so
// that %5B and [ are the same to the key parser.
func replaceBrackets(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && s[i+1] == '5' {
			switch s[i+2] {
			case 'B', 'b':
				b.WriteByte('[')
				i += 2
				continue
			case 'D', 'd':
				b.WriteByte(']')
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitParts splits on '&', keeping at most limit parts as JavaScript's
// String.prototype.split(delimiter, limit) does.
func splitParts(s string, limit int) []string {
	parts := make([]string, 0, min(strings.Count(s, "&")+1, limit))
	for len(parts) < limit {
		part, rest, more := strings.Cut(s, "&")
		parts = append(parts, part)
		if !more {
			break
		}
		s = rest
	}
	return parts
}

// splitPair splits a part at "]=" (so a key may contain "=" inside brackets) or
// else at the first "=". A part without "=" is a key with an empty value.
func splitPair(part string) (key, val string) {
	if i := strings.Index(part, "]="); i >= 0 {
		return part[:i+1], part[i+2:]
	}
	if i := strings.IndexByte(part, '='); i >= 0 {
		return part[:i], part[i+1:]
	}
	return part, ""
}

// segments splits a key like "a[b][c]" into "a", "[b]", "[c]", keeping at most
// Depth bracket groups; the remainder becomes one literal segment.
func (p *parser) segments(key string) []string {
	segs := p.segs[:0]
	first := strings.IndexByte(key, '[')
	parent := key
	if first >= 0 {
		parent = key[:first]
	}
	if parent != "" {
		segs = append(segs, parent)
	}
	open, collected := first, 0
	for open >= 0 && collected < p.opts.Depth {
		level, closeAt := 1, -1
		for i := open + 1; i < len(key) && closeAt < 0; i++ {
			switch key[i] {
			case '[':
				level++
			case ']':
				level--
				if level == 0 {
					closeAt = i
				}
			}
		}
		if closeAt < 0 {
			return append(segs, "["+key[open:]+"]")
		}
		segs = append(segs, key[open:closeAt+1])
		collected++
		next := strings.IndexByte(key[closeAt+1:], '[')
		if next < 0 {
			open = -1
		} else {
			open = closeAt + 1 + next
		}
	}
	if open >= 0 {
		segs = append(segs, "["+key[open:]+"]")
	}
	return segs
}

// build turns the segments of one key and its value into a nested value, from
// the innermost segment out (qs's parseObject).
func (p *parser) build(chain []string, leaf any) any {
	for i := len(chain) - 1; i >= 0; i-- {
		root := chain[i]
		if root == "[]" {
			if o, ok := leaf.(*object); ok && o.overflow >= 0 {
				continue
			}
			leaf = p.combine(&array{}, leaf)
			continue
		}
		clean := root
		if len(root) >= 2 && root[0] == '[' && root[len(root)-1] == ']' {
			clean = root[1 : len(root)-1]
		}
		index, isIndex := arrayIndex(clean)
		isIndex = isIndex && root != clean
		switch {
		case isIndex && index < p.opts.ArrayLimit:
			a := &array{items: make([]any, index+1)}
			a.items[index] = leaf
			leaf = a
		case isIndex:
			o := newObject1(clean, leaf)
			o.overflow = index
			leaf = o
		case clean != "__proto__":
			leaf = newObject1(clean, leaf)
		default:
			leaf = newObject()
		}
	}
	return leaf
}

// arrayIndex reports whether s is a canonical non-negative integer (what
// String(parseInt(s)) === s accepts), within JavaScript's exact integers.
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 16 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 1<<53
}

// combine is qs's utils.combine: [].concat(a, b), which becomes an overflow
// object past ArrayLimit.
func (p *parser) combine(a, b any) any {
	if o, ok := a.(*object); ok && o.overflow >= 0 {
		idx := o.overflow
		for _, v := range flatten(b) {
			idx++
			o.set(strconv.Itoa(idx), v)
		}
		o.overflow = idx
		return o
	}
	items := append(flatten(a), flatten(b)...)
	if len(items) > p.opts.ArrayLimit {
		o := arrayToObject(&array{items: items})
		o.overflow = len(items) - 1
		return o
	}
	return &array{items: items}
}

// flatten returns the elements [].concat(v) contributes: an array's items
// (holes included), or v itself.
func flatten(v any) []any {
	if a, ok := v.(*array); ok {
		return append([]any(nil), a.items...)
	}
	return []any{v}
}

func arrayToObject(a *array) *object {
	o := newObject()
	for i, v := range a.items {
		if v != nil {
			o.set(strconv.Itoa(i), v)
		}
	}
	return o
}

// merge is qs's utils.merge with its default strictMerge: it folds source into
// target and returns the result.
func (p *parser) merge(target, source any) any {
	if s, ok := source.(string); ok || source == nil {
		if source == nil || s == "" {
			return target // qs: if (!source) return target
		}
		switch t := target.(type) {
		case *array:
			if t.count() >= p.opts.ArrayLimit {
				o := arrayToObject(&array{items: append(append([]any(nil), t.items...), s)})
				o.overflow = len(t.items)
				return o
			}
			t.items = append(t.items, s)
			return t
		case *object:
			switch {
			case t.overflow >= 0:
				t.overflow++
				t.set(strconv.Itoa(t.overflow), s)
			case t.conflict >= 0:
				t.conflict++
				t.set(strconv.Itoa(t.conflict), s)
			default:
				return p.pair(t, s)
			}
			return t
		}
		return p.pair(target, s)
	}

	if ts, ok := target.(string); ok || target == nil {
		if so, ok := source.(*object); ok && so.overflow >= 0 {
			o := newObject()
			o.set("0", ts)
			for _, m := range so.members {
				n, _ := strconv.Atoi(m.key)
				o.set(strconv.Itoa(n+1), m.val)
			}
			o.overflow = so.overflow + 1
			return o
		}
		var t any = ts
		if target == nil {
			t = nil
		}
		items := append([]any{t}, flatten(source)...)
		if len(items) > p.opts.ArrayLimit {
			o := arrayToObject(&array{items: items})
			o.overflow = len(items) - 1
			return o
		}
		return &array{items: items}
	}

	ta, targetIsArray := target.(*array)
	sa, sourceIsArray := source.(*array)
	if targetIsArray && sourceIsArray {
		for i, item := range sa.items {
			if item == nil {
				continue // forEach skips holes
			}
			if i < len(ta.items) && ta.items[i] != nil {
				if isContainer(ta.items[i]) && isContainer(item) {
					ta.items[i] = p.merge(ta.items[i], item)
				} else {
					ta.items = append(ta.items, item)
				}
			} else {
				ta.setAt(i, item)
			}
		}
		if ta.count() > p.opts.ArrayLimit {
			o := arrayToObject(ta)
			o.overflow = len(ta.items) - 1
			return o
		}
		return ta
	}

	var acc *object
	if targetIsArray {
		acc = arrayToObject(ta)
		if ta.conflict {
			acc.conflict = len(ta.items) - 1
		}
	} else {
		acc = target.(*object)
	}
	var src *object
	if sourceIsArray {
		src = arrayToObject(sa)
	} else {
		src = source.(*object)
	}
	for _, m := range src.members {
		k, v := m.key, m.val
		if i := acc.find(k); i >= 0 {
			acc.members[i].val = p.merge(acc.members[i].val, v)
		} else {
			acc.set(k, v)
		}
		if src.overflow >= 0 && acc.overflow < 0 {
			acc.overflow = max(src.overflow, maxIndex(acc))
		}
		if n, ok := arrayIndex(k); ok {
			if acc.overflow >= 0 && n > acc.overflow {
				acc.overflow = n
			}
			if acc.conflict >= 0 && n > acc.conflict {
				acc.conflict = n
			}
		}
	}
	return acc
}

// pair is qs's limitedPair under strictMerge: a value that is both an object and
// a string becomes the list [object, string].
func (p *parser) pair(a, b any) any {
	items := []any{a, b}
	if len(items) > p.opts.ArrayLimit {
		o := arrayToObject(&array{items: items})
		o.overflow = 1
		return o
	}
	return &array{items: items, conflict: true}
}

func maxIndex(o *object) int {
	mx := -1
	for _, m := range o.members {
		if n, ok := arrayIndex(m.key); ok && n > mx {
			mx = n
		}
	}
	return mx
}

func isContainer(v any) bool {
	switch v.(type) {
	case *array, *object:
		return true
	}
	return false
}

// export converts an intermediate value to map[string]any, []any and string,
// dropping array holes (qs's compact).
func export(v any) any {
	switch t := v.(type) {
	case *array:
		out := make([]any, 0, len(t.items))
		for _, it := range t.items {
			if it != nil {
				out = append(out, export(it))
			}
		}
		return out
	case *object:
		out := make(map[string]any, len(t.members))
		for _, m := range t.members {
			out[m.key] = export(m.val)
		}
		return out
	case nil:
		return ""
	}
	return v
}

// decode is qs's decoder: '+' is a space, then decodeURIComponent; text that is
// not valid percent-encoded UTF-8 is kept as it is (with the spaces).
func decode(s string) string {
	if !strings.Contains(s, "%") {
		if !strings.Contains(s, "+") {
			return s
		}
		return strings.ReplaceAll(s, "+", " ")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return strings.ReplaceAll(s, "+", " ")
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if !utf8.ValidString(out) && utf8.ValidString(s) {
		return strings.ReplaceAll(s, "+", " ")
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
