package adaptertest

import (
	"context"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// methods: the six methods for Go callers, REST and sockets.
func (s *typedSuite[K]) methods(t *testing.T) {
	none := adapter.Options{}
	s.withPeople(t, "create and get", none, func(t *testing.T, p *people[K]) {
		want := alice[K]()
		want.ID = p.alice.ID
		wantPerson(t, p.alice, want)
		wantPerson(t, p.get(p.alice.ID), want)

		hc, err := p.rest(pinion.MethodGet, idString(p.alice.ID), "", "")
		if err != nil {
			t.Fatal(err)
		}
		want.Password = "" // protected
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want)
		hc, err = p.socket(pinion.MethodGet, socketID(p.alice.ID), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want)
	})
	s.withPeople(t, "get of a missing id is a NotFound", none, func(t *testing.T, p *people[K]) {
		id := p.missing()
		msg := "No record found for id '" + idString(id) + "'"
		_, err := p.svc.Get(ctx, id, nil)
		wantCode(t, err, 404, msg)
		_, err = p.rest(pinion.MethodGet, idString(id), "", "")
		wantCode(t, err, 404, msg)
		_, err = p.socket(pinion.MethodGet, socketID(id), nil, nil)
		wantCode(t, err, 404, msg)
	})
	s.withPeople(t, "get with a query the record does not match is a NotFound", none, func(t *testing.T, p *people[K]) {
		_, err := p.svc.Get(ctx, p.alice.ID, q(obj{"name": "Bob"}))
		wantCode(t, err, 404, "No record found for id '"+idString(p.alice.ID)+"'")
		_, err = p.rest(pinion.MethodGet, idString(p.alice.ID), "", "age[$gt]=20")
		wantCode(t, err, 404, "No record found for id '"+idString(p.alice.ID)+"'")
		if got := p.get(p.alice.ID); got.Name != "Alice" {
			t.Errorf("got %+v", got)
		}
		hc, err := p.rest(pinion.MethodGet, idString(p.alice.ID), "", "age[$lt]=20")
		if err != nil || externalRecord(t, hc)["name"] != "Alice" {
			t.Errorf("get with a matching query: %v", err)
		}
	})
	s.withPeople(t, "create from REST", none, func(t *testing.T, p *people[K]) {
		hc, err := p.rest(pinion.MethodCreate, nil, `{"name":"Eve","age":40,"height":1.7,"admin":true,
			"born":"1986-05-04T03:02:01.5Z","address":{"city":"Rome","zip":100},"tags":["x","y"],"nick":"e"}`, "")
		if err != nil {
			t.Fatal(err)
		}
		rec := externalRecord(t, hc)
		got := asPerson[K](t, rec)
		want := Person[K]{ID: got.ID, Name: "Eve", Age: 40, Height: 1.7, Admin: true, Born: born("1986-05-04T03:02:01.5Z"),
			Address: Address{"Rome", 100}, Tags: []string{"x", "y"}, Nick: "e"}
		wantPerson(t, got, want)
		if got.ID == p.alice.ID || got.ID == p.bob.ID || got.ID == p.doug.ID {
			t.Errorf("a new record got an id in use: %v", got.ID)
		}
		wantPerson(t, p.get(got.ID), want)
	})
	s.withPeople(t, "create from a socket", none, func(t *testing.T, p *people[K]) {
		hc, err := p.socket(pinion.MethodCreate, nil, obj{"name": "Eve", "age": 40.0, "height": 1.7, "admin": true,
			"born": "1986-05-04T03:02:01.5Z", "address": obj{"city": "Rome", "zip": 100.0}, "tags": []any{"x", "y"}, "nick": nil}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := asPerson[K](t, externalRecord(t, hc))
		want := Person[K]{ID: got.ID, Name: "Eve", Age: 40, Height: 1.7, Admin: true, Born: born("1986-05-04T03:02:01.5Z"),
			Address: Address{"Rome", 100}, Tags: []string{"x", "y"}}
		wantPerson(t, got, want)
		wantPerson(t, p.get(got.ID), want)
	})
	s.withPeople(t, "update replaces the record and keeps its id", none, func(t *testing.T, p *people[K]) {
		// Go: the data's id is not the record's.
		got, err := p.svc.Update(ctx, p.bob.ID, Person[K]{ID: p.alice.ID, Name: "Robert", Age: 26, Rank: 9}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := Person[K]{ID: p.bob.ID, Name: "Robert", Age: 26, Rank: 9}
		wantPerson(t, got, want)
		wantPerson(t, p.get(p.bob.ID), want)
		wantPerson(t, p.get(p.alice.ID), p.alice)

		// REST: a string id, the body's read-only id dropped.
		hc, err := p.rest(pinion.MethodUpdate, idString(p.bob.ID), `{"_id":"`+idString(p.doug.ID)+`","name":"Rob","tags":["t"]}`, "")
		if err != nil {
			t.Fatal(err)
		}
		want = Person[K]{ID: p.bob.ID, Name: "Rob", Tags: []string{"t"}}
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want)
		wantPerson(t, p.get(p.bob.ID), want)

		// A socket: its id, map data.
		hc, err = p.socket(pinion.MethodUpdate, socketID(p.bob.ID), obj{"name": "Bobby", "address": obj{"city": "Nice"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = Person[K]{ID: p.bob.ID, Name: "Bobby", Address: Address{City: "Nice"}}
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want)
		wantPerson(t, p.get(p.bob.ID), want)
		if n := len(p.all()); n != 3 {
			t.Errorf("%d records after updates, want 3", n)
		}
	})
	s.withPeople(t, "update of a missing id is a NotFound", none, func(t *testing.T, p *people[K]) {
		id := p.missing()
		_, err := p.svc.Update(ctx, id, Person[K]{Name: "X"}, nil)
		wantCode(t, err, 404, "No record found for id '"+idString(id)+"'")
		_, err = p.rest(pinion.MethodUpdate, idString(id), `{"name":"X"}`, "")
		wantCode(t, err, 404, "No record found for id '"+idString(id)+"'")
	})
	s.withPeople(t, "patch writes only the fields it gives", none, func(t *testing.T, p *people[K]) {
		// A zero value named by NewPatch is written; other zero fields are not.
		got, err := p.svc.Patch(ctx, p.bob.ID, pinion.NewPatch(Person[K]{}, "age"), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := p.bob
		want.Age = 0
		wantPerson(t, got, want)
		wantPerson(t, p.get(p.bob.ID), want)

		// A non-zero field is written without being named.
		got, err = p.svc.Patch(ctx, p.bob.ID, pinion.NewPatch(Person[K]{Nick: "rob", Height: 1.81}), nil)
		if err != nil {
			t.Fatal(err)
		}
		want.Nick, want.Height = "rob", 1.81
		wantPerson(t, got, want)

		// A socket patch writes the keys of its map, false and nested objects too.
		hc, err := p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"admin": false, "address": obj{"city": "Lyon", "zip": 69001.0}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want.Admin, want.Address = false, Address{"Lyon", 69001}
		want2 := want
		want2.Password = ""
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want2)
		wantPerson(t, p.get(p.bob.ID), want)

		// A REST patch: an empty list and an empty omitempty string are given.
		hc, err = p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"tags":[],"nick":"","born":"2001-01-01T00:00:00Z"}`, "")
		if err != nil {
			t.Fatal(err)
		}
		want.Tags, want.Nick, want.Born = nil, "", born("2001-01-01T00:00:00Z")
		wantPerson(t, p.get(p.bob.ID), want)
		if rec := externalRecord(t, hc); rec["nick"] != nil {
			t.Errorf("nick = %v after patching it empty", rec["nick"])
		}

		// The other records are untouched.
		wantPerson(t, p.get(p.alice.ID), p.alice)
		wantPerson(t, p.get(p.doug.ID), p.doug)
	})
	s.withPeople(t, "a typed patch hook changes what is written", none, func(t *testing.T, p *people[K]) {
		p.svc.Hooks(pinion.Hooks{Before: pinion.HookMap{pinion.MethodPatch: {pinion.Typed(func(_ context.Context, c pinion.Context[Person[K]]) error {
			if c.Patch() == nil {
				t.Errorf("a patch hook got %T", c.HookContext.Data)
				return nil
			}
			c.Patch().Data.Rank = 0
			c.Patch().Include("rank") // a zero value, written because it is named
			return nil
		})}}})
		if _, err := p.socket(pinion.MethodPatch, socketID(p.doug.ID), obj{"name": "Douglas"}, nil); err != nil {
			t.Fatal(err)
		}
		want := p.doug
		want.Name, want.Rank = "Douglas", 0
		wantPerson(t, p.get(p.doug.ID), want)
	})
	s.withPeople(t, "patch of a missing id is a NotFound", none, func(t *testing.T, p *people[K]) {
		id := p.missing()
		_, err := p.svc.Patch(ctx, id, pinion.NewPatch(Person[K]{Age: 1}), nil)
		wantCode(t, err, 404, "No record found for id '"+idString(id)+"'")
		_, err = p.socket(pinion.MethodPatch, socketID(id), obj{"age": 1.0}, nil)
		wantCode(t, err, 404, "No record found for id '"+idString(id)+"'")
	})
	s.withPeople(t, "results share nothing with the store", none, func(t *testing.T, p *people[K]) {
		// Lists are the values a record could share: change them in place.
		change := func(list ...Person[K]) {
			for _, r := range list {
				for i := range r.Tags {
					r.Tags[i] = "changed"
				}
			}
		}
		change(p.get(p.alice.ID))
		found, err := p.svc.Find(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		change(found.Data...)
		patched, err := p.svc.Patch(ctx, p.bob.ID, pinion.NewPatch(Person[K]{Age: 26}), nil)
		if err != nil {
			t.Fatal(err)
		}
		change(patched)
		wantPerson(t, p.get(p.alice.ID), p.alice)
		want := p.bob
		want.Age = 26
		wantPerson(t, p.get(p.bob.ID), want)
		// And what a caller created with stays the caller's.
		tags := []string{"mine"}
		eve := p.create(Person[K]{Name: "Eve", Tags: tags})
		tags[0] = "changed"
		if got := p.get(eve.ID); got.Tags[0] != "mine" {
			t.Errorf("the store shares the creator's list: %v", got.Tags)
		}
	})
	s.withPeople(t, "remove", none, func(t *testing.T, p *people[K]) {
		got, err := p.svc.Remove(ctx, p.alice.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantPerson(t, got, p.alice)
		_, err = p.svc.Get(ctx, p.alice.ID, nil)
		wantCode(t, err, 404, "No record found for id '"+idString(p.alice.ID)+"'")

		hc, err := p.rest(pinion.MethodRemove, idString(p.doug.ID), "", "")
		if err != nil {
			t.Fatal(err)
		}
		want := p.doug
		want.Password = ""
		wantPerson(t, asPerson[K](t, externalRecord(t, hc)), want)
		_, err = p.rest(pinion.MethodRemove, idString(p.doug.ID), "", "")
		wantCode(t, err, 404, "No record found for id '"+idString(p.doug.ID)+"'")
		_, err = p.svc.Remove(ctx, p.bob.ID, q(obj{"admin": false}))
		wantCode(t, err, 404, "No record found for id '"+idString(p.bob.ID)+"'")
		wantPeople(t, p.all(), "Bob")
	})
}

// ids: an id arrives as K from Go, as a string over REST, as a number or a
// string over sockets; all find the same record.
func (s *typedSuite[K]) ids(t *testing.T) {
	s.withPeople(t, "ids from strings and numbers", adapter.Options{}, func(t *testing.T, p *people[K]) {
		forms := []any{p.bob.ID, idString(p.bob.ID), socketID(p.bob.ID)}
		for _, provider := range []string{"", pinion.ProviderREST, pinion.ProviderSocketIO} {
			for _, id := range forms {
				hc, err := p.svc.Call(ctx, pinion.MethodGet, id, nil, &pinion.Params{Provider: provider})
				if err != nil {
					t.Errorf("%s get %#v: %v", provider, id, err)
					continue
				}
				if _, ok := hc.ID.(K); !ok {
					t.Errorf("%s get %#v: hooks saw the id %#v, want a %T", provider, id, hc.ID, *new(K))
				}
				if got := asPerson[K](t, externalRecord(t, hc)); got.Name != "Bob" || got.ID != p.bob.ID {
					t.Errorf("%s get %#v: %+v", provider, id, got)
				}
			}
		}
		// Every method takes them.
		if _, err := p.socket(pinion.MethodPatch, idString(p.bob.ID), obj{"age": 26.0}, nil); err != nil {
			t.Error(err)
		}
		if _, err := p.rest(pinion.MethodUpdate, idString(p.bob.ID), `{"name":"Bob","age":27}`, ""); err != nil {
			t.Error(err)
		}
		if got := p.get(p.bob.ID); got.Age != 27 {
			t.Errorf("age = %d after update, want 27", got.Age)
		}
		if _, err := p.socket(pinion.MethodRemove, socketID(p.bob.ID), nil, nil); err != nil {
			t.Error(err)
		}
		wantPeople(t, p.all(), "Alice", "Doug")
	})
	s.withPeople(t, "an id of the wrong form is a BadRequest", adapter.Options{}, func(t *testing.T, p *people[K]) {
		if isString(any(*new(K))) {
			t.Skip("every string is an id of a service with string ids")
		}
		bad := []any{"not-an-id", 1.5}
		if numericIDs[K]() {
			bad = append(bad, "12x", "99999999999999999999999")
		}
		for _, id := range bad {
			_, err := p.svc.Call(ctx, pinion.MethodGet, id, nil, &pinion.Params{Provider: pinion.ProviderREST})
			fe := wantCode(t, err, 400, "")
			if want := "Invalid id '" + pinion.IDString(id) + "'"; len(fe.Message) < len(want) || fe.Message[:len(want)] != want {
				t.Errorf("message = %q, want it to start with %q", fe.Message, want)
			}
		}
	})
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
