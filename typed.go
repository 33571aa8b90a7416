package pinion

import (
	"context"
	"fmt"
	"reflect"

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
