package adaptertest

import (
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// syntax ports syntax.ts ("Query Syntax"), on Bob (25), Doug (32) and Alice (19).
func (s *suite) syntax(t *testing.T) {
	// find registers a test that wants exactly the named people, in that order.
	find := func(t *testing.T, name string, query obj, want ...string) {
		s.withPeople(t, name, adapter.Options{}, func(t *testing.T, f *fixture) {
			wantNames(t, f.find(q(query)), want...)
		})
	}
	// count registers a test that wants n people.
	count := func(t *testing.T, name string, query obj, n int) {
		s.withPeople(t, name, adapter.Options{}, func(t *testing.T, f *fixture) {
			if got := f.find(q(query)); len(got) != n {
				t.Errorf("got %d records %q, want %d", len(got), names(got), n)
			}
		})
	}
	byName := obj{"name": 1.0}

	find(t, ".find + equal", obj{"name": "Alice"}, "Alice")
	find(t, ".find + equal multiple", obj{"name": "Alice", "age": 20.0})

	t.Run("special filters", func(t *testing.T) {
		s.withPeople(t, ".find + $sort", adapter.Options{}, func(t *testing.T, f *fixture) {
			wantNames(t, f.find(q(obj{"$sort": obj{"name": 1.0}})), "Alice", "Bob", "Doug")
			wantNames(t, f.find(q(obj{"$sort": obj{"name": -1.0}})), "Doug", "Bob", "Alice")
		})
		find(t, ".find + $sort + string", obj{"$sort": obj{"name": "1"}}, "Alice", "Bob", "Doug")
		count(t, ".find + $limit", obj{"$limit": 2.0}, 2)
		count(t, ".find + $limit 0", obj{"$limit": 0.0}, 0)
		find(t, ".find + $skip", obj{"$sort": byName, "$skip": 1.0}, "Bob", "Doug")
		s.withPeople(t, ".find + $select", adapter.Options{}, func(t *testing.T, f *fixture) {
			got := f.find(q(obj{"name": "Alice", "$select": []any{"name"}}))
			if len(got) != 1 {
				t.Fatalf("got %d records, want 1", len(got))
			}
			if got[0][s.id] == nil {
				t.Errorf("no %s in %v", s.id, got[0])
			}
			wantField(t, got[0], "name", "Alice")
			wantNoField(t, got[0], "age")
		})
		find(t, ".find + $or", obj{"$or": []any{obj{"name": "Alice"}, obj{"name": "Bob"}}, "$sort": byName}, "Alice", "Bob")
		find(t, ".find + $in", obj{"name": obj{"$in": []any{"Alice", "Bob"}}, "$sort": byName}, "Alice", "Bob")
		find(t, ".find + $nin", obj{"name": obj{"$nin": []any{"Alice", "Bob"}}}, "Doug")
		count(t, ".find + $lt", obj{"age": obj{"$lt": 30.0}}, 2)
		count(t, ".find + $lte", obj{"age": obj{"$lte": 25.0}}, 2)
		count(t, ".find + $gt", obj{"age": obj{"$gt": 30.0}}, 1)
		count(t, ".find + $gte", obj{"age": obj{"$gte": 25.0}}, 2)
		count(t, ".find + $ne", obj{"age": obj{"$ne": 25.0}}, 2)
	})

	find(t, ".find + $gt + $lt + $sort", obj{"age": obj{"$gt": 18.0, "$lt": 30.0}, "$sort": byName}, "Alice", "Bob")
	find(t, ".find + $or nested + $sort", obj{
		"$or":   []any{obj{"name": "Doug"}, obj{"age": obj{"$gte": 18.0, "$lt": 25.0}}},
		"$sort": byName,
	}, "Alice", "Doug")
	find(t, ".find + $and", obj{"$and": []any{obj{"age": 19.0}}, "$sort": byName}, "Alice")
	find(t, ".find + $and + $or", obj{"$and": []any{obj{"$or": []any{obj{"name": "Alice"}}}}, "$sort": byName}, "Alice")

	t.Run("params.adapter", func(t *testing.T) {
		// Feathers' params.adapter overrides adapter options per call. Pinion has
		// one such override, Params.Paginate.
		s.withPeople(t, "params.adapter + paginate", adapter.Options{}, func(t *testing.T, f *fixture) {
			page := f.page(&pinion.Params{Paginate: &pinion.Paginate{Default: 3}})
			if page.Limit != 3 || page.Skip != 0 {
				t.Errorf("limit %d skip %d, want 3 and 0", page.Limit, page.Skip)
			}
		})
		t.Run("params.adapter + multi", func(t *testing.T) {
			t.Skip("Pinion has no per-call multi option: Multi is fixed in adapter.Options")
		})
	})

	t.Run("paginate", func(t *testing.T) {
		paginated := adapter.Options{Paginate: pinion.Paginate{Default: 1, Max: 2}}
		s.withPeople(t, ".find + paginate", paginated, func(t *testing.T, f *fixture) {
			wantPage(t, f.page(q(obj{"$sort": obj{"name": -1.0}})), 3, 1, 0, "Doug")
		})
		s.withPeople(t, ".find + paginate + query", paginated, func(t *testing.T, f *fixture) {
			wantPage(t, f.page(q(obj{"$sort": obj{"name": -1.0}, "name": "Doug"})), 1, 1, 0, "Doug")
		})
		s.withPeople(t, ".find + paginate + $limit + $skip", paginated, func(t *testing.T, f *fixture) {
			page := f.page(q(obj{"$skip": 1.0, "$limit": 4.0, "$sort": obj{"name": -1.0}}))
			wantPage(t, page, 3, 2, 1, "Bob", "Alice")
		})
		s.withPeople(t, ".find + paginate + $limit 0", paginated, func(t *testing.T, f *fixture) {
			page := f.page(q(obj{"$limit": 0.0}))
			wantPage(t, page, 3, 0, 0)
			if page.Data == nil {
				t.Error("page data is nil; it must encode as []")
			}
		})
		s.withPeople(t, ".find + paginate + params", paginated, func(t *testing.T, f *fixture) {
			page := f.page(&pinion.Params{Paginate: &pinion.Paginate{Default: 3}})
			if page.Limit != 3 || page.Skip != 0 {
				t.Errorf("limit %d skip %d, want 3 and 0", page.Limit, page.Skip)
			}
			if all := f.find(noPaging(nil)); len(all) != 3 {
				t.Errorf("paginate off: %d records, want 3", len(all))
			}
		})
	})
}
