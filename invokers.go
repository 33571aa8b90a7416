package pinion

import (
	"context"
)

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
