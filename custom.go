package pinion

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/pinionhq/pinion/schema"
)

// AnyService is a registered service: a *Service, or a ServiceOf.
type AnyService interface{ service() *Service }

func (s *Service) service() *Service { return s }

// Custom is a typed custom method registered with AddCustom: it takes data
// of type D and answers an R.
type Custom[D, R any] struct {
	s    *Service
	name Method
}

// CustomOn is a typed custom method registered with AddCustomOn: it acts
// on the record of an id K, with data of type D, and answers an R.
type CustomOn[K comparable, D, R any] struct {
	s    *Service
	name Method
}

// AddCustom registers the custom method name on s: fn receives the call's
// data decoded into a D and answers an R.
//
// Clients call it as Feathers clients call custom methods: over REST a POST
// to the service's path with the header X-Service-Method: name and the data
// as its body; over sockets emit(name, path, data, params). Their data is
// decoded and validated like a typed create's: a field of the wrong type, a
// rule broken, an unknown field or a list where one object is expected is
// a 400 BadRequest naming the field, before any hook runs. Hooks see a *D in
// HookContext.Data.
//
// D must be a struct (struct{} for a method without data). The method is
// exposed to clients unless the service was registered WithMethods, which
// then decides. Register custom methods before the app serves.
func AddCustom[D, R any](s AnyService, name Method, fn func(ctx context.Context, data D, p *Params) (R, error)) Custom[D, R] {
	svc := s.service()
	def := newCustomDef[D, R]("")
	def.invoke = func(ctx context.Context, hc *HookContext) (any, error) {
		d, err := dataOf[D](hc)
		if err != nil {
			return nil, err
		}
		return resultValue(fn(ctx, d, hc.Params))
	}
	svc.addCustom(name, def)
	return Custom[D, R]{svc, name}
}

// AddCustomOn registers the custom method name on s, acting on one record:
// fn receives the record's id as a K besides the data as a D. Feathers'
// custom methods have no id argument, so clients send the id inside the
// data, under the service's id field (IDFielder; "id" for a service that
// does not name it):
//
//	POST /notes  X-Service-Method: archive  {"id": 3, "reason": "done"}
//	socket.emit('archive', 'notes', {id: 3, reason: 'done'}, {}, ack)
//
// A missing or malformed id is a 400 naming the field; the rest of the data
// is decoded into D as AddCustom describes. On a service WithOwner another
// user's record is a 404 before fn runs. Hooks see the id in HookContext.ID.
func AddCustomOn[K comparable, D, R any](s AnyService, name Method, fn func(ctx context.Context, id K, data D, p *Params) (R, error)) CustomOn[K, D, R] {
	svc := s.service()
	idField := "id"
	if f, ok := svc.impl.(IDFielder); ok && f.IDField() != "" {
		idField = f.IDField()
	}
	if t := svc.idType(); t != nil && t != reflect.TypeFor[K]() {
		panic(fmt.Sprintf("pinion: custom method %q of %s takes a %s id; the service's ids are %s", name, svc, reflect.TypeFor[K](), t))
	}
	def := newCustomDef[D, R](idField)
	def.doc.IDType = reflect.TypeFor[K]()
	def.id = func(v any) (any, error) { return idOf[K](v) }
	def.invoke = func(ctx context.Context, hc *HookContext) (any, error) {
		id, err := idOf[K](hc.ID)
		if err != nil {
			return nil, err
		}
		k, ok := id.(K)
		if !ok { // a hook took the id away
			return nil, BadRequest("Invalid data: '%s' is required", idField)
		}
		d, err := dataOf[D](hc)
		if err != nil {
			return nil, err
		}
		return resultValue(fn(ctx, k, d, hc.Params))
	}
	svc.addCustom(name, def)
	return CustomOn[K, D, R]{svc, name}
}

// Call runs the method through the hook chain.
func (m Custom[D, R]) Call(ctx context.Context, data D, params *Params) (R, error) {
	return resultOf[R](m.s.Call(ctx, m.name, nil, &data, params))
}

// Call runs the method on the record id through the hook chain.
func (m CustomOn[K, D, R]) Call(ctx context.Context, id K, data D, params *Params) (R, error) {
	return resultOf[R](m.s.Call(ctx, m.name, id, &data, params))
}

// Name is the method's name.
func (m Custom[D, R]) Name() Method { return m.name }

// Name is the method's name.
func (m CustomOn[K, D, R]) Name() Method { return m.name }

// CustomDoc describes a typed custom method, for API documentation.
type CustomDoc struct {
	Name Method
	// IDField is the data's member that names the record, for a method
	// registered with AddCustomOn; "" otherwise.
	IDField string
	// IDType is the Go type of the id (nil without one).
	IDType reflect.Type
	// Data is the struct of the data; Result the struct of the answer, nil
	// when the answer is not a struct.
	Data, Result *schema.Struct
}

// CustomDocs describes the typed custom methods of the service, sorted by
// name. Methods registered with WithMethod take and answer anything and are
// not listed.
func (s *Service) CustomDocs() []CustomDoc {
	out := make([]CustomDoc, 0, len(s.customs))
	for name, d := range s.customs {
		doc := d.doc
		doc.Name = name
		out = append(out, doc)
	}
	slices.SortFunc(out, func(a, b CustomDoc) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// customDef is a typed custom method on a Service.
type customDef struct {
	// in converts what a caller sent into the method's id and *D.
	in     func(id, data any, external bool) (any, any, error)
	id     func(v any) (any, error) // converts an id to K; nil without one
	invoke func(ctx context.Context, hc *HookContext) (any, error)
	doc    CustomDoc
	// protected are the result type's protected fields (dot paths).
	protected []string
	// result is R, the type an idempotent retry's stored result is decoded
	// into (see Service.replay).
	result reflect.Type
}

// protectedFields are the protected fields of the method's result; none
// for a nil def (a standard method, or one registered with WithMethod).
func (d *customDef) protectedFields() []string {
	if d == nil {
		return nil
	}
	return d.protected
}

func newCustomDef[D, R any](idField string) *customDef {
	st := schema.For[D]()
	dec := &typedCodec[D, string]{st: st}
	def := &customDef{doc: CustomDoc{IDField: idField, Data: st}, result: reflect.TypeFor[R]()}
	if t := def.result; t.Kind() == reflect.Struct {
		def.doc.Result = schema.For[R]()
		// The result's own protected fields are hidden from external
		// callers, as a record's are (the document leaves them out too).
		def.protected = def.doc.Result.ProtectedPaths()
		fieldPaths(def.protected) // a name that is not a path is refused now
	}
	def.in = func(id, data any, external bool) (any, any, error) {
		switch d := data.(type) {
		case *D:
			id, _, err := def.checkID(id, idField)
			return id, d, err
		case D:
			id, _, err := def.checkID(id, idField)
			return id, &d, err
		case map[string]any:
			if idField != "" && id == nil {
				v, ok := d[idField]
				if !ok || v == nil {
					return nil, nil, BadRequest("Invalid data: '%s' is required", idField).
						WithData([]any{map[string]any{"instancePath": "/" + idField, "message": "is required"}})
				}
				id = v
				if st.Path(idField) == nil {
					d = cloneMap(d)
					delete(d, idField)
				}
			}
			id, _, err := def.checkID(id, idField)
			if err != nil {
				return nil, nil, err
			}
			t := new(D)
			return id, t, dec.decodeMap(MethodCreate, d, t, external)
		case []any:
			return nil, nil, BadRequest("Invalid data: an object is expected, not a list")
		case nil:
			return nil, nil, BadRequest("Invalid data: an object is expected")
		}
		return nil, nil, BadRequest("Invalid data: an object is expected, not %s", jsonKind(data))
	}
	return def
}

// checkID converts id for a method that takes one; data passes as it is.
func (d *customDef) checkID(id any, idField string) (any, any, error) {
	if d.id == nil {
		return nil, nil, nil
	}
	if id == nil {
		return nil, nil, BadRequest("Invalid data: '%s' is required", idField)
	}
	k, err := d.id(id)
	if err != nil {
		return nil, nil, BadRequest("Invalid data: '%s' is not a valid id (%s)", idField, err.(*Error).Message).
			WithData([]any{map[string]any{"instancePath": "/" + idField, "message": "is not a valid id"}})
	}
	return k, nil, nil
}

// idType is the Go type of a typed service's ids, or nil.
func (s *Service) idType() reflect.Type {
	if s.typed == nil {
		return nil
	}
	return s.typed.idType()
}

// addCustom registers def as the custom method name.
func (s *Service) addCustom(name Method, def *customDef) {
	if IsStandardMethod(name) || name == "" || name == All {
		panic(fmt.Sprintf("pinion: %q cannot be the name of a custom method", name))
	}
	if s.Has(name) {
		panic(fmt.Sprintf("pinion: %s already has a method %q", s, name))
	}
	if s.customs == nil {
		s.customs = make(map[Method]*customDef)
	}
	s.customs[name] = def
	if s.custom == nil {
		s.custom = make(map[Method]CustomMethod)
	}
	s.custom[name] = nil // Has reports it; invoke finds def
	if !s.chosen {
		s.methods = append(s.methods, name)
	}
	s.app.hookGen.Add(1)
}

// dataOf reads the data of a typed custom method, which hooks may have
// replaced (with a map, or with a D).
func dataOf[D any](hc *HookContext) (D, error) {
	var zero D
	if d, ok := hc.Data.(*D); ok && d != nil {
		return *d, nil
	}
	p, err := recordOf[D](hc.Data)
	if err != nil {
		return zero, err
	}
	if p == nil {
		return zero, BadRequest("Invalid data: an object is expected")
	}
	return *p, nil
}

// resultValue is what a typed custom method's answer becomes in
// HookContext.Result: a pointer to a struct, as a typed service's records
// are, so that hooks change it in place; any other value as it is.
func resultValue[R any](r R, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if reflect.TypeFor[R]().Kind() == reflect.Struct {
		return &r, nil
	}
	return r, nil
}

// resultOf reads a custom method's result, which hooks may have replaced, as
// an R.
func resultOf[R any](hc *HookContext, err error) (R, error) {
	var zero R
	if err != nil {
		return zero, err
	}
	switch r := hc.Result.(type) {
	case nil:
		return zero, nil
	case R:
		return r, nil
	case *R:
		return *r, nil
	}
	if reflect.TypeFor[R]().Kind() == reflect.Struct {
		p, err := recordOf[R](hc.Result)
		if err != nil || p == nil {
			return zero, err
		}
		return *p, nil
	}
	return zero, fmt.Errorf("pinion: a %T where a %s was expected", hc.Result, reflect.TypeFor[R]())
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, int, int64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("a %T", v)
}
