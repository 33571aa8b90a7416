package pinion

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// WithProtected names fields of the service's records that external callers
// must never learn, such as a password hash:
//
//   - they are removed from what external callers receive and from the
//     events channels send (HookContext.Dispatch), while internal calls
//     still see them in HookContext.Result;
//   - an external call whose query filters, sorts or selects by one of them
//     (or by a field inside or around one) fails with 400 BadRequest before
//     any hook runs, whatever the transport. Names are compared in their
//     canonical form (see FieldPath), the only form a query may use, so no
//     spelling of a protected name reaches a database. Without this a find that
//     answers only a total, such as ?password[$gte]=$2b$10$a&$limit=0, tells
//     a protected value one comparison at a time.
//
// Fields are dot paths ("credentials.hash") of the record's JSON form.
func WithProtected(fields ...string) ServiceOption {
	return func(s *Service) { s.protected = append(s.protected, fields...) }
}

// Protected returns the fields declared with WithProtected.
func (s *Service) Protected() []string { return append([]string(nil), s.protected...) }

// protectedOf is what method's results must not show external callers:
// the service's protected fields, and those of a custom method's result.
func (s *Service) protectedOf(method Method) []string {
	fields := s.protected
	if extra := s.customs[method].protectedFields(); len(extra) > 0 {
		fields = append(slices.Clip(fields), extra...)
	}
	return fields
}

// protectStep is the outermost step of a service with protected fields: it
// hides them from the external form of the result once every hook has run.
func protectStep(ctx context.Context, r *run, i int) error {
	if err := r.next(ctx, i+1); err != nil {
		return err
	}
	hc := r.hc
	hc.Dispatch = Without(hc.External(), hc.Service.protectedOf(hc.Method)...)
	if hc.Params.Provider != "" {
		// Later code on the way out (the transport, listeners) cannot leak
		// what it never holds.
		hc.Result = hc.Dispatch
	}
	return nil
}

// Without returns v without fields, for a record, a list of records or a
// page: the shapes of Records. Records are copied, never changed in place
// (they may be shared with a store or a cache); a struct record becomes a
// map of its JSON fields. Other values are returned as they are. Fields may
// be dot paths into nested objects.
func Without(v any, fields ...string) any {
	if len(fields) == 0 {
		return v
	}
	switch r := v.(type) {
	case nil:
		return nil
	case interface{ without([]string) any }:
		return r.without(fields)
	case map[string]any:
		return omit(r, fields)
	case []map[string]any:
		out := make([]map[string]any, len(r))
		for i, m := range r {
			out[i] = omit(m, fields)
		}
		return out
	case []any:
		out := make([]any, len(r))
		for i, e := range r {
			out[i] = Without(e, fields...)
		}
		return out
	case *Page:
		p := *r
		p.Data = Without(r.Data, fields...).([]map[string]any)
		return &p
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && structs(rv.Type().Elem()) {
		out := make([]map[string]any, rv.Len())
		for i := range out {
			out[i] = omit(structRecord(reflect.Indirect(rv.Index(i))).Map(), fields)
		}
		return out
	}
	if recs := Records(v); len(recs) == 1 && recs[0].s != nil {
		return omit(recs[0].Map(), fields)
	}
	return v
}

// omit copies m without fields.
func omit(m map[string]any, fields []string) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, f := range fields {
		head, rest, nested := strings.Cut(f, ".")
		if !nested {
			delete(out, f)
			continue
		}
		if v, ok := out[head]; ok {
			out[head] = omitIn(v, rest)
		}
	}
	return out
}

// omitIn returns v without the field at path: inside an object, or inside
// each object of a list, which MongoDB and the memory adapter read through
// ("auth.hash" is the hash of every element of a list auth).
func omitIn(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		return omit(x, []string{path})
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = omitIn(e, path)
		}
		return out
	}
	return v
}

// fieldPaths returns the canonical paths of the protected fields. A name
// that is not a field path cannot be protected: removal reads a dot as
// nesting, so a JSON name "auth.hash" would be left in every answer. Such
// a name is refused when the service is registered.
func fieldPaths(names []string) []FieldPath {
	var out []FieldPath
	for _, n := range names {
		p, err := ParseFieldPath(n)
		if err != nil {
			panic(fmt.Sprintf("pinion: protected field %q is not a field path (letters, digits, _ and -, joined by dots): %v", n, err))
		}
		out = append(out, p)
	}
	return out
}
