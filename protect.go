package pinion

import (
	"context"
	"reflect"
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
//     any hook runs, whatever the transport. Without this a find that
//     answers only a total, such as ?password[$gte]=$2b$10$a&$limit=0, tells
//     a protected value one comparison at a time.
//
// Fields are dot paths ("credentials.hash") of the record's JSON form.
func WithProtected(fields ...string) ServiceOption {
	return func(s *Service) { s.protected = append(s.protected, fields...) }
}

// Protected returns the fields declared with WithProtected.
func (s *Service) Protected() []string { return append([]string(nil), s.protected...) }

// protectStep is the outermost step of a service with protected fields: it
// hides them from the external form of the result once every hook has run.
func protectStep(ctx context.Context, r *run, i int) error {
	if err := r.next(ctx, i+1); err != nil {
		return err
	}
	hc := r.hc
	hc.Dispatch = Without(hc.External(), hc.Service.protected...)
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
		if sub, ok := out[head].(map[string]any); ok {
			out[head] = omit(sub, []string{rest})
		}
	}
	return out
}

// checkProtected refuses a query that names a protected field anywhere a
// field name can stand: a condition (at any depth of $or and $and, or as a
// path into a nested document), a $sort key or a $select entry.
func checkProtected(query map[string]any, protected []string) error {
	if len(protected) == 0 || len(query) == 0 {
		return nil
	}
	q := queryFields{protected: protected}
	return q.conditions(query, "")
}

type queryFields struct{ protected []string }

// field fails when name is a protected field, inside one, or an object that
// holds one.
func (q queryFields) field(name string) error {
	for _, p := range q.protected {
		if name == p || strings.HasPrefix(name, p+".") || strings.HasPrefix(p, name+".") {
			return BadRequest("Invalid query: '%s' is a protected field and can not be queried, sorted or selected", p).
				WithData(map[string]any{"field": p})
		}
	}
	return nil
}

// conditions checks an object of conditions about the document at path (""
// at the top).
func (q queryFields) conditions(m map[string]any, path string) error {
	for k, v := range m {
		if strings.HasPrefix(k, "$") {
			var err error
			switch k {
			case "$sort":
				err = q.keys(v)
			case "$select":
				err = q.names(v)
			case "$or", "$and":
				// Sub-queries: an adapter may read them as conditions on
				// the record itself, wherever they stand. qs sends a list
				// as an object of indices.
				if m, ok := v.(map[string]any); ok {
					for _, sub := range m {
						if err = q.value(sub, ""); err != nil {
							break
						}
					}
				} else {
					err = q.value(v, "")
				}
			default:
				// An operator's operand is about the field it stands in.
				err = q.value(v, path)
			}
			if err != nil {
				return err
			}
			continue
		}
		field := k
		if path != "" {
			field = path + "." + k
		}
		if err := q.field(field); err != nil {
			return err
		}
		if err := q.value(v, field); err != nil {
			return err
		}
	}
	return nil
}

// value checks an operand about the document at path: an object holds
// conditions or fields of it, a list holds operands or sub-queries.
func (q queryFields) value(v any, path string) error {
	switch x := v.(type) {
	case map[string]any:
		return q.conditions(x, path)
	case Ordered:
		for _, kv := range x {
			if err := q.conditions(map[string]any{kv.Key: kv.Value}, path); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := q.value(e, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// keys checks the keys of a $sort.
func (q queryFields) keys(v any) error {
	switch s := v.(type) {
	case map[string]any:
		for k := range s {
			if err := q.field(k); err != nil {
				return err
			}
		}
	case Ordered:
		for _, kv := range s {
			if err := q.field(kv.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// names checks the entries of a $select: a list, one name, or a qs object of
// indices.
func (q queryFields) names(v any) error {
	switch s := v.(type) {
	case string:
		return q.field(s)
	case []any:
		for _, e := range s {
			if err := q.names(e); err != nil {
				return err
			}
		}
	case []string:
		for _, e := range s {
			if err := q.field(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range s {
			if err := q.names(e); err != nil {
				return err
			}
		}
	}
	return nil
}
