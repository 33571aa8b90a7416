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

// A typed service works on a Go struct T, with ids of type K. It implements
// any of these methods; its data arrives decoded and validated as T (a 400
// naming the field when a client sends something else), ids arrive as K
// whatever the transport (a string over REST, a number over sockets), and
// it returns T, []T or a Found[T]. Multi calls have methods of their own:
// a service without CreateMany refuses a list with 405.
type (
	FinderOf[T any] interface {
		Find(ctx context.Context, params *Params) (Found[T], error)
	}
	GetterOf[T any, K comparable] interface {
		Get(ctx context.Context, id K, params *Params) (T, error)
	}
	CreatorOf[T any] interface {
		Create(ctx context.Context, data T, params *Params) (T, error)
	}
	ManyCreatorOf[T any] interface {
		CreateMany(ctx context.Context, data []T, params *Params) ([]T, error)
	}
	UpdaterOf[T any, K comparable] interface {
		Update(ctx context.Context, id K, data T, params *Params) (T, error)
	}
	PatcherOf[T any, K comparable] interface {
		Patch(ctx context.Context, id K, data Patch[T], params *Params) (T, error)
	}
	ManyPatcherOf[T any] interface {
		PatchMany(ctx context.Context, data Patch[T], params *Params) ([]T, error)
	}
	RemoverOf[T any, K comparable] interface {
		Remove(ctx context.Context, id K, params *Params) (T, error)
	}
	ManyRemoverOf[T any] interface {
		RemoveMany(ctx context.Context, params *Params) ([]T, error)
	}
)

// Types declares the record and id types of a typed service. Embed it in the
// service's struct:
//
//	type Todos struct {
//		pinion.Types[Todo, int]
//		…
//	}
//	func (s *Todos) Get(ctx context.Context, id int, p *pinion.Params) (Todo, error)
//
// so that Use knows them without being told: pinion.Use(app, "todos", &Todos{}).
type Types[T any, K comparable] struct{}

func (Types[T, K]) types(T, K) {}

// TypedService is a service that declares its types by embedding Types.
type TypedService[T any, K comparable] interface{ types(T, K) }

// ServiceOf is a typed service registered on an App: the Service, plus
// methods for Go callers that take and return the service's types. Every
// call runs the hook chain.
type ServiceOf[T any, K comparable] struct{ *Service }

// Use registers the typed service impl at path (see App.Use). Its hooks see
// T in HookContext.Data and Result (*T for one record, []T for a list,
// *Patch[T] for a patch, *Found[T] for a find); Typed hooks read them
// without casts. Fields tagged protected:"true" are protected (see
// WithProtected).
//
// A client's $select: a typed record cannot leave fields out, so those a
// $select does not name are zero values in the result Go callers and hooks
// see. When impl names its id field (IDFielder, as the adapters do), what
// clients receive holds the id and the selected fields only, as from a
// service of maps.
func Use[T any, K comparable](app *App, path string, impl TypedService[T, K], opts ...ServiceOption) ServiceOf[T, K] {
	c := &typedCodec[T, K]{st: schema.For[T]()}
	if f, ok := impl.(IDFielder); ok {
		c.id = f.IDField()
	}
	return ServiceOf[T, K]{app.use(path, impl, typedInvokers[T, K](impl, c), c, opts)}
}

// Found is what a typed find returns: the records, and for a paginated query
// the page they are. It is sent as Feathers sends a find: a page
// {"total","limit","skip","data"}, or the plain list.
type Found[T any] struct {
	Data      []T
	Total     int
	Limit     int
	Skip      int
	Paginated bool
}

// MarshalJSON writes the page, or the list.
func (f Found[T]) MarshalJSON() ([]byte, error) {
	data := f.Data
	if data == nil {
		data = []T{}
	}
	if !f.Paginated {
		return json.Marshal(data)
	}
	return json.Marshal(struct {
		Total int `json:"total"`
		Limit int `json:"limit"`
		Skip  int `json:"skip"`
		Data  []T `json:"data"`
	}{f.Total, f.Limit, f.Skip, data})
}

func (f *Found[T]) records() []Record { return Records(f.Data) }

func (f *Found[T]) without(fields []string) any {
	data := Without(f.Data, fields...).([]map[string]any)
	if !f.Paginated {
		return data
	}
	return &Page{Total: f.Total, Limit: f.Limit, Skip: f.Skip, Data: data}
}

// Patch is the data of a typed patch: a partial record, and the fields it
// gives. A field is written when the client sent it, when a hook set it
// through Record.Set or Include, or when it holds a non-zero value; so a
// hook can set `c.Patch().Data.UpdatedAt = now` and have it written, while
// a zero value is written only when named.
type Patch[T any] struct {
	Data  T
	given map[string]bool
}

// NewPatch is a patch of data that writes the named fields, and every
// non-zero field: pinion.NewPatch(Todo{Done: false}, "done").
func NewPatch[T any](data T, fields ...string) Patch[T] {
	p := Patch[T]{Data: data}
	p.Include(fields...)
	return p
}

// Include makes the patch write fields, whatever their values.
func (p *Patch[T]) Include(fields ...string) {
	if p.given == nil {
		p.given = make(map[string]bool, len(fields))
	}
	for _, f := range fields {
		p.given[f] = true
	}
}

// Has reports whether the patch writes field.
func (p *Patch[T]) Has(field string) bool {
	if p.given[field] {
		return true
	}
	f := schema.For[T]().Field(field)
	if f == nil {
		return false
	}
	fv := f.Value(reflect.ValueOf(&p.Data))
	return fv.IsValid() && !fv.IsZero()
}

// Fields lists the JSON names of the fields the patch writes.
func (p *Patch[T]) Fields() []string {
	var out []string
	for _, f := range schema.For[T]().Fields {
		if p.Has(f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}

// Map is the patch as adapters write it: the fields it writes, by JSON
// name, with their values in JSON shapes.
func (p *Patch[T]) Map() map[string]any {
	s := schema.For[T]()
	all := s.ToMap(reflect.ValueOf(&p.Data), nil)
	out := make(map[string]any, len(all))
	for _, f := range s.Fields {
		if p.Has(f.Name) {
			if v, ok := all[f.Name]; ok {
				out[f.Name] = v
			} else {
				out[f.Name] = reflect.Zero(f.Type).Interface() // an omitempty field set to empty
			}
		}
	}
	return out
}

func (p *Patch[T]) records() []Record {
	r := structRecord(reflect.ValueOf(&p.Data).Elem())
	r.given = func(field string) { p.Include(field) }
	return []Record{r}
}

// MarshalJSON writes the fields the patch writes.
func (p Patch[T]) MarshalJSON() ([]byte, error) { return json.Marshal(p.Map()) }

// Context is the typed view of a hook context, for the hooks of a service
// of T (see Typed). The untyped context stays reachable as its HookContext.
type Context[T any] struct{ *HookContext }

// Data returns the records of the call's data: the one of a create or an
// update, each of a multi create, the partial record of a patch (see Patch
// for which of its fields are written). Changes through them change the
// data. It is empty for calls without data.
func (c Context[T]) Data() []*T {
	switch d := c.HookContext.Data.(type) {
	case *T:
		return []*T{d}
	case []T:
		out := make([]*T, len(d))
		for i := range d {
			out[i] = &d[i]
		}
		return out
	case *Patch[T]:
		return []*T{&d.Data}
	}
	return nil
}

// Patch returns the data of a patch, or nil.
func (c Context[T]) Patch() *Patch[T] {
	p, _ := c.HookContext.Data.(*Patch[T])
	return p
}

// Result returns the records of the call's result: one, a list, or a page's.
// Changes through them change the result.
func (c Context[T]) Result() []*T {
	switch r := c.HookContext.Result.(type) {
	case *T:
		return []*T{r}
	case []T:
		out := make([]*T, len(r))
		for i := range r {
			out[i] = &r[i]
		}
		return out
	case *Found[T]:
		return Context[T]{&HookContext{Result: r.Data}}.Result()
	}
	return nil
}

// SetResult sets the call's result to the record v: in a before or around
// hook it skips the method.
func (c Context[T]) SetResult(v T) { c.HookContext.SetResult(&v) }

// Typed turns a hook of T's records into a Hook:
//
//	Before: pinion.HookMap{pinion.MethodCreate: {pinion.Typed(func(ctx context.Context, c pinion.Context[Todo]) error {
//		for _, t := range c.Data() {
//			t.Title = strings.TrimSpace(t.Title)
//		}
//		return nil
//	})}}
func Typed[T any](fn func(ctx context.Context, c Context[T]) error) Hook {
	return func(ctx context.Context, hc *HookContext) error { return fn(ctx, Context[T]{hc}) }
}

// TypedAround turns an around hook of T's records into an AroundHook.
func TypedAround[T any](fn func(ctx context.Context, c Context[T], next Next) error) AroundHook {
	return func(ctx context.Context, hc *HookContext, next Next) error { return fn(ctx, Context[T]{hc}, next) }
}

// The typed methods for Go callers.

// Find runs find through the hook chain.
func (s ServiceOf[T, K]) Find(ctx context.Context, params *Params) (Found[T], error) {
	hc, err := s.Call(ctx, MethodFind, nil, nil, params)
	if err != nil {
		return Found[T]{}, err
	}
	return foundOf[T](hc.Result)
}

// Get runs get through the hook chain.
func (s ServiceOf[T, K]) Get(ctx context.Context, id K, params *Params) (T, error) {
	return one[T](s.Call(ctx, MethodGet, id, nil, params))
}

// Create runs create through the hook chain.
func (s ServiceOf[T, K]) Create(ctx context.Context, data T, params *Params) (T, error) {
	return one[T](s.Call(ctx, MethodCreate, nil, &data, params))
}

// CreateMany runs a multi create through the hook chain.
func (s ServiceOf[T, K]) CreateMany(ctx context.Context, data []T, params *Params) ([]T, error) {
	return many[T](s.Call(ctx, MethodCreate, nil, data, params))
}

// Update runs update through the hook chain.
func (s ServiceOf[T, K]) Update(ctx context.Context, id K, data T, params *Params) (T, error) {
	return one[T](s.Call(ctx, MethodUpdate, id, &data, params))
}

// Patch runs patch through the hook chain.
func (s ServiceOf[T, K]) Patch(ctx context.Context, id K, data Patch[T], params *Params) (T, error) {
	return one[T](s.Call(ctx, MethodPatch, id, &data, params))
}

// PatchMany runs a multi patch (every record the query matches) through the
// hook chain.
func (s ServiceOf[T, K]) PatchMany(ctx context.Context, data Patch[T], params *Params) ([]T, error) {
	return many[T](s.Call(ctx, MethodPatch, nil, &data, params))
}

// Remove runs remove through the hook chain.
func (s ServiceOf[T, K]) Remove(ctx context.Context, id K, params *Params) (T, error) {
	return one[T](s.Call(ctx, MethodRemove, id, nil, params))
}

// RemoveMany runs a multi remove (every record the query matches) through
// the hook chain.
func (s ServiceOf[T, K]) RemoveMany(ctx context.Context, params *Params) ([]T, error) {
	return many[T](s.Call(ctx, MethodRemove, nil, nil, params))
}

// one reads a result as one T. Hooks may have replaced it with another
// shape (a map); it is converted then.
func one[T any](hc *HookContext, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	p, err := recordOf[T](hc.Result)
	if err != nil || p == nil {
		return zero, err
	}
	return *p, nil
}

func many[T any](hc *HookContext, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return listOf[T](hc.Result)
}

func foundOf[T any](v any) (Found[T], error) {
	switch r := v.(type) {
	case *Found[T]:
		return *r, nil
	case Found[T]:
		return r, nil
	case *Page:
		data, err := listOf[T](r.Data)
		return Found[T]{Data: data, Total: r.Total, Limit: r.Limit, Skip: r.Skip, Paginated: true}, err
	}
	data, err := listOf[T](v)
	return Found[T]{Data: data}, err
}

// recordOf reads v, a record in any shape (T, *T, a map), as a *T.
func recordOf[T any](v any) (*T, error) {
	switch r := v.(type) {
	case nil:
		return nil, nil
	case *T:
		return r, nil
	case T:
		return &r, nil
	case map[string]any:
		t := new(T)
		if _, err := schema.For[T]().DecodeMap(r, reflect.ValueOf(t), schema.Decoding{}); err != nil {
			return nil, invalidData(err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("pinion: a %T where a %s was expected", v, reflect.TypeFor[T]())
}

func listOf[T any](v any) ([]T, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []T:
		return l, nil
	case []*T:
		out := make([]T, len(l))
		for i, p := range l {
			out[i] = *p
		}
		return out, nil
	}
	recs := Records(v)
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		p, err := recordOf[T](r.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// invalidData is the BadRequest of data a schema refused, naming the first
// field at fault in the message and every problem in data, in the shape of
// hooks.Validate and Feathers' schema hooks.
func invalidData(err error) error {
	se, ok := err.(*schema.Error)
	if !ok {
		return BadRequest("Invalid data: %s", err)
	}
	problems := make([]any, len(se.Problems))
	for i, p := range se.Problems {
		problems[i] = map[string]any{"instancePath": p.Path, "message": p.Message}
	}
	return BadRequest("Invalid data: %s", se.Summary()).WithData(problems)
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

func (c *typedCodec[T, K]) protected() []string {
	var out []string
	for _, f := range c.st.Fields {
		if f.Protected {
			out = append(out, f.Name)
		}
	}
	return out
}

func (c *typedCodec[T, K]) query(q map[string]any) error {
	if len(q) == 0 {
		return nil
	}
	err := c.st.CheckQuery(q)
	if err == nil {
		return nil
	}
	se := err.(*schema.Error)
	problems := make([]any, len(se.Problems))
	for i, p := range se.Problems {
		problems[i] = map[string]any{"instancePath": p.Path, "message": p.Message}
	}
	return BadRequest("Invalid query: %s", se.Summary()).WithData(problems)
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

// typedInvokers are the standard methods of a typed implementation.
func typedInvokers[T any, K comparable](impl any, c *typedCodec[T, K]) (std [standardMethods]invoker) {
	key := func(hc *HookContext) (K, error) {
		id, err := idOf[K](hc.ID)
		if err != nil {
			var zero K
			return zero, err
		}
		k, _ := id.(K)
		return k, nil
	}
	// data reads what hooks left in hc.Data, which they may have replaced.
	data := func(hc *HookContext) (any, error) { return c.data(hc.Method, hc.Data, false) }
	ptr := func(t T, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return &t, nil
	}
	list := func(l []T, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	multi := func(hc *HookContext) error { return MethodNotAllowed("Can not %s multiple entries", hc.Method) }

	if f, ok := impl.(FinderOf[T]); ok {
		std[0] = func(ctx context.Context, hc *HookContext) (any, error) {
			found, err := f.Find(ctx, hc.Params)
			if err != nil {
				return nil, err
			}
			return &found, nil
		}
	}
	if g, ok := impl.(GetterOf[T, K]); ok {
		std[1] = func(ctx context.Context, hc *HookContext) (any, error) {
			id, err := key(hc)
			if err != nil {
				return nil, err
			}
			return ptr(g.Get(ctx, id, hc.Params))
		}
	}
	cr, one := impl.(CreatorOf[T])
	cm, many := impl.(ManyCreatorOf[T])
	if one || many {
		std[2] = func(ctx context.Context, hc *HookContext) (any, error) {
			d, err := data(hc)
			if err != nil {
				return nil, err
			}
			switch d := d.(type) {
			case []T:
				if !many {
					return nil, multi(hc)
				}
				return list(cm.CreateMany(ctx, d, hc.Params))
			case *T:
				if !one {
					return nil, BadRequest("'%s' creates lists only", hc.Path)
				}
				return ptr(cr.Create(ctx, *d, hc.Params))
			}
			return nil, BadRequest("Data must be an object")
		}
	}
	if u, ok := impl.(UpdaterOf[T, K]); ok {
		std[3] = func(ctx context.Context, hc *HookContext) (any, error) {
			if hc.ID == nil {
				return nil, BadRequest("You can not replace multiple instances. Did you mean 'patch'?")
			}
			id, err := key(hc)
			if err != nil {
				return nil, err
			}
			d, err := data(hc)
			if err != nil {
				return nil, err
			}
			t, ok := d.(*T)
			if !ok {
				return nil, BadRequest("You can not replace multiple instances. Did you mean 'patch'?")
			}
			return ptr(u.Update(ctx, id, *t, hc.Params))
		}
	}
	pa, one := impl.(PatcherOf[T, K])
	pm, many := impl.(ManyPatcherOf[T])
	if one || many {
		std[4] = func(ctx context.Context, hc *HookContext) (any, error) {
			d, err := data(hc)
			if err != nil {
				return nil, err
			}
			p, ok := d.(*Patch[T])
			if !ok {
				return nil, BadRequest("Data must be an object")
			}
			if hc.ID == nil {
				if !many {
					return nil, multi(hc)
				}
				return list(pm.PatchMany(ctx, *p, hc.Params))
			}
			if !one {
				return nil, BadRequest("'%s' patches by query only", hc.Path)
			}
			id, err := key(hc)
			if err != nil {
				return nil, err
			}
			return ptr(pa.Patch(ctx, id, *p, hc.Params))
		}
	}
	re, one := impl.(RemoverOf[T, K])
	rm, many := impl.(ManyRemoverOf[T])
	if one || many {
		std[5] = func(ctx context.Context, hc *HookContext) (any, error) {
			if hc.ID == nil {
				if !many {
					return nil, multi(hc)
				}
				return list(rm.RemoveMany(ctx, hc.Params))
			}
			if !one {
				return nil, BadRequest("'%s' removes by query only", hc.Path)
			}
			id, err := key(hc)
			if err != nil {
				return nil, err
			}
			return ptr(re.Remove(ctx, id, hc.Params))
		}
	}
	return std
}
