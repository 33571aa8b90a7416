package qs

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// The parser builds JavaScript-shaped values first, because qs's results depend
// on that shape: arrays may have holes, object keys that are array indices
// enumerate before the others, and qs marks some objects as an "overflow" (an
// array that grew past the limit) or a "conflict" (a key that was both a value and
// a parent), each with the largest index used so far. The values live in two
// slices that a sync.Pool keeps between requests, so building them costs no
// allocations; only the exported maps, slices and strings are new.

type kind uint8

const (
	kindString kind = iota
	kindArray
	kindObject
)

// A value is a string, an array or an object. The entries of an array or object
// form a list in parser.ents: ascending indices for an array, insertion order for
// an object.
type value struct {
	str        string
	head, tail int32 // first and last entry, or -1
	count      int32 // entries
	length     int   // an array's JavaScript length: its last index + 1
	max        float64
	conflict   float64
	lastIndex  int64 // the largest array-index key of an object, or -1
	kind       kind
	overflow   bool // an object qs marked as overflow; max is its largest index
	conflicted bool // an array or object qs marked as conflict; conflict is its largest index
	indexed    bool // the object's keys are in parser.index
	named      bool // the object has a key that is not an array index
	unordered  bool // insertion order is not JavaScript's enumeration order
}

type entry struct {
	key  string // objects
	idx  int64  // arrays: the index; objects: the key as an array index, or -1
	val  int32
	next int32
}

type indexKey struct {
	obj int32
	key string
}

// Objects with more keys than this are looked up through parser.index.
const indexAbove = 8

type segment struct {
	name      string
	bracketed bool // the segment was written as "[name]"
}

type parser struct {
	depth, arrayLimit, paramLimit int

	vals  []value
	ents  []entry
	index map[indexKey]int32
	segs  []segment
	order []int32 // scratch for keysInOrder

	// out holds the decoded keys and values. It is sized once for the whole
	// query, and the strings handed out are slices of it.
	out    strings.Builder
	budget int
}

func (p *parser) newString(s string) int32 {
	p.vals = append(p.vals, value{kind: kindString, str: s, head: -1, tail: -1})
	return int32(len(p.vals) - 1)
}

func (p *parser) newArray() int32 {
	p.vals = append(p.vals, value{kind: kindArray, head: -1, tail: -1})
	return int32(len(p.vals) - 1)
}

func (p *parser) newObject() int32 {
	p.vals = append(p.vals, value{kind: kindObject, head: -1, tail: -1, lastIndex: -1})
	return int32(len(p.vals) - 1)
}

func (p *parser) isContainer(v int32) bool { return p.vals[v].kind != kindString }

func (p *parser) addEntry(c int32, e entry) int32 {
	e.next = -1
	p.ents = append(p.ents, e)
	n := int32(len(p.ents) - 1)
	v := &p.vals[c]
	if v.tail < 0 {
		v.head = n
	} else {
		p.ents[v.tail].next = n
	}
	v.tail = n
	v.count++
	return n
}

// find returns the entry of object o with the key, or -1.
func (p *parser) find(o int32, key string) int32 {
	v := &p.vals[o]
	if v.indexed {
		if e, ok := p.index[indexKey{o, key}]; ok {
			return e
		}
		return -1
	}
	for e := v.head; e >= 0; e = p.ents[e].next {
		if p.ents[e].key == key {
			return e
		}
	}
	return -1
}

// set is obj[key] = val.
func (p *parser) set(o int32, key string, val int32) {
	if e := p.find(o, key); e >= 0 {
		p.ents[e].val = val
		return
	}
	p.add(o, key, val)
}

// add adds a key that o does not have.
func (p *parser) add(o int32, key string, val int32) {
	idx := int64(-1)
	if n, ok := arrayIndexKey(key); ok {
		idx = n
	}
	v := &p.vals[o]
	if idx >= 0 {
		if v.named || idx < v.lastIndex {
			v.unordered = true
		}
		v.lastIndex = max(v.lastIndex, idx)
	} else {
		v.named = true
	}
	e := p.addEntry(o, entry{key: key, idx: idx, val: val})
	v = &p.vals[o]
	switch {
	case v.indexed:
		p.index[indexKey{o, key}] = e
	case v.count > indexAbove:
		if p.index == nil {
			p.index = make(map[indexKey]int32)
		}
		for e := v.head; e >= 0; e = p.ents[e].next {
			p.index[indexKey{o, p.ents[e].key}] = e
		}
		v.indexed = true
	}
}

// keysInOrder appends o's entries to p.order in JavaScript's enumeration order
// (array indices ascending, then the other keys as inserted) and returns where
// they start. The caller truncates p.order back to that when done.
func (p *parser) keysInOrder(o int32) int {
	start := len(p.order)
	for e := p.vals[o].head; e >= 0; e = p.ents[e].next {
		p.order = append(p.order, e)
	}
	if p.vals[o].unordered {
		keys := p.order[start:]
		slices.SortStableFunc(keys, func(a, b int32) int {
			ia, ib := p.ents[a].idx, p.ents[b].idx
			switch {
			case ia < 0 && ib < 0:
				return 0
			case ia < 0:
				return 1
			case ib < 0:
				return -1
			}
			return int(ia - ib)
		})
	}
	return start
}

// findIndex returns the entry of array a at index i, or -1.
func (p *parser) findIndex(a int32, i int64) int32 {
	v := &p.vals[a]
	if v.tail < 0 || p.ents[v.tail].idx < i {
		return -1
	}
	for e := v.head; e >= 0 && p.ents[e].idx <= i; e = p.ents[e].next {
		if p.ents[e].idx == i {
			return e
		}
	}
	return -1
}

// setIndex is a[i] = val.
func (p *parser) setIndex(a int32, i int64, val int32) {
	v := &p.vals[a]
	if v.tail < 0 || p.ents[v.tail].idx < i {
		p.addEntry(a, entry{idx: i, val: val})
		p.vals[a].length = int(i) + 1
		return
	}
	prev := int32(-1)
	e := v.head
	for ; e >= 0 && p.ents[e].idx < i; e = p.ents[e].next {
		prev = e
	}
	if e >= 0 && p.ents[e].idx == i {
		p.ents[e].val = val
		return
	}
	p.ents = append(p.ents, entry{idx: i, val: val, next: e})
	n := int32(len(p.ents) - 1)
	v = &p.vals[a]
	if prev < 0 {
		v.head = n
	} else {
		p.ents[prev].next = n
	}
	v.count++
}

func (p *parser) push(a int32, val int32) { p.setIndex(a, int64(p.vals[a].length), val) }

// arrayToObject is qs's utils.arrayToObject: the array's elements under their
// indices, holes left out.
func (p *parser) arrayToObject(a int32) int32 {
	o := p.newObject()
	for e := p.vals[a].head; e >= 0; e = p.ents[e].next {
		p.add(o, strconv.FormatInt(p.ents[e].idx, 10), p.ents[e].val)
	}
	return o
}

func (p *parser) markOverflow(o int32, maxIndex float64) int32 {
	p.vals[o].overflow = true
	p.vals[o].max = maxIndex
	return o
}

// parse is qs's parse for a string: it reads the pairs into a temporary object
// (parseValues), then merges the value built from each key into the result.
func (p *parser) parse(raw string) int32 {
	raw = p.firstParameters(raw)
	p.budget = len(raw)
	temp := p.newObject()
	for rest, more := raw, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, "&")
		p.addPair(temp, part)
	}

	root := p.newObject()
	start := p.keysInOrder(temp)
	for i := start; i < len(p.order); i++ {
		e := p.ents[p.order[i]]
		if e.key == "" {
			continue
		}
		root = p.merge(root, p.build(e.key, e.val))
	}
	p.order = p.order[:start]
	return root
}

// firstParameters cuts raw after ParameterLimit pairs, as
// raw.split('&', parameterLimit) does.
func (p *parser) firstParameters(raw string) string {
	if p.paramLimit < 0 {
		return raw
	}
	at := 0
	for range p.paramLimit {
		i := strings.IndexByte(raw[at:], '&')
		if i < 0 {
			return raw
		}
		at += i + 1
	}
	return raw[:at-1]
}

// addPair reads one "key=value" part into temp. A key seen before collects its
// values into an array (qs's utils.combine).
func (p *parser) addPair(temp int32, part string) {
	k, v, ok := splitPair(part)
	key := p.decode(k)
	val := ""
	if ok {
		val = p.decode(v)
	}
	if e := p.find(temp, key); e >= 0 {
		combined := p.combine(p.ents[e].val, p.newString(val))
		p.ents[e].val = combined
		return
	}
	p.add(temp, key, p.newString(val))
}

// combine is qs's utils.combine(a, b) for a value a read before and a string b:
// [].concat(a, b), which becomes an overflow object past ArrayLimit.
func (p *parser) combine(a, b int32) int32 {
	switch v := &p.vals[a]; v.kind {
	case kindObject: // only an overflow object is kept in temp
		v.max++
		p.set(a, numberKey(v.max), b)
		return a
	case kindString:
		arr := p.newArray()
		p.push(arr, a)
		a = arr
	}
	p.push(a, b)
	if n := p.vals[a].length; n > p.arrayLimit {
		return p.markOverflow(p.arrayToObject(a), float64(n-1))
	}
	return a
}

// segments splits a key like "a[b][c]" into "a", "[b]", "[c]" (qs's
// splitKeyIntoSegments) and strips the brackets of each. At most Depth groups are
// split off; the rest of the key, like an unterminated group, becomes one
// segment that is a literal key.
func (p *parser) segments(key string) []segment {
	segs := p.segs[:0]
	if p.depth <= 0 {
		if len(key) >= 2 && key[0] == '[' && key[len(key)-1] == ']' {
			return append(segs, segment{key[1 : len(key)-1], true})
		}
		return append(segs, segment{key, false})
	}
	open := strings.IndexByte(key, '[')
	switch {
	case open < 0:
		return append(segs, segment{key, false})
	case open > 0:
		segs = append(segs, segment{key[:open], false})
	}
	for collected := 0; open >= 0 && collected < p.depth; collected++ {
		level, end := 1, -1
		for i := open + 1; i < len(key); i++ {
			if key[i] == '[' {
				level++
			} else if key[i] == ']' {
				if level--; level == 0 {
					end = i
					break
				}
			}
		}
		if end < 0 {
			break
		}
		segs = append(segs, segment{key[open+1 : end], true})
		open = strings.IndexByte(key[end+1:], '[')
		if open >= 0 {
			open += end + 1
		}
	}
	if open >= 0 {
		// qs keeps "[" + key[open:] + "]" and strips the brackets again.
		segs = append(segs, segment{key[open:], true})
	}
	p.segs = segs
	return segs
}

// build is qs's parseObject: it nests leaf under the key's segments, from the
// innermost out.
func (p *parser) build(key string, leaf int32) int32 {
	segs := p.segments(key)
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		if s.bracketed && s.name == "" { // "[]"
			v := &p.vals[leaf]
			if v.kind == kindObject && v.overflow {
				continue
			}
			leaf = p.wrapArray(leaf)
			continue
		}
		var obj int32
		index, ok := arrayIndex(s.name)
		switch {
		case ok && s.bracketed && index < float64(p.arrayLimit):
			obj = p.newArray()
			p.setIndex(obj, int64(index), leaf)
		case ok && s.bracketed:
			obj = p.markOverflow(p.newObject(), index)
			p.add(obj, s.name, leaf)
		case s.name == "__proto__": // qs drops the value: JavaScript would set the prototype
			obj = p.newObject()
		default:
			obj = p.newObject()
			p.add(obj, s.name, leaf)
		}
		leaf = obj
	}
	return leaf
}

// wrapArray is utils.combine([], leaf) for a "[]" segment: an array of leaf, or
// leaf itself if it is an array.
func (p *parser) wrapArray(leaf int32) int32 {
	a := leaf
	if p.vals[leaf].kind != kindArray {
		a = p.newArray()
		p.push(a, leaf)
	}
	if n := p.vals[a].length; n > p.arrayLimit {
		return p.markOverflow(p.arrayToObject(a), float64(n-1))
	}
	return a
}

// pair is qs's limitedPair: [a, b], or an overflow object if ArrayLimit is below 2.
func (p *parser) pair(a, b int32, conflict bool) int32 {
	if 2 > p.arrayLimit {
		o := p.newObject()
		p.add(o, "0", a)
		p.add(o, "1", b)
		return p.markOverflow(o, 1)
	}
	arr := p.newArray()
	p.push(arr, a)
	p.push(arr, b)
	if conflict {
		p.vals[arr].conflicted = true
		p.vals[arr].conflict = 1
	}
	return arr
}

// merge is qs's utils.merge with its defaults (strictMerge): it folds source into
// target, changing target in place where qs does, and returns the result.
func (p *parser) merge(target, source int32) int32 {
	sk, tk := p.vals[source].kind, p.vals[target].kind

	if sk == kindString {
		t := &p.vals[target]
		switch {
		case p.vals[source].str == "":
			return target
		case tk == kindArray:
			if int(t.count) >= p.arrayLimit {
				next := t.length
				o := p.arrayToObject(target)
				p.add(o, strconv.Itoa(next), source)
				return p.markOverflow(o, float64(next))
			}
			p.push(target, source)
			return target
		case tk == kindObject && t.overflow:
			t.max++
			p.set(target, numberKey(t.max), source)
			return target
		case tk == kindObject && t.conflicted:
			t.conflict++
			p.set(target, numberKey(t.conflict), source)
			return target
		}
		return p.pair(target, source, tk == kindObject)
	}

	if tk == kindString {
		if sk == kindObject && p.vals[source].overflow {
			// {0: target} and the source's indices moved up by one. (The keys of
			// an overflow object that comes from a key are all indices.)
			o := p.newObject()
			p.add(o, "0", target)
			for e := p.vals[source].head; e >= 0; e = p.ents[e].next {
				n, _ := arrayIndex(p.ents[e].key)
				p.set(o, numberKey(n+1), p.ents[e].val)
			}
			return p.markOverflow(o, p.vals[source].max+1)
		}
		// [target].concat(source)
		a := p.newArray()
		p.push(a, target)
		if sk == kindArray {
			for e := p.vals[source].head; e >= 0; e = p.ents[e].next {
				p.setIndex(a, p.ents[e].idx+1, p.ents[e].val)
			}
		} else {
			p.push(a, source)
		}
		if n := p.vals[a].length; n > p.arrayLimit {
			return p.markOverflow(p.arrayToObject(a), float64(n-1))
		}
		return a
	}

	if tk == kindArray && sk == kindArray {
		for e := p.vals[source].head; e >= 0; e = p.ents[e].next {
			i, item := p.ents[e].idx, p.ents[e].val
			te := p.findIndex(target, i)
			switch {
			case te < 0:
				p.setIndex(target, i, item)
			case p.isContainer(p.ents[te].val) && p.isContainer(item):
				merged := p.merge(p.ents[te].val, item)
				p.ents[te].val = merged
			default:
				p.push(target, item)
			}
		}
		if t := &p.vals[target]; int(t.count) > p.arrayLimit {
			n := t.length
			return p.markOverflow(p.arrayToObject(target), float64(n-1))
		}
		return target
	}

	acc := target
	if tk == kindArray {
		acc = p.arrayToObject(target)
		if t := &p.vals[target]; t.conflicted {
			p.vals[acc].conflicted = true
			p.vals[acc].conflict = float64(t.length - 1)
		}
	}
	if sk == kindArray {
		for e := p.vals[source].head; e >= 0; e = p.ents[e].next {
			p.mergeKey(acc, source, strconv.FormatInt(p.ents[e].idx, 10), p.ents[e].val)
		}
		return acc
	}
	start := p.keysInOrder(source)
	for i := start; i < len(p.order); i++ {
		e := p.order[i]
		p.mergeKey(acc, source, p.ents[e].key, p.ents[e].val)
	}
	p.order = p.order[:start]
	return acc
}

// mergeKey is one step of the reduce at the end of utils.merge.
func (p *parser) mergeKey(acc, source int32, key string, val int32) {
	if e := p.find(acc, key); e >= 0 {
		merged := p.merge(p.ents[e].val, val)
		p.ents[e].val = merged
	} else {
		p.add(acc, key, val)
	}
	a, s := &p.vals[acc], &p.vals[source]
	if s.overflow && !a.overflow {
		a.overflow = true
		a.max = p.maxNumericIndex(acc, s.max)
	}
	if !a.overflow && !a.conflicted {
		return
	}
	n, ok := arrayIndex(key)
	if !ok {
		return
	}
	if a.overflow && n > a.max {
		a.max = n
	}
	if a.conflicted && n > a.conflict {
		a.conflict = n
	}
}

// maxNumericIndex is the largest of floor and the keys of o that are numbers.
func (p *parser) maxNumericIndex(o int32, floor float64) float64 {
	for e := p.vals[o].head; e >= 0; e = p.ents[e].next {
		if n, ok := arrayIndex(p.ents[e].key); ok && n > floor {
			floor = n
		}
	}
	return floor
}

// arrayIndex reports whether s is a number as JavaScript writes one,
// String(parseInt(s, 10)) === s, and not negative: the test qs applies to
// bracketed indices and to the keys of its overflow objects.
func arrayIndex(s string) (float64, bool) {
	if s == "" || len(s) > 21 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0') // may overflow past 18 digits; unused then
	}
	if len(s) <= 15 {
		return float64(n), true
	}
	// Past 2^53 only the numbers that JavaScript prints back the same way count.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f >= 1e21 || strconv.FormatFloat(f, 'f', -1, 64) != s {
		return 0, false
	}
	return f, true
}

// arrayIndexKey reports whether key is an array index, which JavaScript
// enumerates before the other keys of an object.
func arrayIndexKey(key string) (int64, bool) {
	if key == "" || len(key) > 10 || key[0] < '0' || key[0] > '9' || (key[0] == '0' && len(key) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n < math.MaxUint32
}

// numberKey is String(n) for an index n, the key JavaScript uses for obj[n].
// Indices are below 1e21, which String writes with all their digits.
func numberKey(n float64) string {
	if n < 1<<53 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// exportObject converts o to Go values, dropping the holes of arrays as qs's
// compact does.
func (p *parser) exportObject(o int32) map[string]any {
	m := make(map[string]any, p.vals[o].count)
	for e := p.vals[o].head; e >= 0; e = p.ents[e].next {
		m[p.ents[e].key] = p.export(p.ents[e].val)
	}
	return m
}

func (p *parser) export(v int32) any {
	switch p.vals[v].kind {
	case kindArray:
		s := make([]any, 0, p.vals[v].count)
		for e := p.vals[v].head; e >= 0; e = p.ents[e].next {
			s = append(s, p.export(p.ents[e].val))
		}
		return s
	case kindObject:
		return p.exportObject(v)
	}
	return p.vals[v].str
}
