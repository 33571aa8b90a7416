package pinion

import (
	"context"
)

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
