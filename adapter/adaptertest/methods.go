package adaptertest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// notFoundID exists nowhere: a valid ObjectId, as in Feathers' tests.
const notFoundID = "568225fbfe21222432e836ff"

// notFoundInt is the integer id of the "(integer)" tests. The MongoDB adapter
// takes it as an id that is not an ObjectId, which matches nothing.
const notFoundInt = 123456789

// methods ports methods.ts (" Methods").
func (s *suite) methods(t *testing.T) {
	t.Run("get", s.get)
	t.Run("find", func(t *testing.T) {
		s.withDoug(t, ".find", func(t *testing.T, f *fixture, doug obj) {
			if got := f.find(nil); len(got) != 1 {
				t.Errorf("got %d records, want 1", len(got))
			}
		})
	})
	t.Run("remove", s.remove)
	t.Run("update", s.update)
	t.Run("patch", s.patch)
	t.Run("create", s.create)
	t.Run("doesn't call public methods internally", s.internal)
}

// notFoundTests are the tests every method taking an id shares: call is the
// method with data where it takes some.
func (s *suite) notFoundTests(t *testing.T, method string, call func(f *fixture, id any, params *pinion.Params) (any, error)) {
	s.withDoug(t, "."+method+" + id + query", func(t *testing.T, f *fixture, doug obj) {
		notFound(t)(call(f, doug[s.id], q(obj{"name": "Tester"})))
		wantField(t, f.get(doug[s.id], nil), "name", "Doug")
	})
	s.withDoug(t, "."+method+" + NotFound", func(t *testing.T, f *fixture, doug obj) {
		_, err := call(f, notFoundID, nil)
		wantError(t, err, pinion.NotFound("No record found for id '%s'", notFoundID))
	})
	s.withDoug(t, "."+method+" + NotFound (integer)", func(t *testing.T, f *fixture, doug obj) {
		notFound(t)(call(f, notFoundInt, nil))
	})
	s.withDoug(t, "."+method+" + id + query id", func(t *testing.T, f *fixture, doug obj) {
		alice := f.create(obj{"name": "Alice", "age": 12.0})
		notFound(t)(call(f, doug[s.id], q(obj{s.id: alice[s.id]})))
		wantField(t, f.get(doug[s.id], nil), "name", "Doug")
	})
	if method == "get" || method == "remove" {
		return
	}
	s.withDoug(t, "."+method+" + query + NotFound", func(t *testing.T, f *fixture, doug obj) {
		dave := f.create(obj{"name": "Dave"})
		notFound(t)(call(f, dave[s.id], q(obj{"name": "NotDave"})))
		wantField(t, f.get(dave[s.id], nil), "name", "Dave")
	})
}

func (s *suite) get(t *testing.T) {
	s.withDoug(t, ".get", func(t *testing.T, f *fixture, doug obj) {
		rec := f.get(doug[s.id], nil)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "Doug")
		wantField(t, rec, "age", 32)
	})
	s.withDoug(t, ".get + $select", func(t *testing.T, f *fixture, doug obj) {
		rec := f.get(doug[s.id], q(obj{"$select": []any{"name"}}))
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "Doug")
		wantNoField(t, rec, "age")
	})
	s.notFoundTests(t, "get", func(f *fixture, id any, params *pinion.Params) (any, error) {
		return f.svc.Get(ctx, id, params)
	})
}

func (s *suite) remove(t *testing.T) {
	s.withDoug(t, ".remove", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Remove(ctx, doug[s.id], nil)
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Doug")
		notFound(t)(f.svc.Get(ctx, doug[s.id], nil))
	})
	s.withDoug(t, ".remove + $select", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Remove(ctx, doug[s.id], q(obj{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "Doug")
		wantNoField(t, rec, "age")
	})
	s.notFoundTests(t, "remove", func(f *fixture, id any, params *pinion.Params) (any, error) {
		return f.svc.Remove(ctx, id, params)
	})
	t.Run(".remove + multi", func(t *testing.T) {
		f := s.service(t, adapter.Options{})
		_, err := f.svc.Remove(ctx, nil, nil)
		wantError(t, err, pinion.MethodNotAllowed("Can not remove multiple entries"))

		f = s.service(t, adapter.Options{Multi: []pinion.Method{"remove"}})
		f.create(obj{"name": "Doug", "age": 32.0})
		f.create(obj{"name": "Dave", "age": 29.0, "created": true})
		f.create(obj{"name": "David", "age": 3.0, "created": true})
		res, err := f.svc.Remove(ctx, nil, q(obj{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		wantNamesAnyOrder(t, records(t, res), "Dave", "David")
		wantNames(t, f.find(nil), "Doug")
	})
	t.Run(".remove + multi no pagination", func(t *testing.T) {
		f := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 100}, Multi: []pinion.Method{"create", "patch", "remove"}})
		if n := len(f.find(noPaging(nil))); n != 0 {
			t.Fatalf("%d items before", n)
		}
		f.createMany(14)
		if n := len(f.find(noPaging(nil))); n != 14 {
			t.Errorf("find without pagination: %d records, want 14", n)
		}
		if n := len(f.page(nil).Data); n != 10 {
			t.Errorf("paginated find: %d records, want 10", n)
		}
		res, err := f.svc.Remove(ctx, nil, q(obj{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(records(t, res)); n != 14 {
			t.Errorf("removed %d records, want all 14 despite pagination", n)
		}
	})
}

func (s *suite) update(t *testing.T) {
	s.withDoug(t, ".update", func(t *testing.T, f *fixture, doug obj) {
		data := obj{s.id: doug[s.id], "name": "Dougler"}
		check := unchanged(data)
		res, err := f.svc.Update(ctx, doug[s.id], data, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t)
		rec := record(t, res)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "Dougler")
		wantNoField(t, rec, "age")
	})
	s.withDoug(t, ".update + $select", func(t *testing.T, f *fixture, doug obj) {
		data := obj{s.id: doug[s.id], "name": "Dougler", "age": 10.0}
		res, err := f.svc.Update(ctx, doug[s.id], data, q(obj{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "Dougler")
		wantNoField(t, rec, "age")
	})
	s.notFoundTests(t, "update", func(f *fixture, id any, params *pinion.Params) (any, error) {
		return f.svc.Update(ctx, id, obj{"name": "Dougler", "age": 33.0}, params)
	})
}

func (s *suite) patch(t *testing.T) {
	s.withDoug(t, ".patch", func(t *testing.T, f *fixture, doug obj) {
		data := obj{s.id: doug[s.id], "name": "PatchDoug"}
		check := unchanged(data)
		res, err := f.svc.Patch(ctx, doug[s.id], data, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t)
		rec := record(t, res)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "PatchDoug")
		wantField(t, rec, "age", 32)
	})
	s.withDoug(t, ".patch + $select", func(t *testing.T, f *fixture, doug obj) {
		data := obj{s.id: doug[s.id], "name": "PatchDoug"}
		res, err := f.svc.Patch(ctx, doug[s.id], data, q(obj{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		wantID(t, rec, s.id, doug)
		wantField(t, rec, "name", "PatchDoug")
		wantNoField(t, rec, "age")
	})
	s.notFoundTests(t, "patch", func(f *fixture, id any, params *pinion.Params) (any, error) {
		return f.svc.Patch(ctx, id, obj{"name": "PatchDoug", "age": 33.0}, params)
	})
	t.Run(".patch multiple", func(t *testing.T) {
		f := s.service(t, adapter.Options{})
		_, err := f.svc.Patch(ctx, nil, obj{}, nil)
		wantError(t, err, pinion.MethodNotAllowed("Can not patch multiple entries"))

		f = s.service(t, adapter.Options{Multi: []pinion.Method{"patch"}})
		doug := f.create(obj{"name": "Doug", "age": 32.0})
		f.create(obj{"name": "Dave", "age": 29.0, "created": true})
		f.create(obj{"name": "David", "age": 3.0, "created": true})
		res, err := f.svc.Patch(ctx, nil, obj{"age": 2.0}, q(obj{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		list := records(t, res)
		wantNamesAnyOrder(t, list, "Dave", "David")
		for _, r := range list {
			wantField(t, r, "age", 2)
		}
		wantField(t, f.get(doug[s.id], nil), "age", 32)
	})
	t.Run(".patch multiple no pagination", func(t *testing.T) {
		f := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 100}, Multi: []pinion.Method{"create", "patch", "remove"}})
		f.createMany(14)
		if n := len(f.page(nil).Data); n != 10 {
			t.Errorf("paginated find: %d records, want 10", n)
		}
		res, err := f.svc.Patch(ctx, nil, obj{"age": 4.0}, q(obj{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(records(t, res)); n != 14 {
			t.Errorf("patched %d records, want all 14 despite pagination", n)
		}
	})
	for _, tc := range []struct {
		name  string
		query obj
		ages  [2]float64
	}{
		{".patch multi query same", obj{"age": obj{"$lt": 10.0}}, [2]float64{8, 4}},
		// The patch changes the field the query selects on: the adapter must still
		// answer the records it patched.
		{".patch multi query changed", obj{"age": 10.0}, [2]float64{10, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := s.service(t, adapter.Options{Multi: []pinion.Method{"create", "patch", "remove"}})
			f.create(obj{"name": "Dave", "age": tc.ages[0], "created": true})
			f.create(obj{"name": "David", "age": tc.ages[1], "created": true})
			res, err := f.svc.Patch(ctx, nil, obj{"age": 2.0}, q(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			list := records(t, res)
			wantNamesAnyOrder(t, list, "Dave", "David")
			for _, r := range list {
				wantField(t, r, "age", 2)
			}
		})
	}
}

func (s *suite) create(t *testing.T) {
	s.withDoug(t, ".create", func(t *testing.T, f *fixture, doug obj) {
		data := obj{"name": "Bill", "age": 40.0}
		check := unchanged(data)
		res, err := f.svc.Create(ctx, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t)
		rec := record(t, res)
		wantField(t, rec, "name", "Bill")
		wantField(t, f.get(rec[s.id], nil), "age", 40)
	})
	s.withDoug(t, ".create ignores query", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Create(ctx, obj{"name": "Billy", "age": 42.0}, q(obj{"name": "Dave"}))
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Billy")
	})
	s.withDoug(t, ".create + $select", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Create(ctx, obj{"name": "William", "age": 23.0}, q(obj{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		if rec[s.id] == nil {
			t.Errorf("no %s in %v", s.id, rec)
		}
		wantField(t, rec, "name", "William")
		wantNoField(t, rec, "age")
	})
	t.Run(".create multi", func(t *testing.T) {
		f := s.service(t, adapter.Options{})
		_, err := f.svc.Create(ctx, []any{}, nil)
		wantError(t, err, pinion.MethodNotAllowed("Can not create multiple entries"))

		f = s.service(t, adapter.Options{Multi: []pinion.Method{"create", "patch"}})
		res, err := f.svc.Create(ctx, []any{obj{"name": "Gerald", "age": 18.0}, obj{"name": "Herald", "age": 18.0}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		list := records(t, res)
		wantNames(t, list, "Gerald", "Herald")
		for _, r := range list {
			if r[s.id] == nil {
				t.Errorf("no %s in %v", s.id, r)
			}
		}
		if len(list) == 2 && same(list[0][s.id], list[1][s.id]) {
			t.Errorf("both records have the id %v", list[0][s.id])
		}
	})
}

// internal ports "doesn't call public methods internally": Feathers calls each
// method with the public methods replaced by throwing ones. Here a service hook
// fails the test when a call enters the hook chain again before it returned, which
// is what an implementation calling its own service would do.
func (s *suite) internal(t *testing.T) {
	call := func(f *fixture, method pinion.Method, doug obj) (any, error) {
		id := doug[s.id]
		switch method {
		case pinion.MethodFind:
			return f.svc.Find(ctx, nil)
		case pinion.MethodGet:
			return f.svc.Get(ctx, id, nil)
		case pinion.MethodCreate:
			return f.svc.Create(ctx, obj{"name": "Bob", "age": 25.0}, nil)
		case pinion.MethodUpdate:
			return f.svc.Update(ctx, id, obj{"name": "Dougler"}, nil)
		case pinion.MethodPatch:
			return f.svc.Patch(ctx, id, obj{"name": "PatchDoug"}, nil)
		}
		return f.svc.Remove(ctx, id, nil)
	}
	for _, m := range pinion.StandardMethods {
		s.withDoug(t, "internal ."+string(m), func(t *testing.T, f *fixture, doug obj) {
			var depth atomic.Int32
			f.svc.Hooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {
				func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
					if depth.Add(1) > 1 {
						t.Errorf("%s called the public %s method of its own service", m, hc.Method)
					}
					defer depth.Add(-1)
					return next(ctx)
				},
			}}})
			res, err := call(f, m, doug)
			if err != nil {
				t.Fatal(err)
			}
			if len(pinion.Records(res)) == 0 {
				t.Errorf("%s answered %v", m, res)
			}
		})
	}
}
