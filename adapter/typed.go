package adapter

import (
	"context"
	"fmt"
	"maps"
	"reflect"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/schema"
)

// MapService is a database adapter working on maps, as memory and mongodb
// are: the six standard methods plus its multi setting.
type MapService interface {
	pinion.Finder
	pinion.Getter
	pinion.Creator
	pinion.Updater
	pinion.Patcher
	pinion.Remover
	pinion.MultiChecker
}

// Typed is an adapter working on a Go struct T with ids of type K: a typed
// service (see pinion.Use) over a MapService. Records are stored under
// their JSON names, so queries, the shared conformance suite and the
// Feathers query semantics are the adapter's own; Typed converts T to and
// from the stored maps at the edge of each method. The adapters' Typed
// constructors (memory.Typed, mongodb.Typed) build one.
type Typed[T any, K comparable] struct {
	pinion.Types[T, K]
	inner MapService
	st    *schema.Struct
	id    *schema.Field
}

// NewTyped returns the typed service of T over inner, whose id field is
// idField. It panics when T has no field of that JSON name, or when its type
// is not K: a wrong declaration is found at start.
func NewTyped[T any, K comparable](inner MapService, idField string) *Typed[T, K] {
	st := schema.For[T]()
	f := st.Field(idField)
	if f == nil {
		panic(fmt.Sprintf("adapter: %s has no field %q for the id (add `json:\"%s\"` to one)", st.Type, idField, idField))
	}
	if k := reflect.TypeFor[K](); f.Type != k {
		panic(fmt.Sprintf("adapter: the id %s.%s is a %s, but the service's ids are %s", st.Type, f.GoName, f.Type, k))
	}
	return &Typed[T, K]{inner: inner, st: st, id: f}
}

// IDField implements pinion.IDFielder: the JSON name of the id field, which
// results carry whatever a $select names.
func (t *Typed[T, K]) IDField() string { return t.id.Name }

// Inner returns the adapter Typed works over.
func (t *Typed[T, K]) Inner() MapService { return t.inner }

// IndexedField is a field that T's struct tags index (index:"true" or
// index:"unique", see package schema), by its dot path.
type IndexedField struct {
	Path   string
	Unique bool
}

// IndexesOf lists the fields of T that its tags index, nested structs as dot
// paths, in declaration order: the adapters' Typed constructors add an index
// for each to those their options declare.
func IndexesOf[T any]() []IndexedField {
	var out []IndexedField
	indexesOf(schema.For[T](), "", &out, 0)
	return out
}

func indexesOf(st *schema.Struct, prefix string, out *[]IndexedField, depth int) {
	for _, f := range st.Fields {
		name := prefix + f.Name
		if f.Indexed {
			*out = append(*out, IndexedField{Path: name, Unique: f.Unique})
		}
		t := f.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if f.Kind() == "object" && t.Kind() == reflect.Struct && depth < 4 {
			indexesOf(schema.Of(t), name+".", out, depth+1)
		}
	}
}

// FieldsOf derives query coercion from T's field types: numbers, booleans,
// times and ObjectIds (nested structs as dot paths), so that a REST query
// ?done=true finds what it means without listing fields by hand.
func FieldsOf[T any]() Fields {
	out := Fields{}
	fieldsOf(schema.For[T](), "", out, 0)
	return out
}

func fieldsOf(st *schema.Struct, prefix string, out Fields, depth int) {
	for _, f := range st.Fields {
		name := prefix + f.Name
		switch f.Kind() {
		case "string":
			out[name] = String
		case "integer", "number":
			out[name] = Number
		case "boolean":
			out[name] = Boolean
		case "date-time":
			out[name] = Date
		case "objectid":
			out[name] = ObjectID
		case "object":
			t := f.Type
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() == reflect.Struct && depth < 4 {
				fieldsOf(schema.Of(t), name+".", out, depth+1)
			}
		}
	}
}

// WithFields returns fields merged over T's: a service's own declarations win.
func (o Options) WithFields(fields Fields) Options {
	merged := Fields{}
	for k, v := range fields {
		merged[k] = v
	}
	for k, v := range o.Fields {
		merged[k] = v
	}
	o.Fields = merged
	return o
}

// Paginate is the adapter's pagination setting, for the documentation.
func (t *Typed[T, K]) Paginate() pinion.Paginate {
	if p, ok := t.inner.(interface{ Paginate() pinion.Paginate }); ok {
		return p.Paginate()
	}
	return pinion.Paginate{}
}

// AllowsMulti implements pinion.MultiChecker.
func (t *Typed[T, K]) AllowsMulti(method pinion.Method) bool { return t.inner.AllowsMulti(method) }

// Setup implements pinion.Setuper for adapters that set themselves up.
func (t *Typed[T, K]) Setup(ctx context.Context, app *pinion.App, path string) error {
	if s, ok := t.inner.(pinion.Setuper); ok {
		return s.Setup(ctx, app, path)
	}
	return nil
}

// Teardown implements pinion.Teardowner for adapters that release resources.
func (t *Typed[T, K]) Teardown(ctx context.Context) error {
	if s, ok := t.inner.(pinion.Teardowner); ok {
		return s.Teardown(ctx)
	}
	return nil
}

// store is the map a record is stored as; a zero id is left out, for the
// adapter to assign one.
func (t *Typed[T, K]) store(v *T) map[string]any {
	return t.st.ToMap(reflect.ValueOf(v), func(f *schema.Field) bool {
		return f == t.id && f.Value(reflect.ValueOf(v)).IsZero()
	})
}

// load reads a stored record into T. Fields T does not have are skipped: a
// collection may hold more than a service declares. The map is only read.
func (t *Typed[T, K]) load(res any) (T, error) {
	var out T
	m, ok := res.(map[string]any)
	if !ok {
		return out, fmt.Errorf("adapter: a %T where a record was expected", res)
	}
	if id, ok := m[t.id.Name]; ok && t.id.Type.Kind() == reflect.String {
		if _, isString := id.(string); !isString {
			// An ObjectId or a number, for a string id. The map may be the
			// adapter's own (memory lends its stored maps): not changed.
			m = maps.Clone(m)
			m[t.id.Name] = pinion.IDString(id)
		}
	}
	if err := t.st.Load(m, reflect.ValueOf(&out)); err != nil {
		return out, fmt.Errorf("adapter: a stored record does not fit %s: %w", t.st.Type, err)
	}
	return out, nil
}

func (t *Typed[T, K]) loadAll(res any) ([]T, error) {
	var list []map[string]any
	switch r := res.(type) {
	case []map[string]any:
		list = r
	case []any:
		list = make([]map[string]any, len(r))
		for i, e := range r {
			list[i], _ = e.(map[string]any)
		}
	case *pinion.Page:
		list = r.Data
	default:
		return nil, fmt.Errorf("adapter: a %T where records were expected", res)
	}
	out := make([]T, len(list))
	for i, m := range list {
		var err error
		if out[i], err = t.load(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *Typed[T, K]) one(res any, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return t.load(res)
}

func (t *Typed[T, K]) all(res any, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return t.loadAll(res)
}

// Find implements pinion.FinderOf.
func (t *Typed[T, K]) Find(ctx context.Context, params *pinion.Params) (pinion.Found[T], error) {
	res, err := t.inner.Find(ctx, params)
	if err != nil {
		return pinion.Found[T]{}, err
	}
	data, err := t.loadAll(res)
	found := pinion.Found[T]{Data: data}
	if p, ok := res.(*pinion.Page); ok {
		found.Total, found.Limit, found.Skip, found.Paginated = p.Total, p.Limit, p.Skip, true
	}
	return found, err
}

// Get implements pinion.GetterOf.
func (t *Typed[T, K]) Get(ctx context.Context, id K, params *pinion.Params) (T, error) {
	return t.one(t.inner.Get(ctx, id, params))
}

// Create implements pinion.CreatorOf.
func (t *Typed[T, K]) Create(ctx context.Context, data T, params *pinion.Params) (T, error) {
	res, err := t.inner.Create(ctx, t.store(&data), params)
	if err != nil || (params != nil && params.Query["$select"] != nil) {
		return t.one(res, err)
	}
	// What was stored is data, with the id the adapter gave it: there is
	// nothing to read back but the id.
	if m, ok := res.(map[string]any); ok {
		if id, ok := m[t.id.Name]; ok {
			if _, isString := id.(string); !isString && t.id.Type.Kind() == reflect.String {
				id = pinion.IDString(id)
			}
			if t.id.Set(reflect.ValueOf(&data), id) == nil {
				return data, nil
			}
		}
	}
	return t.load(res)
}

// CreateMany implements pinion.ManyCreatorOf.
func (t *Typed[T, K]) CreateMany(ctx context.Context, data []T, params *pinion.Params) ([]T, error) {
	list := make([]any, len(data))
	for i := range data {
		list[i] = t.store(&data[i])
	}
	return t.all(t.inner.Create(ctx, list, params))
}

// Update implements pinion.UpdaterOf: the record is replaced by data, its id
// kept.
func (t *Typed[T, K]) Update(ctx context.Context, id K, data T, params *pinion.Params) (T, error) {
	m := t.store(&data)
	delete(m, t.id.Name)
	return t.one(t.inner.Update(ctx, id, m, params))
}

// Patch implements pinion.PatcherOf: the fields the patch writes.
func (t *Typed[T, K]) Patch(ctx context.Context, id K, data pinion.Patch[T], params *pinion.Params) (T, error) {
	m := data.Map()
	delete(m, t.id.Name)
	return t.one(t.inner.Patch(ctx, id, m, params))
}

// PatchMany implements pinion.ManyPatcherOf.
func (t *Typed[T, K]) PatchMany(ctx context.Context, data pinion.Patch[T], params *pinion.Params) ([]T, error) {
	m := data.Map()
	delete(m, t.id.Name)
	return t.all(t.inner.Patch(ctx, nil, m, params))
}

// Remove implements pinion.RemoverOf.
func (t *Typed[T, K]) Remove(ctx context.Context, id K, params *pinion.Params) (T, error) {
	return t.one(t.inner.Remove(ctx, id, params))
}

// RemoveMany implements pinion.ManyRemoverOf.
func (t *Typed[T, K]) RemoveMany(ctx context.Context, params *pinion.Params) ([]T, error) {
	return t.all(t.inner.Remove(ctx, nil, params))
}
