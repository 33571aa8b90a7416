// Package qs parses URL query strings the way the npm qs library (v6.17.1) does
// when Express's "extended" query parser calls it as
// qs.parse(str, {allowPrototypes: true}). Feathers clients encode queries for that
// parser, so a Go server has to read them the same way: brackets nest
// (a[b][c]=1), indices and empty brackets make arrays (a[0]=x, a[]=x), repeated
// keys collect into arrays, and depth, array and parameter limits keep a hostile
// query small.
//
//	Parse("$limit=10&$sort[createdAt]=-1&userId[$in][0]=a&userId[$in][1]=b")
//	// map[$limit:10 $sort:map[createdAt:-1] userId:map[$in:[a b]]]
//
// Every leaf is a string; converting types is left to the caller, as in Feathers.
//
// Parse reproduces qs's results for all input, including the odd cases that
// follow from how qs merges values: a run of indices (a[0]=x … a[24]=x) becomes
// an object with the keys "0" to "24" once it passes ArrayLimit, and a key given
// both as a value and as a parent (a=1&a[b]=2) becomes the list ["1", {"b": "2"}].
// The input is treated as bytes: percent-escapes must decode to valid UTF-8 (or
// the text is kept as it is, as qs keeps it when decodeURIComponent fails), and
// bytes that are not escaped pass through unchanged.
package qs

import (
	"strings"
	"sync"
)

// Options bound the parser the way qs's options do. Zero fields take qs's
// defaults. A negative Depth or ArrayLimit stands for qs's 0 (keys are not split
// at brackets; indices never build an array), and a negative ParameterLimit
// means no limit.
type Options struct {
	Depth          int // bracket nesting kept as structure (default 5); deeper parts stay a literal key like "[g]"
	ArrayLimit     int // largest index that still builds an array (default 20)
	ParameterLimit int // pairs read (default 1000); the rest are dropped
}

// Parse decodes raw (the part after '?', without it) into nested map[string]any
// / []any values whose leaves are all strings. It uses the default Options.
func Parse(raw string) map[string]any { return Options{}.Parse(raw) }

// Parse decodes raw (the part after '?', without it) into nested map[string]any
// / []any values whose leaves are all strings.
func (o Options) Parse(raw string) map[string]any {
	if raw == "" {
		return map[string]any{}
	}
	p := getParser(o)
	defer putParser(p)
	return p.exportObject(p.parse(raw))
}

// ChildOrder returns, in order of first appearance, the names of the direct
// bracket children of the top-level key (e.g. ChildOrder("$sort[b]=1&$sort[a]=-1",
// "$sort") = ["b","a"]). Go maps lose key order, and for `$sort` the order is the
// meaning.
//
// The names are the keys of the map Parse(raw)[key], in the order a Feathers
// server on Node.js enumerates that object: first appearance, except that names
// which are array indices ("0", "25") come first, in numeric order. ChildOrder
// returns nil if Parse(raw)[key] is not a map.
func ChildOrder(raw, key string) []string {
	if raw == "" {
		return nil
	}
	p := getParser(Options{})
	defer putParser(p)
	root := p.parse(raw)
	e := p.find(root, key)
	if e < 0 {
		return nil
	}
	obj := p.ents[e].val
	if p.vals[obj].kind != kindObject {
		return nil
	}
	names := make([]string, 0, p.vals[obj].count)
	start := p.keysInOrder(obj)
	for _, e := range p.order[start:] {
		names = append(names, p.ents[e].key)
	}
	p.order = p.order[:start]
	return names
}

var parsers = sync.Pool{New: func() any { return new(parser) }}

func getParser(o Options) *parser {
	p := parsers.Get().(*parser)
	p.depth, p.arrayLimit, p.paramLimit = 5, 20, 1000
	switch {
	case o.Depth < 0:
		p.depth = 0
	case o.Depth > 0:
		p.depth = o.Depth
	}
	switch {
	case o.ArrayLimit < 0:
		p.arrayLimit = 0
	case o.ArrayLimit > 0:
		p.arrayLimit = o.ArrayLimit
	}
	switch {
	case o.ParameterLimit < 0:
		p.paramLimit = -1
	case o.ParameterLimit > 0:
		p.paramLimit = o.ParameterLimit
	}
	return p
}

// putParser keeps a parser's scratch space for the next call, unless an unusual
// query made it large.
func putParser(p *parser) {
	const keep = 1 << 12
	if cap(p.vals) > keep || cap(p.ents) > keep || len(p.index) > keep {
		return
	}
	clear(p.vals)
	clear(p.ents)
	clear(p.segs)
	clear(p.index)
	p.vals, p.ents, p.segs, p.order = p.vals[:0], p.ents[:0], p.segs[:0], p.order[:0]
	p.out = strings.Builder{}
	parsers.Put(p)
}
