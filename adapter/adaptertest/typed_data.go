package adaptertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

var allMulti = adapter.Options{Multi: []pinion.Method{pinion.MethodCreate, pinion.MethodPatch, pinion.MethodRemove}}

// multi: lists in create, patch and remove without an id, allowed or
// refused by Options.Multi.
func (s *typedSuite[K]) multi(t *testing.T) {
	s.withPeople(t, "multi create, patch and remove when allowed", allMulti, func(t *testing.T, p *people[K]) {
		created, err := p.svc.CreateMany(ctx, []Person[K]{{Name: "Eve", Age: 40}, {Name: "Fred", Age: 41}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, created, "Eve", "Fred")
		if created[0].ID == created[1].ID {
			t.Errorf("two records with the id %v", created[0].ID)
		}
		hc, err := p.socket(pinion.MethodCreate, nil, []any{obj{"name": "Gil", "age": 42.0}, obj{"name": "Hal"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, peopleOf[K](t, externalList(t, hc)), "Gil", "Hal")
		hc, err = p.rest(pinion.MethodCreate, nil, `[{"name":"Ida","admin":true}]`, "")
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, peopleOf[K](t, externalList(t, hc)), "Ida")
		wantPeople(t, p.all(), "Alice", "Bob", "Doug", "Eve", "Fred", "Gil", "Hal", "Ida")

		patched, err := p.svc.PatchMany(ctx, pinion.NewPatch(Person[K]{Nick: "admin"}, "admin"), q(obj{"admin": true, "$sort": obj{"name": 1}}))
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, patched, "Bob", "Ida")
		for _, r := range patched {
			if r.Admin || r.Nick != "admin" {
				t.Errorf("patched %+v, want admin false, nick admin", r)
			}
		}
		hc, err = p.rest(pinion.MethodPatch, nil, `{"height":2}`, "age[$gte]=40&$sort[age]=-1")
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, peopleOf[K](t, externalList(t, hc)), "Gil", "Fred", "Eve")
		if got := p.get(created[0].ID); got.Height != 2 || got.Age != 40 {
			t.Errorf("Eve after a multi patch: %+v", got)
		}

		removed, err := p.svc.RemoveMany(ctx, q(obj{"address.city": "Berlin"}))
		if err != nil {
			t.Fatal(err)
		}
		wantPeopleAnyOrder(t, removed, "Alice", "Doug")
		hc, err = p.socket(pinion.MethodRemove, nil, nil, obj{"age": obj{"$gte": 40.0}})
		if err != nil {
			t.Fatal(err)
		}
		wantPeopleAnyOrder(t, peopleOf[K](t, externalList(t, hc)), "Eve", "Fred", "Gil")
		wantPeople(t, p.all(), "Bob", "Hal", "Ida")
	})
	s.withPeople(t, "multi calls refused without Options.Multi", adapter.Options{}, func(t *testing.T, p *people[K]) {
		const create, patch, remove = "Can not create multiple entries", "Can not patch multiple entries", "Can not remove multiple entries"
		_, err := p.svc.CreateMany(ctx, []Person[K]{{Name: "Eve"}}, nil)
		wantCode(t, err, 405, create)
		_, err = p.socket(pinion.MethodCreate, nil, []any{obj{"name": "Eve"}}, nil)
		wantCode(t, err, 405, create)
		_, err = p.rest(pinion.MethodCreate, nil, `[{"name":"Eve"},{"name":"Fred"}]`, "")
		wantCode(t, err, 405, create)
		_, err = p.svc.PatchMany(ctx, pinion.NewPatch(Person[K]{Age: 1}), nil)
		wantCode(t, err, 405, patch)
		_, err = p.rest(pinion.MethodPatch, nil, `{"age":1}`, "admin=true")
		wantCode(t, err, 405, patch)
		_, err = p.svc.RemoveMany(ctx, q(obj{"admin": true}))
		wantCode(t, err, 405, remove)
		_, err = p.socket(pinion.MethodRemove, nil, nil, nil)
		wantCode(t, err, 405, remove)

		wantPerson(t, p.get(p.bob.ID), p.bob)
		wantPeople(t, p.all(), "Alice", "Bob", "Doug")
		if len(p.events) != 0 {
			t.Errorf("refused calls sent events: %v", p.events)
		}
		// One record at a time is still fine.
		if _, err := p.socket(pinion.MethodCreate, nil, obj{"name": "Eve"}, nil); err != nil {
			t.Error(err)
		}
	})
	s.withPeople(t, "multi refused per method", adapter.Options{Multi: []pinion.Method{pinion.MethodPatch}}, func(t *testing.T, p *people[K]) {
		_, err := p.svc.CreateMany(ctx, []Person[K]{{Name: "Eve"}}, nil)
		wantCode(t, err, 405, "Can not create multiple entries")
		_, err = p.svc.RemoveMany(ctx, nil)
		wantCode(t, err, 405, "Can not remove multiple entries")
		patched, err := p.svc.PatchMany(ctx, pinion.NewPatch(Person[K]{Rank: 7}), q(obj{"admin": false}))
		if err != nil {
			t.Fatal(err)
		}
		wantPeopleAnyOrder(t, patched, "Alice", "Doug")
	})
}

// data: what clients send is decoded into Person and validated; Go callers
// are trusted with their own structs.
func (s *typedSuite[K]) data(t *testing.T) {
	s.withPeople(t, "invalid data is a BadRequest naming the field", adapter.Options{}, func(t *testing.T, p *people[K]) {
		long := strings.Repeat("x", 41)
		for _, tc := range []struct {
			rest    string
			socket  obj
			field   string
			problem string
		}{
			{`{}`, obj{}, "name", "is required"},
			{`{"age":20}`, obj{"age": 20.0}, "name", "is required"},
			{`{"name":""}`, obj{"name": ""}, "name", "must not be empty"},
			{`{"name":"` + long + `"}`, obj{"name": long}, "name", "must be at most 40 characters long"},
			{`{"name":5}`, obj{"name": 5.0}, "name", "must be a string"},
			{`{"name":"x","age":-1}`, obj{"name": "x", "age": -1.0}, "age", "must be at least 0"},
			{`{"name":"x","age":151}`, obj{"name": "x", "age": 151.0}, "age", "must be at most 150"},
			{`{"name":"x","age":"old"}`, obj{"name": "x", "age": "old"}, "age", "must be an integer"},
			{`{"name":"x","age":1.5}`, obj{"name": "x", "age": 1.5}, "age", "must be an integer"},
			{`{"name":"x","height":"tall"}`, obj{"name": "x", "height": "tall"}, "height", "must be a number"},
			{`{"name":"x","height":-0.5}`, obj{"name": "x", "height": -0.5}, "height", "must be at least 0"},
			{`{"name":"x","admin":"yes"}`, obj{"name": "x", "admin": "yes"}, "admin", "must be a boolean"},
			{`{"name":"x","born":"tomorrow"}`, obj{"name": "x", "born": "tomorrow"}, "born", "must be a date-time (RFC 3339)"},
			{`{"name":"x","born":1700000000000}`, obj{"name": "x", "born": 1.7e12}, "born", "must be a date-time (RFC 3339)"},
			{`{"name":"x","address":"Berlin"}`, obj{"name": "x", "address": "Berlin"}, "address", "must be an object"},
			{`{"name":"x","address":{"city":"B","zip":-5}}`, obj{"name": "x", "address": obj{"city": "B", "zip": -5.0}}, "address/zip", "must be at least 0"},
			{`{"name":"x","tags":"a"}`, obj{"name": "x", "tags": "a"}, "tags", "must be an array"},
			{`{"name":"x","tags":["a",1]}`, obj{"name": "x", "tags": []any{"a", 1.0}}, "tags/1", "must be a string"},
			{`{"name":"x","address":{"zip":"x"}}`, obj{"name": "x", "address": obj{"zip": "x"}}, "address/zip", "must be an integer"},
			{`{"name":"x","nick":"` + long + `"}`, obj{"name": "x", "nick": long}, "nick", "must be at most 20 characters long"},
		} {
			_, err := p.rest(pinion.MethodCreate, nil, tc.rest, "")
			wantInvalid(t, err, tc.field, tc.problem)
			_, err = p.socket(pinion.MethodCreate, nil, tc.socket, nil)
			wantInvalid(t, err, tc.field, tc.problem)
			if tc.field != "name" || tc.problem != "is required" {
				_, err = p.rest(pinion.MethodUpdate, idString(p.bob.ID), tc.rest, "")
				wantInvalid(t, err, tc.field, tc.problem)
			}
		}
		wantPeople(t, p.all(), "Alice", "Bob", "Doug")
		wantPerson(t, p.get(p.bob.ID), p.bob)
	})
	s.withPeople(t, "a patch is checked field by field", adapter.Options{}, func(t *testing.T, p *people[K]) {
		_, err := p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"age": 151.0}, nil)
		wantInvalid(t, err, "age", "must be at most 150")
		_, err = p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"name":""}`, "")
		wantInvalid(t, err, "name", "must not be empty")
		_, err = p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"address":{"zip":-1}}`, "")
		wantInvalid(t, err, "address/zip", "must be at least 0")
		wantPerson(t, p.get(p.bob.ID), p.bob)
		// Without a name: a patch need not give the required fields.
		if _, err := p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"age":30}`, ""); err != nil {
			t.Fatal(err)
		}
		if got := p.get(p.bob.ID); got.Age != 30 || got.Name != "Bob" {
			t.Errorf("after a patch: %+v", got)
		}
	})
	s.withPeople(t, "every problem is listed", adapter.Options{}, func(t *testing.T, p *people[K]) {
		_, err := p.socket(pinion.MethodCreate, nil, obj{"name": "", "age": 200.0, "height": -1.0}, nil)
		fe := wantCode(t, err, 400, "")
		b, _ := json.Marshal(fe.Data)
		for _, path := range []string{"/name", "/age", "/height"} {
			if !strings.Contains(string(b), `"instancePath":"`+path+`"`) {
				t.Errorf("problems %s lack %s", b, path)
			}
		}
	})
	s.withPeople(t, "unknown fields are refused", adapter.Options{}, func(t *testing.T, p *people[K]) {
		_, err := p.rest(pinion.MethodCreate, nil, `{"name":"x","role":"admin"}`, "")
		wantInvalid(t, err, "role", "is not a field")
		_, err = p.socket(pinion.MethodCreate, nil, obj{"name": "x", "role": "admin"}, nil)
		wantInvalid(t, err, "role", "is not a field")
		_, err = p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"role": "admin"}, nil)
		wantInvalid(t, err, "role", "is not a field")
		_, err = p.rest(pinion.MethodUpdate, idString(p.bob.ID), `{"name":"x","Name":"y"}`, "")
		wantInvalid(t, err, "Name", "is not a field")
		_, err = p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"address":{"city":"B","country":"DE"}}`, "")
		wantInvalid(t, err, "address/country", "is not a field")
		_, err = p.socket(pinion.MethodCreate, nil, obj{"name": "x", "address": obj{"country": "DE"}}, nil)
		wantInvalid(t, err, "address/country", "is not a field")
		wantPeople(t, p.all(), "Alice", "Bob", "Doug")
		wantPerson(t, p.get(p.bob.ID), p.bob)
	})
	rank := pinion.Typed(func(_ context.Context, c pinion.Context[Person[K]]) error {
		if c.Params.Provider != "" {
			for _, rec := range c.Data() {
				rec.Rank = 42 // the server sets it
			}
		}
		return nil
	})
	s.withPeople(t, "read-only fields from clients are dropped", adapter.Options{}, func(t *testing.T, p *people[K]) {
		hc, err := p.rest(pinion.MethodCreate, nil, `{"name":"Eve","rank":99,"_id":"`+idString(p.bob.ID)+`"}`, "")
		if err != nil {
			t.Fatal(err)
		}
		eve := asPerson[K](t, externalRecord(t, hc))
		if eve.Rank != 42 || eve.ID == p.bob.ID {
			t.Errorf("a client set a read-only field: %+v", eve)
		}
		hc, err = p.socket(pinion.MethodCreate, nil, obj{"name": "Fred", "rank": 99.0, "_id": socketID(p.bob.ID)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fred := asPerson[K](t, externalRecord(t, hc)); fred.Rank != 42 || fred.ID == p.bob.ID {
			t.Errorf("a client set a read-only field: %+v", fred)
		}
		// A patch of read-only fields only writes nothing.
		if _, err := p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"rank": 5.0}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := p.rest(pinion.MethodPatch, idString(p.bob.ID), `{"rank":6,"age":26}`, ""); err != nil {
			t.Fatal(err)
		}
		want := p.bob
		want.Age = 26
		wantPerson(t, p.get(p.bob.ID), want)
		// An update replaces the record, but not with the client's rank.
		if _, err := p.rest(pinion.MethodUpdate, idString(p.doug.ID), `{"name":"Douglas","rank":7}`, ""); err != nil {
			t.Fatal(err)
		}
		if got := p.get(p.doug.ID); got.Rank == 7 || got.Name != "Douglas" {
			t.Errorf("after an update with a rank: %+v", got)
		}
		// Go callers are trusted: they set read-only fields, and their data is
		// not validated.
		gil := p.create(Person[K]{Name: "Gil", Rank: 5, Age: 999})
		if gil.Rank != 5 || gil.Age != 999 {
			t.Errorf("a Go caller's record: %+v", gil)
		}
	}, pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{pinion.MethodCreate: {rank}}}))
}

// protected: Person.Password never reaches a client, nor its queries.
func (s *typedSuite[K]) protected(t *testing.T) {
	noPassword := func(t *testing.T, what string, hc *pinion.HookContext) {
		t.Helper()
		b, _ := json.Marshal(hc.External())
		if strings.Contains(string(b), "password") || strings.Contains(string(b), "p-") {
			t.Errorf("%s: a client got %s", what, b)
		}
	}
	s.withPeople(t, "protected fields are hidden from clients", allMulti, func(t *testing.T, p *people[K]) {
		for what, call := range map[string]func() (*pinion.HookContext, error){
			"get":  func() (*pinion.HookContext, error) { return p.rest(pinion.MethodGet, idString(p.bob.ID), "", "") },
			"find": func() (*pinion.HookContext, error) { return p.socket(pinion.MethodFind, nil, nil, nil) },
			"create": func() (*pinion.HookContext, error) {
				return p.rest(pinion.MethodCreate, nil, `{"name":"Eve","password":"p-eve"}`, "")
			},
			"create many": func() (*pinion.HookContext, error) {
				return p.socket(pinion.MethodCreate, nil, []any{obj{"name": "Fred", "password": "p-fred"}}, nil)
			},
			"update": func() (*pinion.HookContext, error) {
				return p.rest(pinion.MethodUpdate, idString(p.doug.ID), `{"name":"Doug","password":"p-new"}`, "")
			},
			"patch": func() (*pinion.HookContext, error) {
				return p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"age": 26.0}, nil)
			},
			"patch many": func() (*pinion.HookContext, error) {
				return p.rest(pinion.MethodPatch, nil, `{"height":1}`, "name=Alice")
			},
			"remove": func() (*pinion.HookContext, error) { return p.rest(pinion.MethodRemove, idString(p.alice.ID), "", "") },
		} {
			hc, err := call()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			noPassword(t, what, hc)
		}
		// Clients may set them; Go callers see them.
		found, err := p.svc.Find(ctx, q(obj{"$sort": obj{"name": 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range found.Data {
			got = append(got, r.Name+":"+r.Password)
		}
		if want := "Bob:p-bob Doug:p-new Eve:p-eve Fred:p-fred"; strings.Join(got, " ") != want {
			t.Errorf("Go callers see %q, want %q", got, want)
		}
		for _, e := range p.events {
			b, _ := json.Marshal(e.External())
			if strings.Contains(string(b), "password") {
				t.Errorf("a %s event sends %s", e.Name, b)
			}
		}
	})
	s.withPeople(t, "protected fields are refused in client queries", adapter.Options{}, func(t *testing.T, p *people[K]) {
		const msg = "Invalid query: 'password' is a protected field and can not be queried, sorted or selected"
		for _, query := range []string{
			"password=p-bob",
			"password[$gte]=p",
			"password[$in][0]=p-bob",
			"$sort[password]=1",
			"$sort[name]=1&$sort[password]=-1",
			"$select[0]=name&$select[1]=password",
			"$or[0][name]=Bob&$or[1][password]=p-bob",
			"$and[0][password][$ne]=x",
		} {
			_, err := p.rest(pinion.MethodFind, nil, "", query)
			wantCode(t, err, 400, msg)
			_, err = p.rest(pinion.MethodGet, idString(p.bob.ID), "", query)
			wantCode(t, err, 400, msg)
		}
		_, err := p.socket(pinion.MethodFind, nil, nil, obj{"password": obj{"$ne": nil}})
		wantCode(t, err, 400, msg)
		_, err = p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"age": 1.0}, obj{"password": "p-bob"})
		wantCode(t, err, 400, msg)
		wantPerson(t, p.get(p.bob.ID), p.bob)
	})
}

// events: one per record, with the record, and its external form without
// protected fields.
func (s *typedSuite[K]) events(t *testing.T) {
	s.withPeople(t, "one event per record", allMulti, func(t *testing.T, p *people[K]) {
		type seen struct{ name, person string }
		check := func(t *testing.T, want ...seen) {
			t.Helper()
			var got []seen
			for _, e := range p.events {
				if e.Path != "people" {
					t.Errorf("an event of %q", e.Path)
				}
				// The record: a *Person, or for a client's call on a
				// service with protected fields its external form (what
				// the call returned).
				recs := pinion.Records(e.Data)
				if len(recs) != 1 {
					t.Errorf("a %s event holds %v, want a record", e.Name, e.Data)
					continue
				}
				if _, typed := e.Data.(*Person[K]); !typed && e.Context.Params.Provider == "" {
					t.Errorf("a %s event of a Go call holds a %T, want a *Person", e.Name, e.Data)
				}
				b, _ := json.Marshal(e.External())
				if strings.Contains(string(b), "password") {
					t.Errorf("a %s event sends %s", e.Name, b)
				}
				got = append(got, seen{e.Name, recs[0].String("name")})
			}
			if len(got) != len(want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("event %d: %v, want %v", i, got[i], want[i])
				}
			}
			p.events = nil
		}
		if _, err := p.svc.CreateMany(ctx, []Person[K]{{Name: "Eve", Password: "x"}, {Name: "Fred"}, {Name: "Gil"}}, nil); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"created", "Eve"}, seen{"created", "Fred"}, seen{"created", "Gil"})
		if _, err := p.socket(pinion.MethodCreate, nil, []any{obj{"name": "Hal", "password": "y"}, obj{"name": "Ida"}}, nil); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"created", "Hal"}, seen{"created", "Ida"})
		if _, err := p.rest(pinion.MethodCreate, nil, `{"name":"Jo"}`, ""); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"created", "Jo"})
		if _, err := p.svc.Update(ctx, p.bob.ID, Person[K]{Name: "Bob"}, nil); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"updated", "Bob"})
		if _, err := p.rest(pinion.MethodPatch, nil, `{"age":50}`, "address.city=Berlin&$sort[name]=1"); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"patched", "Alice"}, seen{"patched", "Doug"})
		if _, err := p.svc.RemoveMany(ctx, q(obj{"age": 50, "$sort": obj{"name": -1}})); err != nil {
			t.Fatal(err)
		}
		check(t, seen{"removed", "Doug"}, seen{"removed", "Alice"})
		// A failed call sends none.
		_, err := p.socket(pinion.MethodCreate, nil, []any{obj{"name": "Ok"}, obj{"name": ""}}, nil)
		wantCode(t, err, 400, "")
		check(t)
	})
}
