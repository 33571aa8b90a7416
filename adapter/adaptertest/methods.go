package adaptertest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// notFoundID is an id that exists nowhere: a valid ObjectId, as in Feathers.
const notFoundID = "568225fbfe21222432e836ff"

const notFoundInt = 123456789

// withDoug registers a service holding Doug (32) and runs fn.
func (s *suite) withDoug(name string, t *testing.T, fn func(t *testing.T, p *people, doug M), svcOpts ...pinion.ServiceOption) {
	t.Run(name, func(t *testing.T) {
		p := s.service(t, adapter.Options{}, svcOpts...)
		doug := p.create(M{"name": "Doug", "age": 32.0})
		fn(t, p, doug)
	})
}

func (s *suite) methods(t *testing.T) {
	t.Run("get", s.methodsGet)
	t.Run("find", func(t *testing.T) {
		s.withDoug(".find", t, func(t *testing.T, p *people, doug M) {
			if got := p.find(nil); len(got) != 1 {
				t.Errorf("got %d records", len(got))
			}
		})
	})
	t.Run("remove", s.methodsRemove)
	t.Run("update", s.methodsUpdate)
	t.Run("patch", s.methodsPatch)
	t.Run("create", s.methodsCreate)
	t.Run("internal", s.methodsInternal)
}

// notFound returns a check that a call failed with NotFound:
// notFound(t)(p.svc.Get(…)).
func notFound(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		wantError(t, err, pinion.NotFound(""))
	}
}

func (s *suite) methodsGet(t *testing.T) {
	s.withDoug(".get", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Get(ctx, doug[s.id], nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		if idString(rec[s.id]) != idString(doug[s.id]) {
			t.Errorf("id = %v, want %v", rec[s.id], doug[s.id])
		}
		wantField(t, rec, "name", "Doug")
		wantField(t, rec, "age", 32)
	})
	s.withDoug(".get + $select", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Get(ctx, doug[s.id], q(M{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "Doug")
		wantNoField(t, rec, "age")
	})
	s.withDoug(".get + id + query", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Get(ctx, doug[s.id], q(M{"name": "Tester"})))
	})
	s.withDoug(".get + NotFound", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Get(ctx, notFoundID, nil)
		fe := wantError(t, err, pinion.NotFound(""))
		if fe.Message != "No record found for id '"+notFoundID+"'" {
			t.Errorf("message %q", fe.Message)
		}
		_ = res
	})
	s.withDoug(".get + NotFound (integer)", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Get(ctx, notFoundInt, nil))
	})
	s.withDoug(".get + id + query id", t, func(t *testing.T, p *people, doug M) {
		alice := p.create(M{"name": "Alice", "age": 12.0})
		notFound(t)(p.svc.Get(ctx, doug[s.id], q(M{s.id: alice[s.id]})))
	})
}

func (s *suite) methodsRemove(t *testing.T) {
	s.withDoug(".remove", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Remove(ctx, doug[s.id], nil)
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, got), "name", "Doug")
		notFound(t)(p.svc.Get(ctx, doug[s.id], nil))
	})
	s.withDoug(".remove + $select", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Remove(ctx, doug[s.id], q(M{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "Doug")
		wantNoField(t, rec, "age")
	})
	s.withDoug(".remove + id + query", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Remove(ctx, doug[s.id], q(M{"name": "Tester"})))
		if _, err := p.svc.Get(ctx, doug[s.id], nil); err != nil {
			t.Errorf("Doug was removed: %v", err)
		}
	})
	s.withDoug(".remove + NotFound", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Remove(ctx, notFoundID, nil))
	})
	s.withDoug(".remove + NotFound (integer)", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Remove(ctx, notFoundInt, nil))
	})
	t.Run(".remove + multi", func(t *testing.T) {
		p := s.service(t, adapter.Options{})
		_, err := p.svc.Remove(ctx, nil, nil)
		wantError(t, err, pinion.MethodNotAllowed(""))

		p = s.service(t, adapter.Options{Multi: []string{"remove"}})
		p.create(M{"name": "Doug", "age": 32.0})
		p.create(M{"name": "Dave", "age": 29.0, "created": true})
		p.create(M{"name": "David", "age": 3.0, "created": true})
		got, err := p.svc.Remove(ctx, nil, q(M{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		removed := names(records(t, got))
		slices.Sort(removed)
		if !slices.Equal(removed, []string{"Dave", "David"}) {
			t.Errorf("removed %v", removed)
		}
		if left := p.find(nil); len(left) != 1 {
			t.Errorf("%d records left, want 1", len(left))
		}
	})
	t.Run(".remove + multi no pagination", func(t *testing.T) {
		p := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 100}, Multi: []string{"create", "patch", "remove"}})
		createMany(t, p, 14)
		if page := p.page(nil); len(page.Data) != 10 || page.Total != 14 {
			t.Errorf("paginated find: %d of %d", len(page.Data), page.Total)
		}
		got, err := p.svc.Remove(ctx, nil, q(M{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(records(t, got)); n != 14 {
			t.Errorf("removed %d, want all 14 despite pagination", n)
		}
	})
	s.withDoug(".remove + id + query id", t, func(t *testing.T, p *people, doug M) {
		alice := p.create(M{"name": "Alice", "age": 12.0})
		notFound(t)(p.svc.Remove(ctx, doug[s.id], q(M{s.id: alice[s.id]})))
	})
}

func createMany(t *testing.T, p *people, n int) []M {
	t.Helper()
	items := make([]any, n)
	for i := range items {
		items[i] = M{"name": fmt.Sprintf("name-%d", i), "age": 3.0, "created": true}
	}
	got, err := p.svc.Create(ctx, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	list := records(t, got)
	if len(list) != n {
		t.Fatalf("created %d, want %d", len(list), n)
	}
	if all := p.find(&pinion.Params{Paginate: &pinion.Paginate{}}); len(all) != n {
		t.Fatalf("find without pagination: %d, want %d", len(all), n)
	}
	return list
}

func (s *suite) methodsUpdate(t *testing.T) {
	s.withDoug(".update", t, func(t *testing.T, p *people, doug M) {
		data := M{s.id: doug[s.id], "name": "Dougler"}
		orig := maps.Clone(data)
		got, err := p.svc.Update(ctx, doug[s.id], data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(data, orig) {
			t.Errorf("data was modified: %v", data)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "Dougler")
		wantNoField(t, rec, "age")
	})
	s.withDoug(".update + $select", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Update(ctx, doug[s.id], M{s.id: doug[s.id], "name": "Dougler", "age": 10.0}, q(M{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "Dougler")
		wantNoField(t, rec, "age")
	})
	s.withDoug(".update + id + query", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Update(ctx, doug[s.id], M{"name": "Dougler"}, q(M{"name": "Tester"})))
		got, _ := p.svc.Get(ctx, doug[s.id], nil)
		wantField(t, record(t, got), "name", "Doug")
	})
	s.withDoug(".update + NotFound", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Update(ctx, notFoundID, M{"name": "NotFound"}, nil))
	})
	s.withDoug(".update + NotFound (integer)", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Update(ctx, notFoundInt, M{"name": "NotFound"}, nil))
	})
	s.withDoug(".update + query + NotFound", t, func(t *testing.T, p *people, doug M) {
		dave := p.create(M{"name": "Dave"})
		notFound(t)(p.svc.Update(ctx, dave[s.id], M{"name": "UpdatedDave"}, q(M{"name": "NotDave"})))
	})
	s.withDoug(".update + id + query id", t, func(t *testing.T, p *people, doug M) {
		alice := p.create(M{"name": "Alice", "age": 12.0})
		notFound(t)(p.svc.Update(ctx, doug[s.id], M{"name": "Dougler", "age": 33.0}, q(M{s.id: alice[s.id]})))
	})
}

func (s *suite) methodsPatch(t *testing.T) {
	s.withDoug(".patch", t, func(t *testing.T, p *people, doug M) {
		data := M{s.id: doug[s.id], "name": "PatchDoug"}
		orig := maps.Clone(data)
		got, err := p.svc.Patch(ctx, doug[s.id], data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(data, orig) {
			t.Errorf("data was modified: %v", data)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "PatchDoug")
		wantField(t, rec, "age", 32)
	})
	s.withDoug(".patch + $select", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Patch(ctx, doug[s.id], M{s.id: doug[s.id], "name": "PatchDoug"}, q(M{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, s.id, doug[s.id])
		wantField(t, rec, "name", "PatchDoug")
		wantNoField(t, rec, "age")
	})
	s.withDoug(".patch + id + query", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Patch(ctx, doug[s.id], M{"name": "id patched doug"}, q(M{"name": "Tester"})))
	})
	t.Run(".patch multiple", func(t *testing.T) {
		p := s.service(t, adapter.Options{})
		_, err := p.svc.Patch(ctx, nil, M{}, nil)
		wantError(t, err, pinion.MethodNotAllowed(""))

		p = s.service(t, adapter.Options{Multi: []string{"patch"}})
		p.create(M{"name": "Doug", "age": 32.0})
		p.create(M{"name": "Dave", "age": 29.0, "created": true})
		p.create(M{"name": "David", "age": 3.0, "created": true})
		got, err := p.svc.Patch(ctx, nil, M{"age": 2.0}, q(M{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		list := records(t, got)
		if len(list) != 2 {
			t.Fatalf("patched %d, want 2", len(list))
		}
		for _, r := range list {
			wantField(t, r, "age", 2)
		}
	})
	t.Run(".patch multiple no pagination", func(t *testing.T) {
		p := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 100}, Multi: []string{"create", "patch", "remove"}})
		createMany(t, p, 14)
		got, err := p.svc.Patch(ctx, nil, M{"age": 4.0}, q(M{"created": true}))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(records(t, got)); n != 14 {
			t.Errorf("patched %d, want all 14 despite pagination", n)
		}
	})
	for _, tc := range []struct {
		name  string
		query M
		ages  [2]float64
	}{
		{".patch multi query same", M{"age": M{"$lt": 10.0}}, [2]float64{8, 4}},
		{".patch multi query changed", M{"age": 10.0}, [2]float64{10, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := s.service(t, adapter.Options{Multi: []string{"create", "patch", "remove"}})
			p.create(M{"name": "Dave", "age": tc.ages[0], "created": true})
			p.create(M{"name": "David", "age": tc.ages[1], "created": true})
			got, err := p.svc.Patch(ctx, nil, M{"age": 2.0}, q(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			list := records(t, got)
			if len(list) != 2 {
				t.Fatalf("patched %d records, want 2 (the records must be found again after their query fields changed)", len(list))
			}
			for _, r := range list {
				wantField(t, r, "age", 2)
			}
		})
	}
	s.withDoug(".patch + NotFound", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Patch(ctx, notFoundID, M{"name": "PatchDoug"}, nil))
	})
	s.withDoug(".patch + NotFound (integer)", t, func(t *testing.T, p *people, doug M) {
		notFound(t)(p.svc.Patch(ctx, notFoundInt, M{"name": "PatchDoug"}, nil))
	})
	s.withDoug(".patch + query + NotFound", t, func(t *testing.T, p *people, doug M) {
		dave := p.create(M{"name": "Dave"})
		notFound(t)(p.svc.Patch(ctx, dave[s.id], M{"name": "PatchedDave"}, q(M{"name": "NotDave"})))
	})
	s.withDoug(".patch + id + query id", t, func(t *testing.T, p *people, doug M) {
		alice := p.create(M{"name": "Alice", "age": 12.0})
		notFound(t)(p.svc.Patch(ctx, doug[s.id], M{"age": 33.0}, q(M{s.id: alice[s.id]})))
	})
}

func (s *suite) methodsCreate(t *testing.T) {
	s.withDoug(".create", t, func(t *testing.T, p *people, doug M) {
		data := M{"name": "Bill", "age": 40.0}
		orig := maps.Clone(data)
		got, err := p.svc.Create(ctx, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(data, orig) {
			t.Errorf("data was modified: %v", data)
		}
		wantField(t, record(t, got), "name", "Bill")
	})
	s.withDoug(".create ignores query", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Create(ctx, M{"name": "Billy", "age": 42.0}, q(M{"name": "Dave"}))
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, got), "name", "Billy")
	})
	s.withDoug(".create + $select", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Create(ctx, M{"name": "William", "age": 23.0}, q(M{"$select": []any{"name"}}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		if _, ok := rec[s.id]; !ok {
			t.Errorf("no id in %v", rec)
		}
		wantField(t, rec, "name", "William")
		wantNoField(t, rec, "age")
	})
	t.Run(".create multi", func(t *testing.T) {
		p := s.service(t, adapter.Options{})
		_, err := p.svc.Create(ctx, []any{}, nil)
		wantError(t, err, pinion.MethodNotAllowed(""))

		p = s.service(t, adapter.Options{Multi: []string{"create"}})
		got, err := p.svc.Create(ctx, []any{M{"name": "Gerald", "age": 18.0}, M{"name": "Herald", "age": 18.0}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		list := records(t, got)
		wantNames(t, list, "Gerald", "Herald")
		for _, r := range list {
			if _, ok := r[s.id]; !ok {
				t.Errorf("no id in %v", r)
			}
		}
	})
}

// methodsInternal: the underlying implementation called directly, without hooks
// (Feathers' _get, _find… "internal" tests).
func (s *suite) methodsInternal(t *testing.T) {
	s.withDoug("internal .find", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Finder).Find(ctx, &pinion.Params{})
		if err != nil || len(records(t, res)) != 1 {
			t.Errorf("%v %v", res, err)
		}
	})
	s.withDoug("internal .get", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Getter).Get(ctx, doug[s.id], &pinion.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Doug")
	})
	s.withDoug("internal .create", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Creator).Create(ctx, M{"name": "Bill"}, &pinion.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Bill")
	})
	s.withDoug("internal .update", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Updater).Update(ctx, doug[s.id], M{"name": "Dougler"}, &pinion.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Dougler")
	})
	s.withDoug("internal .patch", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Patcher).Patch(ctx, doug[s.id], M{"name": "PatchDoug"}, &pinion.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "PatchDoug")
	})
	s.withDoug("internal .remove", t, func(t *testing.T, p *people, doug M) {
		res, err := p.svc.Impl().(pinion.Remover).Remove(ctx, doug[s.id], &pinion.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "name", "Doug")
	})
}
