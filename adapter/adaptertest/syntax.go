package adaptertest

import (
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// withThree registers a service holding Bob (25), Doug (32) and Alice (19).
func (s *suite) withThree(name string, t *testing.T, opts adapter.Options, fn func(t *testing.T, p *people)) {
	t.Run(name, func(t *testing.T) {
		p := s.service(t, opts)
		for _, r := range []M{{"name": "Bob", "age": 25.0}, {"name": "Doug", "age": 32.0}, {"name": "Alice", "age": 19.0}} {
			p.create(r)
		}
		fn(t, p)
	})
}

func (s *suite) syntax(t *testing.T) {
	none := adapter.Options{}
	find := func(name string, query M, want ...string) {
		s.withThree(name, t, none, func(t *testing.T, p *people) {
			wantNames(t, p.find(q(query)), want...)
		})
	}
	count := func(name string, query M, n int) {
		s.withThree(name, t, none, func(t *testing.T, p *people) {
			if got := p.find(q(query)); len(got) != n {
				t.Errorf("got %d records (%v), want %d", len(got), names(got), n)
			}
		})
	}
	byName := M{"name": 1.0}
	find(".find + equal", M{"name": "Alice"}, "Alice")
	find(".find + equal multiple", M{"name": "Alice", "age": 20.0})
	s.withThree(".find + $sort", t, none, func(t *testing.T, p *people) {
		wantNames(t, p.find(q(M{"$sort": M{"name": 1.0}})), "Alice", "Bob", "Doug")
		wantNames(t, p.find(q(M{"$sort": M{"name": -1.0}})), "Doug", "Bob", "Alice")
	})
	find(".find + $sort + string", M{"$sort": M{"name": "1"}}, "Alice", "Bob", "Doug")
	count(".find + $limit", M{"$limit": 2.0}, 2)
	count(".find + $limit 0", M{"$limit": 0.0}, 0)
	find(".find + $skip", M{"$sort": byName, "$skip": 1.0}, "Bob", "Doug")
	s.withThree(".find + $select", t, none, func(t *testing.T, p *people) {
		got := p.find(q(M{"name": "Alice", "$select": []any{"name"}}))
		if len(got) != 1 {
			t.Fatalf("got %d", len(got))
		}
		if _, ok := got[0][s.id]; !ok {
			t.Errorf("no id in %v", got[0])
		}
		wantField(t, got[0], "name", "Alice")
		wantNoField(t, got[0], "age")
	})
	find(".find + $or", M{"$or": []any{M{"name": "Alice"}, M{"name": "Bob"}}, "$sort": byName}, "Alice", "Bob")
	find(".find + $in", M{"name": M{"$in": []any{"Alice", "Bob"}}, "$sort": byName}, "Alice", "Bob")
	find(".find + $nin", M{"name": M{"$nin": []any{"Alice", "Bob"}}}, "Doug")
	count(".find + $lt", M{"age": M{"$lt": 30.0}}, 2)
	count(".find + $lte", M{"age": M{"$lte": 25.0}}, 2)
	count(".find + $gt", M{"age": M{"$gt": 30.0}}, 1)
	count(".find + $gte", M{"age": M{"$gte": 25.0}}, 2)
	count(".find + $ne", M{"age": M{"$ne": 25.0}}, 2)
	find(".find + $gt + $lt + $sort", M{"age": M{"$gt": 18.0, "$lt": 30.0}, "$sort": byName}, "Alice", "Bob")
	find(".find + $or nested + $sort", M{
		"$or":   []any{M{"name": "Doug"}, M{"age": M{"$gte": 18.0, "$lt": 25.0}}},
		"$sort": byName,
	}, "Alice", "Doug")
	find(".find + $and", M{"$and": []any{M{"age": 19.0}}, "$sort": byName}, "Alice")
	find(".find + $and + $or", M{"$and": []any{M{"$or": []any{M{"name": "Alice"}}}}, "$sort": byName}, "Alice")

	s.withThree("params.adapter + paginate", t, none, func(t *testing.T, p *people) {
		page := p.page(&pinion.Params{Paginate: &pinion.Paginate{Default: 3}})
		if page.Limit != 3 || page.Skip != 0 {
			t.Errorf("limit %d skip %d", page.Limit, page.Skip)
		}
	})
	t.Run("params.adapter + multi", func(t *testing.T) {
		t.Skip("Pinion has no per-call adapter options (params.adapter) besides Params.Paginate; multi is adapter.Options.Multi")
	})

	paginated := adapter.Options{Paginate: pinion.Paginate{Default: 1, Max: 2}}
	s.withThree(".find + paginate", t, paginated, func(t *testing.T, p *people) {
		page := p.page(q(M{"$sort": M{"name": -1.0}}))
		wantPage(t, page, 3, 1, 0, "Doug")
	})
	s.withThree(".find + paginate + query", t, paginated, func(t *testing.T, p *people) {
		page := p.page(q(M{"$sort": M{"name": -1.0}, "name": "Doug"}))
		wantPage(t, page, 1, 1, 0, "Doug")
	})
	s.withThree(".find + paginate + $limit + $skip", t, paginated, func(t *testing.T, p *people) {
		page := p.page(q(M{"$skip": 1.0, "$limit": 4.0, "$sort": M{"name": -1.0}}))
		wantPage(t, page, 3, 2, 1, "Bob", "Alice")
	})
	s.withThree(".find + paginate + $limit 0", t, paginated, func(t *testing.T, p *people) {
		page := p.page(q(M{"$limit": 0.0}))
		wantPage(t, page, 3, 0, 0)
	})
	s.withThree(".find + paginate + params", t, paginated, func(t *testing.T, p *people) {
		page := p.page(&pinion.Params{Paginate: &pinion.Paginate{Default: 3}})
		if page.Limit != 3 || page.Skip != 0 {
			t.Errorf("limit %d skip %d", page.Limit, page.Skip)
		}
		if all := p.find(&pinion.Params{Paginate: &pinion.Paginate{}}); len(all) != 3 {
			t.Errorf("paginate off: %d records", len(all))
		}
	})
}

func wantPage(t *testing.T, page *pinion.Page, total, limit, skip int, names ...string) {
	t.Helper()
	if page.Total != total || page.Limit != limit || page.Skip != skip {
		t.Errorf("page {total %d limit %d skip %d}, want {%d %d %d}", page.Total, page.Limit, page.Skip, total, limit, skip)
	}
	wantNames(t, page.Data, names...)
}
