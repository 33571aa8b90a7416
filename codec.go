package pinion

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pinionhq/pinion/schema"
)

// invalidData is the BadRequest of data a schema refused, naming the first
// field at fault in the message and every problem in data, in the shape of
// hooks.Validate and Feathers' schema hooks.
func invalidData(err error) error { return refused("Invalid data", err) }

// refused is the BadRequest of a schema's refusal of what (data, a query).
func refused(what string, err error) error {
	se, ok := err.(*schema.Error)
	if !ok {
		return BadRequest("%s: %s", what, err)
	}
	problems := make([]any, len(se.Problems))
	for i, p := range se.Problems {
		problems[i] = map[string]any{"instancePath": p.Path, "message": p.Message}
	}
	return BadRequest("%s: %s", what, se.Summary()).WithData(problems)
}

// IDFielder is implemented by typed services whose records have an id
// field that every result carries, as adapters do (adapter.Typed): a
// client's $select then keeps that field and the selected ones.
type IDFielder interface {
	// IDField is the JSON name of the id field.
	IDField() string
}

// codec is what a typed service adds to the dispatcher: the conversion of
// what transports and untyped callers send into the service's types.
type codec interface {
	// in converts a call's id to K and its data to the method's shape;
	// external data is validated.
	in(method Method, id, data any, external bool) (any, any, error)
	// decodeJSON decodes and validates a client's request body for method.
	decodeJSON(method Method, body []byte) (any, error)
	// query checks a client's query against the struct's fields.
	query(q map[string]any) error
	protected() []string
	schema() *schema.Struct
	// idType is K.
	idType() reflect.Type
	// selects reports whether the service names its id field, so that
	// unselected can answer.
	selects() bool
	// unselected lists the fields a client's $select (its value) leaves
	// out; nil for a service that does not name its id field.
	unselected(sel any) []string
}

type typedCodec[T any, K comparable] struct {
	st *schema.Struct
	id string // the id field, which every result carries; "" if unknown
}

func (c *typedCodec[T, K]) selects() bool { return c.id != "" }

func (c *typedCodec[T, K]) unselected(sel any) []string {
	if c.id == "" {
		return nil
	}
	names := selectNames(sel, nil)
	var out []string
	for _, f := range c.st.Fields {
		if f.Name != c.id && !slices.ContainsFunc(names, func(n string) bool {
			return n == f.Name || strings.HasPrefix(n, f.Name+".")
		}) {
			out = append(out, f.Name)
		}
	}
	return out
}

// selectNames appends the names of a $select to out: a list, one name, or
// a qs object of indices.
func selectNames(v any, out []string) []string {
	switch s := v.(type) {
	case string:
		out = append(out, s)
	case []string:
		out = append(out, s...)
	case []any:
		for _, e := range s {
			out = selectNames(e, out)
		}
	case map[string]any:
		for _, e := range s {
			out = selectNames(e, out)
		}
	}
	return out
}

// selectStep runs for a typed service whose results carry an id field: it
// gives a client what its $select asks for, the id and the selected fields,
// which a typed result cannot (it holds zero values for the others).
func selectStep(ctx context.Context, r *run, i int) error {
	if err := r.next(ctx, i+1); err != nil {
		return err
	}
	hc := r.hc
	if hc.Params.Provider == "" {
		return nil
	}
	sel, ok := hc.Params.Query["$select"]
	if !ok {
		return nil
	}
	if drop := hc.Service.typed.unselected(sel); len(drop) > 0 {
		hc.Dispatch = Without(hc.External(), drop...)
	}
	return nil
}

func (c *typedCodec[T, K]) protected() []string { return c.st.ProtectedPaths() }

func (c *typedCodec[T, K]) query(q map[string]any) error {
	if len(q) == 0 {
		return nil
	}
	if err := c.st.CheckQuery(q); err != nil {
		return refused("Invalid query", err)
	}
	return nil
}

func (c *typedCodec[T, K]) in(method Method, id, data any, external bool) (any, any, error) {
	id, err := idOf[K](id)
	if err != nil {
		return nil, nil, err
	}
	switch method {
	case MethodCreate, MethodUpdate, MethodPatch:
		data, err = c.data(method, data, external)
	}
	return id, data, err
}

// data converts data to the method's shape: *T, []T (a multi create) or
// *Patch[T]. Values already typed are taken as they are: Go callers are
// trusted with their own structs.
func (c *typedCodec[T, K]) data(method Method, data any, external bool) (any, error) {
	switch d := data.(type) {
	case *T, []T, *Patch[T]:
		return d, nil
	case T:
		return &d, nil
	case Patch[T]:
		return &d, nil
	case []*T:
		return listOf[T](d)
	case []any:
		if method != MethodCreate {
			break // the adapter refuses a list for update and patch
		}
		out := make([]T, len(d))
		for i, e := range d {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, BadRequest("Invalid data: item %d is not an object", i)
			}
			if err := c.decodeMap(method, m, &out[i], external); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		if method == MethodPatch {
			p := &Patch[T]{}
			given, err := c.st.DecodeMap(d, reflect.ValueOf(&p.Data), schema.Decoding{External: external})
			p.Include(given...)
			return p, c.finish(&p.Data, given, err, false, external)
		}
		t := new(T)
		return t, c.decodeMap(method, d, t, external)
	}
	return data, nil
}

func (c *typedCodec[T, K]) decodeMap(method Method, m map[string]any, t *T, external bool) error {
	given, err := c.st.DecodeMap(m, reflect.ValueOf(t), schema.Decoding{External: external})
	return c.finish(t, given, err, method != MethodPatch, external)
}

// finish checks decoded data against the struct's rules, for external
// data, and reports every problem at once: those of decoding (a wrong type,
// an unknown field) and those of the rules, each field once.
func (c *typedCodec[T, K]) finish(t *T, given []string, decodeErr error, whole, external bool) error {
	var problems []schema.Problem
	if decodeErr != nil {
		se, ok := decodeErr.(*schema.Error)
		if !ok || (len(se.Problems) == 1 && se.Problems[0].Path == "") {
			return invalidData(decodeErr) // not an object at all
		}
		problems = se.Problems
	}
	if external {
		bad := make(map[string]bool, len(problems))
		for _, p := range problems {
			bad[p.Path] = true
		}
		has := func(name string) bool { return bad["/"+name] || slices.Contains(given, name) }
		if err := c.st.Validate(reflect.ValueOf(t), has, whole); err != nil {
			for _, p := range err.(*schema.Error).Problems {
				if !bad[p.Path] {
					problems = append(problems, p)
				}
			}
		}
	}
	if len(problems) > 0 {
		return invalidData(&schema.Error{Problems: problems})
	}
	return nil
}

func (c *typedCodec[T, K]) decodeJSON(method Method, body []byte) (any, error) {
	switch method {
	case MethodCreate, MethodUpdate, MethodPatch:
	default:
		return nil, errNotTyped
	}
	if !json.Valid(body) {
		return nil, BadRequest("Invalid JSON in request body")
	}
	if method == MethodCreate && len(body) > 0 && firstByte(body) == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, BadRequest("Invalid JSON in request body: %s", err)
		}
		out := make([]T, len(items))
		for i, raw := range items {
			if err := c.decodeOne(method, raw, &out[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if method == MethodPatch {
		p := &Patch[T]{}
		given, err := c.st.DecodeJSON(body, reflect.ValueOf(&p.Data), schema.Decoding{External: true})
		p.Include(given...)
		return p, c.finish(&p.Data, given, err, false, true)
	}
	t := new(T)
	return t, c.decodeOne(method, body, t)
}

func (c *typedCodec[T, K]) decodeOne(method Method, raw []byte, t *T) error {
	given, err := c.st.DecodeJSON(raw, reflect.ValueOf(t), schema.Decoding{External: true})
	return c.finish(t, given, err, method != MethodPatch, true)
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

var errNotTyped = fmt.Errorf("pinion: not typed data")

// DecodeData decodes a request body into the data type of a typed service,
// validating it as a client's: a struct for create and update (a list of
// them for a multi create), a Patch for patch. ok is false for a service
// that works on maps, or for a method without typed data (custom methods):
// the transport decodes the body as plain JSON then.
func (s *Service) DecodeData(method Method, body []byte) (data any, ok bool, err error) {
	if s.typed == nil {
		return nil, false, nil
	}
	data, err = s.typed.decodeJSON(method, body)
	if err == errNotTyped {
		return nil, false, nil
	}
	return data, true, err
}

// Schema returns the struct description of a typed service's records, or
// nil for a service that works on maps.
func (s *Service) Schema() *schema.Struct {
	if s.typed == nil {
		return nil
	}
	return s.typed.schema()
}

func (c *typedCodec[T, K]) schema() *schema.Struct { return c.st }

func (c *typedCodec[T, K]) idType() reflect.Type { return reflect.TypeFor[K]() }

// idOf converts an id as a transport decoded it (a string over REST, a
// float64 or a string over sockets) into K.
func idOf[K comparable](id any) (any, error) {
	switch v := id.(type) {
	case nil:
		return nil, nil
	case K:
		return v, nil
	}
	var k K
	kv := reflect.ValueOf(&k).Elem()
	bad := func() (any, error) {
		return nil, BadRequest("Invalid id '%s': want %s", IDString(id), idKind(kv))
	}
	switch v := id.(type) {
	case string:
		switch {
		case kv.Kind() == reflect.String:
			kv.SetString(v)
		case kv.CanInt():
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || kv.OverflowInt(n) {
				return bad()
			}
			kv.SetInt(n)
		case kv.CanUint():
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || kv.OverflowUint(n) {
				return bad()
			}
			kv.SetUint(n)
		default:
			u, ok := any(&k).(encoding.TextUnmarshaler)
			if !ok || u.UnmarshalText([]byte(v)) != nil {
				return bad()
			}
		}
		return k, nil
	case float64:
		switch {
		case kv.CanInt() && v == float64(int64(v)) && !kv.OverflowInt(int64(v)):
			kv.SetInt(int64(v))
		case kv.CanUint() && v >= 0 && v == float64(uint64(v)) && !kv.OverflowUint(uint64(v)):
			kv.SetUint(uint64(v))
		case kv.CanFloat():
			kv.SetFloat(v)
		case kv.Kind() == reflect.String:
			kv.SetString(IDString(v))
		default:
			return bad()
		}
		return k, nil
	}
	rv := reflect.ValueOf(id)
	if rv.Type().ConvertibleTo(kv.Type()) && (rv.CanInt() || rv.CanUint()) == (kv.CanInt() || kv.CanUint()) {
		kv.Set(rv.Convert(kv.Type()))
		return k, nil
	}
	return bad()
}

func idKind(kv reflect.Value) string {
	switch {
	case kv.CanInt() || kv.CanUint():
		return "an integer"
	case kv.Kind() == reflect.String:
		return "a string"
	}
	return "a " + kv.Type().String()
}
