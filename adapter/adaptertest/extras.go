package adaptertest

import (
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// extras are Pinion's additions to the Feathers suite: behaviour both adapters
// promise beyond Feathers.
func (s *suite) extras(t *testing.T) {
	s.withDoug("patch $inc $unset $push", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Patch(ctx, doug[s.id], M{
			"$inc":   M{"age": 1.0, "visits": 2.0},
			"$unset": M{"name": ""},
			"$push":  M{"tags": "new"},
			"city":   "Berlin",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, "age", 33)
		wantField(t, rec, "visits", 2)
		wantField(t, rec, "city", "Berlin")
		wantNoField(t, rec, "name")
		if tags, ok := rec["tags"].([]any); !ok || len(tags) != 1 || tags[0] != "new" {
			t.Errorf("tags = %#v", rec["tags"])
		}
	})
	s.withDoug("patch $set merges with plain fields and keeps the id", t, func(t *testing.T, p *people, doug M) {
		got, err := p.svc.Patch(ctx, doug[s.id], M{"$set": M{"city": "Oslo"}, "name": "D", s.id: "ignored"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, got)
		wantField(t, rec, "city", "Oslo")
		wantField(t, rec, "name", "D")
		wantField(t, rec, s.id, doug[s.id])
	})
	s.withDoug("patch with an unknown operator", t, func(t *testing.T, p *people, doug M) {
		for _, op := range []string{"$rename", "$where"} {
			_, err := p.svc.Patch(ctx, doug[s.id], M{op: M{"name": "n"}}, nil)
			fe := wantError(t, err, pinion.BadRequest(""))
			if fe.Message != "Invalid patch operator "+op {
				t.Errorf("message %q", fe.Message)
			}
		}
		got, _ := p.svc.Get(ctx, doug[s.id], nil)
		wantField(t, record(t, got), "name", "Doug")
	})
	t.Run("query coercion through Fields", func(t *testing.T) {
		p := s.service(t, adapter.Options{Fields: adapter.Fields{"createdAt": adapter.Number, "read": adapter.Boolean, "at": adapter.Date}})
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		p.create(M{"name": "A", "createdAt": 5.0, "read": true, "at": at})
		p.create(M{"name": "B", "createdAt": 0.0, "read": false, "at": at.Add(time.Hour)})
		wantNames(t, p.find(q(M{"createdAt": M{"$gt": "0"}})), "A")
		wantNames(t, p.find(q(M{"read": "true"})), "A")
		wantNames(t, p.find(q(M{"createdAt": M{"$in": []any{"0"}}})), "B")
		wantNames(t, p.find(q(M{"at": M{"$gt": at.Format(time.RFC3339)}})), "B")
		_, err := p.svc.Find(ctx, q(M{"createdAt": M{"$gt": "soon"}}))
		fe := wantError(t, err, pinion.BadRequest(""))
		if fe.Message != `Invalid value for 'createdAt': "soon" is not a number` {
			t.Errorf("message %q", fe.Message)
		}
	})
	s.withThree("$select as a single string", t, adapter.Options{}, func(t *testing.T, p *people) {
		got := p.find(q(M{"$select": "name", "name": "Bob"}))
		if len(got) != 1 {
			t.Fatalf("got %d", len(got))
		}
		wantNoField(t, got[0], "age")
		wantField(t, got[0], "name", "Bob")
	})
	s.withThree("invalid queries", t, adapter.Options{}, func(t *testing.T, p *people) {
		for _, tc := range []struct {
			query   M
			message string
			data    bool
		}{
			{M{"$limit": "many"}, `Invalid $limit: "many" is not an integer`, false},
			{M{"$foo": 1.0}, "Invalid filter value $foo", false},
			{M{"name": M{"$regex": "^A"}}, "Invalid query parameter $regex", true},
			{M{"$or": []any{M{"$and": []any{}}}}, "Invalid query parameter $and", true},
			{M{"$sort": M{"name": "up"}}, "Invalid $sort value for 'name': expected 1 or -1", false},
			{M{"$skip": -1.0}, "Invalid $skip: must not be negative", false},
		} {
			_, err := p.svc.Find(ctx, q(tc.query))
			fe := wantError(t, err, pinion.BadRequest(""))
			if fe.Message != tc.message || (fe.Data != nil) != tc.data {
				t.Errorf("%v: message %q data %v, want %q (data %v)", tc.query, fe.Message, fe.Data, tc.message, tc.data)
			}
		}
	})
	s.withDoug("results are copies", t, func(t *testing.T, p *people, doug M) {
		got, _ := p.svc.Get(ctx, doug[s.id], nil)
		record(t, got)["name"] = "Mutated"
		list := p.find(nil)
		list[0]["age"] = 99.0
		again, _ := p.svc.Get(ctx, doug[s.id], nil)
		wantField(t, record(t, again), "name", "Doug")
		wantField(t, record(t, again), "age", 32)
	})
	s.withDoug("dates round-trip", t, func(t *testing.T, p *people, doug M) {
		at := time.Date(2026, 11, 22, 10, 5, 55, 0, time.UTC)
		got, err := p.svc.Patch(ctx, doug[s.id], M{"seen": at}, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen, ok := record(t, got)["seen"].(time.Time)
		if !ok || !seen.Equal(at) {
			t.Errorf("seen = %#v, want %v", record(t, got)["seen"], at)
		}
	})
}
