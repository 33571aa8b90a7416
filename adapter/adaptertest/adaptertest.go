// Package adaptertest is the conformance suite for Pinion database adapters: a Go
// port of Feathers' @feathersjs/adapter-tests (basic, methods, syntax) under the
// same test names, plus Pinion's own promises under "extras". Every adapter runs
// it, so that an app behaves the same on each of them:
//
//	func TestAdapter(t *testing.T) {
//		adaptertest.Run(t, "_id", func(t testing.TB, opts adapter.Options) any {
//			return mongodb.New(freshCollection(t), mongodb.Options{Options: opts})
//		})
//	}
//
// The suite calls services the way applications do, through a pinion.App and its
// hook chain, and registers a fresh service for every test with the options that
// test needs (Feathers' tests change service.options in place instead).
//
// It assumes nothing about ids beyond what create returns, and compares values
// the way JSON would see them: numbers by value whatever their Go type (int32,
// int64, float64…), times by instant, ObjectIds by their hex form.
package adaptertest

import (
	"context"
	"strconv"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Factory returns a new, empty service implementation configured with opts
// (opts.ID is set by the suite: "id" or "_id"). The suite registers it on a
// fresh pinion.App.
type Factory func(t testing.TB, opts adapter.Options) any

// Run runs the whole suite against the adapter made by newService, whose id field
// is idField ("id" or "_id").
func Run(t *testing.T, idField string, newService Factory) {
	s := &suite{id: idField, factory: newService}
	t.Run("basic", s.basic)
	t.Run("methods", s.methods)
	t.Run("syntax", s.syntax)
	t.Run("extras", s.extras)
	t.Run("owner", s.owner)
}

type suite struct {
	id      string
	factory Factory
}

// obj is a record or query literal.
type obj = map[string]any

var ctx = context.Background()

// fixture is one test's service, registered as "people" on its own app.
type fixture struct {
	t   *testing.T
	app *pinion.App
	svc *pinion.Service
}

// service registers a fresh adapter service with the adapter options and the
// service options a test needs.
func (s *suite) service(t *testing.T, opts adapter.Options, svcOpts ...pinion.ServiceOption) *fixture {
	t.Helper()
	opts.ID = s.id
	app := pinion.New()
	svc := app.Use("people", s.factory(t, opts), svcOpts...)
	if err := app.Setup(ctx); err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() { app.Teardown(ctx) })
	return &fixture{t: t, app: app, svc: svc}
}

// run registers a test on a fresh service holding the given records; fn gets
// them as created (with their ids).
func (s *suite) run(t *testing.T, name string, opts adapter.Options, seed []obj, fn func(t *testing.T, f *fixture, recs []obj)) {
	t.Run(name, func(t *testing.T) {
		f := s.service(t, opts)
		recs := make([]obj, len(seed))
		for i, r := range seed {
			recs[i] = f.create(r)
		}
		fn(t, f, recs)
	})
}

// withDoug registers a test on a service holding Doug (32), the fixture of
// Feathers' methods tests.
func (s *suite) withDoug(t *testing.T, name string, fn func(t *testing.T, f *fixture, doug obj)) {
	s.run(t, name, adapter.Options{}, []obj{{"name": "Doug", "age": 32.0}}, func(t *testing.T, f *fixture, recs []obj) {
		fn(t, f, recs[0])
	})
}

// withPeople registers a test on a service holding Bob (25), Doug (32) and
// Alice (19), the fixture of Feathers' syntax tests.
func (s *suite) withPeople(t *testing.T, name string, opts adapter.Options, fn func(t *testing.T, f *fixture)) {
	seed := []obj{{"name": "Bob", "age": 25.0}, {"name": "Doug", "age": 32.0}, {"name": "Alice", "age": 19.0}}
	s.run(t, name, opts, seed, func(t *testing.T, f *fixture, _ []obj) { fn(t, f) })
}

// q returns params carrying a query.
func q(query obj) *pinion.Params { return &pinion.Params{Query: query} }

// noPaging returns params that turn pagination off, like Feathers' paginate: false.
func noPaging(query obj) *pinion.Params {
	return &pinion.Params{Query: query, Paginate: &pinion.Paginate{}}
}

func (f *fixture) create(data obj) obj {
	f.t.Helper()
	res, err := f.svc.Create(ctx, data, nil)
	if err != nil {
		f.t.Fatalf("create %v: %v", data, err)
	}
	return record(f.t, res)
}

func (f *fixture) get(id any, params *pinion.Params) obj {
	f.t.Helper()
	res, err := f.svc.Get(ctx, id, params)
	if err != nil {
		f.t.Fatalf("get %v: %v", id, err)
	}
	return record(f.t, res)
}

// find calls find and wants a plain list.
func (f *fixture) find(params *pinion.Params) []obj {
	f.t.Helper()
	res, err := f.svc.Find(ctx, params)
	if err != nil {
		f.t.Fatalf("find: %v", err)
	}
	return records(f.t, res)
}

// page calls find and wants a page.
func (f *fixture) page(params *pinion.Params) *pinion.Page {
	f.t.Helper()
	res, err := f.svc.Find(ctx, params)
	if err != nil {
		f.t.Fatalf("find: %v", err)
	}
	page, ok := res.(*pinion.Page)
	if !ok {
		f.t.Fatalf("find returned %T, want a *pinion.Page", res)
	}
	return page
}

// createMany creates n people named name-0… in one multi create, as Feathers'
// "no pagination" tests do.
func (f *fixture) createMany(n int) []obj {
	f.t.Helper()
	items := make([]any, n)
	for i := range items {
		items[i] = obj{"name": "name-" + strconv.Itoa(i), "age": 3.0, "created": true}
	}
	res, err := f.svc.Create(ctx, items, nil)
	if err != nil {
		f.t.Fatalf("create %d: %v", n, err)
	}
	list := records(f.t, res)
	if len(list) != n {
		f.t.Fatalf("created %d records, want %d", len(list), n)
	}
	return list
}

func record(t *testing.T, v any) obj {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("got %T (%v), want a record", v, v)
	}
	return m
}

func records(t *testing.T, v any) []obj {
	t.Helper()
	list, ok := v.([]map[string]any)
	if !ok {
		t.Fatalf("got %T, want []map[string]any", v)
	}
	return list
}
