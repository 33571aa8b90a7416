package adaptertest

import (
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// extras are Pinion's promises beyond Feathers' suite, which every adapter keeps
// so that an app can move from one to another: MongoDB update operators in
// patch, query coercion, MongoDB matching and sorting rules, and results that
// never alias the store.
func (s *suite) extras(t *testing.T) {
	t.Run("patch", s.patchExtras)
	t.Run("queries", s.queryExtras)
	t.Run("sorting", s.sortExtras)
	t.Run("records", s.recordExtras)
}

func (s *suite) patchExtras(t *testing.T) {
	s.withDoug(t, "$inc $unset $push", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Patch(ctx, doug[s.id], obj{
			"$inc":   obj{"age": 1.0, "visits": 2.0},
			"$unset": obj{"name": ""},
			"$push":  obj{"tags": "new"},
			"city":   "Berlin",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		wantField(t, rec, "age", 33)
		wantField(t, rec, "visits", 2)
		wantField(t, rec, "city", "Berlin")
		wantField(t, rec, "tags", []any{"new"})
		wantNoField(t, rec, "name")
		wantID(t, rec, s.id, doug)

		if _, err := f.svc.Patch(ctx, doug[s.id], obj{"$push": obj{"tags": obj{"$each": []any{"a", "b"}}}, "$inc": obj{"age": -3.0}}, nil); err != nil {
			t.Fatal(err)
		}
		rec = f.get(doug[s.id], nil)
		wantField(t, rec, "tags", []any{"new", "a", "b"})
		wantField(t, rec, "age", 30)
	})
	s.withDoug(t, "$set merges with plain fields and keeps the id", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Patch(ctx, doug[s.id], obj{"$set": obj{"city": "Oslo"}, "name": "D", s.id: notFoundID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, res)
		wantField(t, rec, "city", "Oslo")
		wantField(t, rec, "name", "D")
		wantField(t, rec, "age", 32)
		wantID(t, rec, s.id, doug)
	})
	s.withDoug(t, "an unknown operator is a BadRequest", func(t *testing.T, f *fixture, doug obj) {
		for _, op := range []string{"$rename", "$where"} {
			_, err := f.svc.Patch(ctx, doug[s.id], obj{op: obj{"name": "n"}}, nil)
			wantError(t, err, pinion.BadRequest("Invalid patch operator %s", op))
		}
		wantField(t, f.get(doug[s.id], nil), "name", "Doug")
	})
	s.run(t, "multi patch and remove answer in $sort order, with $select", adapter.Options{Multi: []pinion.Method{"patch", "remove"}},
		[]obj{{"name": "B", "age": 1.0}, {"name": "C", "age": 2.0}, {"name": "A", "age": 3.0}},
		func(t *testing.T, f *fixture, _ []obj) {
			res, err := f.svc.Patch(ctx, nil, obj{"seen": true}, q(obj{"$sort": obj{"name": 1.0}, "$select": []any{"name"}}))
			if err != nil {
				t.Fatal(err)
			}
			list := records(t, res)
			wantNames(t, list, "A", "B", "C")
			for _, r := range list {
				wantNoField(t, r, "seen")
				wantNoField(t, r, "age")
			}
			res, err = f.svc.Remove(ctx, nil, q(obj{"$sort": obj{"age": -1.0}, "seen": true}))
			if err != nil {
				t.Fatal(err)
			}
			wantNames(t, records(t, res), "A", "C", "B")
		})
	t.Run("multi calls matching nothing answer an empty list", func(t *testing.T) {
		f := s.service(t, adapter.Options{Multi: []pinion.Method{"create", "patch", "remove"}})
		for name, call := range map[string]func() (any, error){
			"create": func() (any, error) { return f.svc.Create(ctx, []any{}, nil) },
			"find":   func() (any, error) { return f.svc.Find(ctx, nil) },
			"patch":  func() (any, error) { return f.svc.Patch(ctx, nil, obj{"a": 1.0}, nil) },
			"remove": func() (any, error) { return f.svc.Remove(ctx, nil, nil) },
		} {
			res, err := call()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if list := records(t, res); list == nil || len(list) != 0 {
				t.Errorf("%s answered %#v, want an empty, non-nil list (JSON [])", name, list)
			}
		}
	})
	s.withDoug(t, "update keeps the id", func(t *testing.T, f *fixture, doug obj) {
		res, err := f.svc.Update(ctx, doug[s.id], obj{s.id: notFoundID, "name": "Dougler"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantID(t, record(t, res), s.id, doug)
		wantField(t, f.get(doug[s.id], nil), "name", "Dougler")
	})
}

func (s *suite) queryExtras(t *testing.T) {
	none := adapter.Options{}
	t.Run("coercion through Fields", func(t *testing.T) {
		f := s.service(t, adapter.Options{Fields: adapter.Fields{"createdAt": adapter.Number, "read": adapter.Boolean, "at": adapter.Date}})
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		f.create(obj{"name": "A", "createdAt": 5.0, "read": true, "at": at})
		f.create(obj{"name": "B", "createdAt": 0.0, "read": false, "at": at.Add(time.Hour)})
		// REST queries are strings.
		wantNames(t, f.find(q(obj{"createdAt": obj{"$gt": "0"}})), "A")
		wantNames(t, f.find(q(obj{"createdAt": "0"})), "B")
		wantNames(t, f.find(q(obj{"read": "true"})), "A")
		wantNames(t, f.find(q(obj{"createdAt": obj{"$in": []any{"0"}}})), "B")
		wantNames(t, f.find(q(obj{"at": obj{"$gt": at.Format(time.RFC3339)}})), "B")
		_, err := f.svc.Find(ctx, q(obj{"createdAt": obj{"$gt": "soon"}}))
		wantError(t, err, pinion.BadRequest(`Invalid value for 'createdAt': "soon" is not a number`))
	})
	s.withPeople(t, "without Fields, strings are strings", none, func(t *testing.T, f *fixture) {
		wantNames(t, f.find(q(obj{"age": "25"})))
		wantNames(t, f.find(q(obj{"age": obj{"$lt": "40"}})))
		wantNames(t, f.find(q(obj{"name": obj{"$gt": 1.0}})))
	})
	s.withPeople(t, "numbers of any Go type", none, func(t *testing.T, f *fixture) {
		wantNames(t, f.find(q(obj{"age": 25})), "Bob")
		wantNames(t, f.find(q(obj{"age": obj{"$in": []any{int64(19), int32(32)}}, "$sort": obj{"age": 1}})), "Alice", "Doug")
		wantNames(t, f.find(q(obj{"age": obj{"$gt": 30}})), "Doug")
	})
	s.withPeople(t, "$select as a single string", none, func(t *testing.T, f *fixture) {
		got := f.find(q(obj{"$select": "name", "name": "Bob"}))
		if len(got) != 1 {
			t.Fatalf("got %d records, want 1", len(got))
		}
		wantNoField(t, got[0], "age")
		wantField(t, got[0], "name", "Bob")
		if got[0][s.id] == nil {
			t.Errorf("no %s in %v", s.id, got[0])
		}
	})
	s.withPeople(t, "invalid queries", none, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			query   obj
			message string
			data    bool // whether the error carries the offending query as data
		}{
			{obj{"$limit": "many"}, `Invalid $limit: "many" is not an integer`, false},
			{obj{"$foo": 1.0}, "Invalid filter value $foo", false},
			{obj{"name": obj{"$regex": "^A"}}, "Invalid query parameter $regex", true},
			{obj{"$or": []any{obj{"$and": []any{}}}}, "Invalid query parameter $and", true},
			{obj{"$sort": obj{"name": "up"}}, "Invalid $sort value for 'name': expected 1 or -1", false},
			{obj{"$skip": -1.0}, "Invalid $skip: must not be negative", false},
		} {
			_, err := f.svc.Find(ctx, q(tc.query))
			fe := wantError(t, err, pinion.BadRequest("%s", tc.message))
			if (fe.Data != nil) != tc.data {
				t.Errorf("%v: data %v, want data: %v", tc.query, fe.Data, tc.data)
			}
		}
	})
	s.run(t, "dot paths", none, []obj{
		{"name": "A", "address": obj{"city": "Oslo", "zip": 1.0}},
		{"name": "B", "address": obj{"city": "Berlin", "zip": 2.0}},
		{"name": "C"},
	}, func(t *testing.T, f *fixture, _ []obj) {
		wantNames(t, f.find(q(obj{"address.city": "Oslo"})), "A")
		wantNames(t, f.find(q(obj{"address.zip": obj{"$gt": 1.0}})), "B")
		wantNames(t, f.find(q(obj{"$or": []any{obj{"address.city": "Berlin"}, obj{"name": "C"}}, "$sort": obj{"name": 1.0}})), "B", "C")
		wantNames(t, f.find(q(obj{"$sort": obj{"address.city": -1.0}})), "A", "B", "C")
	})
	s.run(t, "array fields", none, []obj{
		{"name": "A", "tags": []any{"go", "js"}},
		{"name": "B", "tags": []any{"rust"}},
		{"name": "C"},
	}, func(t *testing.T, f *fixture, _ []obj) {
		byName := obj{"name": 1.0}
		wantNames(t, f.find(q(obj{"tags": "go"})), "A")
		wantNames(t, f.find(q(obj{"tags": obj{"$in": []any{"rust", "go"}}, "$sort": byName})), "A", "B")
		wantNames(t, f.find(q(obj{"tags": obj{"$nin": []any{"go"}}, "$sort": byName})), "B", "C")
		wantNames(t, f.find(q(obj{"tags": obj{"$ne": "go"}, "$sort": byName})), "B", "C")
		wantNames(t, f.find(q(obj{"tags": []any{"go", "js"}})), "A")
	})
	s.run(t, "null and missing fields", none, []obj{
		{"name": "A", "x": nil},
		{"name": "B"},
		{"name": "C", "x": 1.0},
	}, func(t *testing.T, f *fixture, _ []obj) {
		byName := obj{"name": 1.0}
		wantNames(t, f.find(q(obj{"x": nil, "$sort": byName})), "A", "B")
		wantNames(t, f.find(q(obj{"x": obj{"$ne": nil}})), "C")
		wantNames(t, f.find(q(obj{"x": obj{"$ne": 1.0}, "$sort": byName})), "A", "B")
		wantNames(t, f.find(q(obj{"x": obj{"$in": []any{nil}}, "$sort": byName})), "A", "B")
		wantNames(t, f.find(q(obj{"x": obj{"$gte": 0.0}})), "C")
	})
}

func (s *suite) sortExtras(t *testing.T) {
	s.run(t, "null and missing come first", adapter.Options{}, []obj{
		{"name": "A", "rank": 2.0},
		{"name": "B", "rank": nil},
		{"name": "C"},
		{"name": "D", "rank": 1.0},
	}, func(t *testing.T, f *fixture, _ []obj) {
		up := f.find(q(obj{"$sort": obj{"rank": 1.0}}))
		wantNamesAnyOrder(t, up[:2], "B", "C")
		wantNames(t, up[2:], "D", "A")
		down := f.find(q(obj{"$sort": obj{"rank": -1.0}}))
		wantNames(t, down[:2], "A", "D")
		wantNamesAnyOrder(t, down[2:], "B", "C")
	})
	s.run(t, "several fields in order", adapter.Options{}, []obj{
		{"name": "A", "age": 30.0},
		{"name": "B", "age": 20.0},
		{"name": "C", "age": 30.0},
		{"name": "D", "age": 20.0},
	}, func(t *testing.T, f *fixture, _ []obj) {
		// Go maps lose key order; transports hand $sort over as pinion.Ordered.
		sort := func(kvs ...pinion.KeyValue) *pinion.Params { return q(obj{"$sort": pinion.Ordered(kvs)}) }
		wantNames(t, f.find(sort(pinion.KeyValue{Key: "age", Value: -1.0}, pinion.KeyValue{Key: "name", Value: 1.0})), "A", "C", "B", "D")
		wantNames(t, f.find(sort(pinion.KeyValue{Key: "age", Value: "1"}, pinion.KeyValue{Key: "name", Value: "-1"})), "D", "B", "C", "A")
		wantNames(t, f.find(sort(pinion.KeyValue{Key: "name", Value: -1.0}, pinion.KeyValue{Key: "age", Value: 1.0})), "D", "C", "B", "A")
	})
}

func (s *suite) recordExtras(t *testing.T) {
	s.run(t, "results and data are copies", adapter.Options{Multi: []pinion.Method{"create"}},
		[]obj{{"name": "Doug", "age": 32.0, "address": obj{"city": "Oslo"}, "tags": []any{"a"}}},
		func(t *testing.T, f *fixture, recs []obj) {
			doug := recs[0]
			check := func(when string) {
				t.Helper()
				rec := f.get(doug[s.id], nil)
				if !same(rec["name"], "Doug") || !same(rec["age"], 32.0) ||
					!same(rec["address"], obj{"city": "Oslo"}) || !same(rec["tags"], []any{"a"}) {
					t.Errorf("after %s the stored record is %v", when, rec)
				}
			}
			mutate := func(r obj) {
				r["name"] = "Mutated"
				r["age"] = 99.0
				if a, ok := r["address"].(map[string]any); ok {
					a["city"] = "Paris"
				}
				if l, ok := r["tags"].([]any); ok && len(l) > 0 {
					l[0] = "z"
				}
			}

			mutate(doug)
			check("changing the created record")
			mutate(f.get(doug[s.id], nil))
			check("changing a got record")
			for _, r := range f.find(nil) {
				mutate(r)
			}
			check("changing found records")

			data := obj{"name": "Ann", "address": obj{"city": "Rome"}, "tags": []any{"x"}}
			ann := f.create(data)
			mutate(data)
			wantField(t, f.get(ann[s.id], nil), "address", obj{"city": "Rome"})
			wantField(t, f.get(ann[s.id], nil), "tags", []any{"x"})

			data = obj{"address": obj{"city": "Lima"}, "tags": []any{"y"}}
			if _, err := f.svc.Patch(ctx, ann[s.id], data, nil); err != nil {
				t.Fatal(err)
			}
			mutate(data)
			wantField(t, f.get(ann[s.id], nil), "address", obj{"city": "Lima"})

			data = obj{"name": "Ann", "address": obj{"city": "Kyiv"}}
			if _, err := f.svc.Update(ctx, ann[s.id], data, nil); err != nil {
				t.Fatal(err)
			}
			mutate(data)
			wantField(t, f.get(ann[s.id], nil), "address", obj{"city": "Kyiv"})
		})
	s.withDoug(t, "dates round-trip", func(t *testing.T, f *fixture, doug obj) {
		at := time.Date(2026, 11, 22, 10, 5, 55, 0, time.UTC)
		if _, err := f.svc.Patch(ctx, doug[s.id], obj{"seen": at}, nil); err != nil {
			t.Fatal(err)
		}
		seen, ok := f.get(doug[s.id], nil)["seen"].(time.Time)
		if !ok || !seen.Equal(at) {
			t.Errorf("seen = %v, want the time.Time %v", seen, at)
		}
		wantNames(t, f.find(q(obj{"seen": obj{"$gte": at}})), "Doug")
	})
	s.withDoug(t, "ids as REST sends them", func(t *testing.T, f *fixture, doug obj) {
		id := pinion.IDString(doug[s.id])
		wantID(t, f.get(id, nil), s.id, doug)
		res, err := f.svc.Patch(ctx, id, obj{"age": 33.0}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, record(t, res), "age", 33)
		if _, err := f.svc.Remove(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
		notFound(t)(f.svc.Get(ctx, doug[s.id], nil))
	})
}
