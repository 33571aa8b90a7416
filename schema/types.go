package schema

import (
	"encoding/json"
	"reflect"
	"sync"
	"sync/atomic"
)

// info is what decoding, validation and ToMap need to know of a type,
// worked out once per type instead of by reflection on every value.
type info struct {
	t    reflect.Type
	kind reflect.Kind
	// record: a struct decoded member by member (one that does not decode
	// itself, as times do).
	record bool
	// list: a slice decoded element by element (not bytes, which JSON
	// holds as base64, nor one that decodes itself).
	list bool
	// hasRecords: values hold records, through pointers and lists, whose
	// unknown members encoding/json would drop silently.
	hasRecords bool
	// text: a JSON string decodes into it with UnmarshalText, as
	// encoding/json does (times and ObjectIds, whose UnmarshalJSON reads
	// a string so too, and types with UnmarshalText only).
	text bool
	// self: the value encodes itself (a json.Marshaler, a time, an
	// ObjectId) and ToMap keeps it as it is.
	self bool
	// object: a struct validated member by member (kindOf "object").
	object bool

	elem atomic.Pointer[info] // of t.Elem(), on first use
	st   atomic.Pointer[Struct]
}

var infos sync.Map // reflect.Type → *info

func infoOf(t reflect.Type) *info {
	if in, ok := infos.Load(t); ok {
		return in.(*info)
	}
	p := reflect.PointerTo(t)
	decodesItself := implementsDecoding(t)
	in := &info{t: t, kind: t.Kind()}
	in.record = t.Kind() == reflect.Struct && !decodesItself
	in.list = t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 && !decodesItself
	in.text = p.Implements(textUnmarshalerType) &&
		(t == timeType || isObjectID(t) || !p.Implements(jsonUnmarshalerType))
	in.self = t.Implements(marshalerType) || t == timeType || isObjectID(t) || p.Implements(marshalerType)
	in.object = t.Kind() == reflect.Struct && kindOf(t) == "object"
	// Through pointers and lists (a few levels: a type may hold itself).
	for e, depth := t, 0; depth < 8; depth++ {
		if e.Kind() == reflect.Struct && !implementsDecoding(e) {
			in.hasRecords = true
			break
		}
		list := e.Kind() == reflect.Slice && e.Elem().Kind() != reflect.Uint8 && !implementsDecoding(e)
		if e.Kind() != reflect.Pointer && !list {
			break
		}
		e = e.Elem()
	}
	actual, _ := infos.LoadOrStore(t, in)
	return actual.(*info)
}

func implementsDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(jsonUnmarshalerType) || p.Implements(textUnmarshalerType) ||
		t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType)
}

// elemInfo is the info of the element of a pointer, list, array or map.
func (in *info) elemInfo() *info {
	if e := in.elem.Load(); e != nil {
		return e
	}
	e := infoOf(in.t.Elem())
	in.elem.Store(e)
	return e
}

// structOf is the Struct of a record type.
func (in *info) structOf() *Struct {
	if s := in.st.Load(); s != nil {
		return s
	}
	s := Of(in.t)
	in.st.Store(s)
	return s
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// problems collects the problems of a piece of data; the Error is made on
// the first one, so that data without problems costs no allocation.
type problems struct{ e *Error }

// add adds a problem at path, relative to the value at hand: its callers
// put the path to that value in front (within), so that paths are written
// only for problems.
func (p *problems) add(path, format string, args ...any) {
	if p.e == nil {
		p.e = &Error{}
	}
	p.e.add(path, format, args...)
}

// within puts "/"+name in front of the paths of the problems from the n-th
// on: those of a member or element name of the value at hand.
func (p *problems) within(n int, name string) {
	if p.e == nil {
		return
	}
	for i := n; i < len(p.e.Problems); i++ {
		p.e.Problems[i].Path = "/" + name + p.e.Problems[i].Path
	}
}

func (p *problems) n() int {
	if p.e == nil {
		return 0
	}
	return len(p.e.Problems)
}

func (p *problems) err() error {
	if p.e == nil || len(p.e.Problems) == 0 {
		return nil
	}
	return p.e
}

// Copies reports whether decoding into the struct (DecodeMap, Load) copies
// every value that could be changed afterwards, so that a record decoded
// from a map shares nothing with it: true when no field, at any depth,
// holds an interface, a map or bytes ([]byte), which are assigned as they
// are; false also for types it cannot vouch for. An adapter that reads
// records only to decode them may then hand over its stored maps without
// copying them first.
func (s *Struct) Copies() bool {
	return copies(s.Type, map[reflect.Type]bool{})
}

func copies(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true // being checked further up
	}
	seen[t] = true
	switch {
	case t == timeType || isObjectID(t):
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Pointer, reflect.Array:
		return copies(t.Elem(), seen)
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8 && !implementsDecoding(t) && copies(t.Elem(), seen)
	case reflect.Struct:
		if implementsDecoding(t) {
			return false
		}
		for _, f := range Of(t).Fields {
			if !copies(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false
}
