package adaptertest

import (
	"context"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// The users of the ownership tests: ids are strings, whatever the adapter's.
type owner struct {
	ID string `json:"_id"`
}

var owners = pinion.NewIdentity[owner, string]("_id")

// as returns the params of a socket call by the user id.
func as(id string) *pinion.Params {
	return &pinion.Params{Provider: pinion.ProviderSocketIO, User: obj{"_id": id}}
}

// owner checks pinion.WithOwner on a service of maps: the owner field is
// "ownerId".
func (s *suite) owner(t *testing.T) {
	opts := adapter.Options{Multi: []pinion.Method{pinion.MethodPatch, pinion.MethodRemove}}
	f := s.service(t, opts, pinion.WithOwner(owners, "ownerId"))
	pinion.AddCustomOn(f.svc, "touch", func(ctx context.Context, id any, _ struct{}, p *pinion.Params) (any, error) {
		return f.svc.Patch(ctx, id, obj{"touched": true}, p)
	})
	ownedChecks(t, f.svc, s.id, "ownerId")
}

// owner checks pinion.WithOwner on a typed service: Person's nick is the
// owner field, so that every adapter's typed suite runs it unchanged.
func (s *typedSuite[K]) owner(t *testing.T) {
	opts := adapter.Options{Multi: []pinion.Method{pinion.MethodPatch, pinion.MethodRemove}}
	f := s.service(t, opts, pinion.WithOwner(owners, "nick"))
	touch := pinion.AddCustomOn(f.svc, "touch", func(ctx context.Context, id K, _ struct{}, p *pinion.Params) (Person[K], error) {
		return f.svc.Patch(ctx, id, pinion.NewPatch(Person[K]{Rank: 7}, "rank"), p)
	})
	ownedChecks(t, f.svc.Service, "_id", "nick")

	// Go callers: typed calls, limited like a client's.
	mine, err := f.svc.Create(ctx, Person[K]{Name: "Ann", Nick: "bob"}, as("ada"))
	if err != nil || mine.Nick != "ada" {
		t.Fatalf("typed create: %+v %v", mine, err)
	}
	if _, err := touch.Call(ctx, mine.ID, struct{}{}, as("bob")); err == nil {
		t.Error("bob touched ada's record from Go")
	} else {
		wantError(t, err, pinion.NotFound(""))
	}
	if got, err := touch.Call(ctx, mine.ID, struct{}{}, as("ada")); err != nil || got.Rank != 7 || got.Nick != "ada" {
		t.Errorf("typed touch: %+v %v", got, err)
	}
	if _, err := f.svc.Get(ctx, mine.ID, as("bob")); err == nil {
		t.Error("bob got ada's record from Go")
	}
}

// ownedChecks runs the promises of WithOwner against svc, registered with
// the owner field and a custom method "touch" acting on a record; the data
// is what a socket client sends (maps), the calls come from the users "ada"
// and "bob".
func ownedChecks(t *testing.T, svc *pinion.Service, idField, field string) {
	t.Helper()
	ownerOf := func(v any) any {
		recs := pinion.Records(v)
		if len(recs) != 1 {
			t.Fatalf("want one record, got %v", v)
		}
		o, _ := recs[0].Get(field)
		return o
	}
	idOf := func(v any) any { id, _ := pinion.Records(v)[0].Get(idField); return id }
	nameOf := func(v any) any { n, _ := pinion.Records(v)[0].Get("name"); return n }
	names := func(v any) []string {
		var out []string
		for _, r := range pinion.Records(v) {
			out = append(out, r.String("name"))
		}
		return out
	}

	// create stamps the caller, whatever the data says.
	a, err := svc.Create(ctx, obj{"name": "a1", field: "bob"}, as("ada"))
	if err != nil || ownerOf(a) != "ada" {
		t.Fatalf("ada's create: %v %v", a, err)
	}
	b, err := svc.Create(ctx, obj{"name": "b1"}, as("bob"))
	if err != nil || ownerOf(b) != "bob" {
		t.Fatalf("bob's create: %v %v", b, err)
	}
	idA, idB := idOf(a), idOf(b)

	// find lists the caller's records; a condition on the field still holds.
	if got, err := svc.Find(ctx, as("ada")); err != nil || !same(names(got), []string{"a1"}) {
		t.Errorf("ada's find: %v %v", names(got), err)
	}
	if got, err := svc.Find(ctx, &pinion.Params{Provider: pinion.ProviderREST, User: obj{"_id": "ada"}, Query: obj{field: "bob"}}); err != nil || len(pinion.Records(got)) != 0 {
		t.Errorf("ada's find of bob's records: %v %v", names(got), err)
	}

	// Another's record is not found, by any method.
	for name, call := range map[string]func() (any, error){
		"get":    func() (any, error) { return svc.Get(ctx, idB, as("ada")) },
		"patch":  func() (any, error) { return svc.Patch(ctx, idB, obj{"name": "taken"}, as("ada")) },
		"update": func() (any, error) { return svc.Update(ctx, idB, obj{"name": "taken"}, as("ada")) },
		"remove": func() (any, error) { return svc.Remove(ctx, idB, as("ada")) },
		"touch": func() (any, error) {
			hc, err := svc.Call(ctx, "touch", nil, obj{idField: idB}, as("ada"))
			if err != nil {
				return nil, err
			}
			return hc.Result, nil
		},
	} {
		t.Run(name, func(t *testing.T) { notFound(t)(call()) })
	}
	if got, err := svc.Get(ctx, idB, pinion.AllOwners(nil)); err != nil || nameOf(got) != "b1" || ownerOf(got) != "bob" {
		t.Errorf("bob's record after ada's attempts: %v %v", got, err)
	}

	// The caller's own: a patch or an update cannot give it away.
	if got, err := svc.Patch(ctx, idA, obj{"name": "a2", field: "bob"}, as("ada")); err != nil || nameOf(got) != "a2" || ownerOf(got) != "ada" {
		t.Errorf("ada's patch: %v %v", got, err)
	}
	if got, err := svc.Update(ctx, idA, obj{"name": "a3"}, as("ada")); err != nil || nameOf(got) != "a3" || ownerOf(got) != "ada" {
		t.Errorf("ada's update: %v %v", got, err)
	}
	if hc, err := svc.Call(ctx, "touch", nil, obj{idField: idA}, as("ada")); err != nil || ownerOf(hc.Result) != "ada" {
		t.Errorf("ada's touch: %v", err)
	}

	// Multi calls change the caller's records only.
	if got, err := svc.Patch(ctx, nil, obj{"name": "all"}, as("ada")); err != nil || !same(names(got), []string{"all"}) {
		t.Errorf("ada's multi patch: %v %v", names(got), err)
	}
	if got, err := svc.Remove(ctx, nil, as("ada")); err != nil || !same(names(got), []string{"all"}) {
		t.Errorf("ada's multi remove: %v %v", names(got), err)
	}

	// Internal calls choose: without a user they fail, AllOwners sees all.
	if got, err := svc.Find(ctx, nil); err == nil {
		t.Errorf("an internal find without a user: %v", names(got))
	}
	if got, err := svc.Find(ctx, &pinion.Params{Provider: pinion.ProviderREST}); err == nil {
		t.Errorf("an external find without a user: %v", names(got))
	} else {
		wantError(t, err, pinion.NotAuthenticated(""))
	}
	if got, err := svc.Find(ctx, pinion.AllOwners(nil)); err != nil || !same(names(got), []string{"b1"}) {
		t.Errorf("find with AllOwners: %v %v", names(got), err)
	}
}
