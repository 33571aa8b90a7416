package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/transport/rest/qs"
)

// Person is the record of the typed suite: a field of every kind a typed
// service stores (text, integer, float, boolean, time, nested struct, list),
// an omitempty field, a protected one, a read-only one and validation rules.
// Its id is "_id", which every adapter can use (the memory adapter with
// Options.ID "_id"); K is the adapter's id type: int for memory, an ObjectId
// (or a string) for MongoDB.
type Person[K comparable] struct {
	ID       K         `json:"_id" readOnly:"true"`
	Name     string    `json:"name" required:"true" minLength:"1" maxLength:"40"`
	Age      int       `json:"age" minimum:"0" maximum:"150"`
	Height   float64   `json:"height" minimum:"0"`
	Admin    bool      `json:"admin"`
	Born     time.Time `json:"born"`
	Address  Address   `json:"address"`
	Tags     []string  `json:"tags"`
	Nick     string    `json:"nick,omitempty" maxLength:"20"`
	Password string    `json:"password,omitempty" protected:"true"`
	// Rank is set by the server (hooks, Go callers): what a client sends
	// for it is dropped.
	Rank int `json:"rank" readOnly:"true"`
}

// Address is Person's nested struct.
type Address struct {
	City string `json:"city" minLength:"1"`
	Zip  int    `json:"zip" minimum:"0"`
}

// TypedFactory returns a new, empty typed service of Person[K] configured
// with opts (opts.ID is "_id"), such as
//
//	memory.Typed[adaptertest.Person[int], int](memory.Options{Options: opts})
//
// The suite registers it with pinion.Use on a fresh pinion.App.
type TypedFactory[K comparable] func(t testing.TB, opts adapter.Options) pinion.TypedService[Person[K], K]

// RunTyped runs the typed suite against the typed service made by
// newService: the promises of a typed service (pinion.Use) over the
// adapter, through the hook chain, for Go callers (pinion.ServiceOf's typed
// methods) and for clients: REST calls (string ids, string query values
// coerced from the field types, bodies decoded by Service.DecodeData) and
// socket calls (float64 or string ids, JSON maps as data).
//
// On $select: a Go caller gets T, so the fields a $select leaves out come
// back as zero values (an int 0, an empty string, a zero time) — a typed
// record cannot say "absent". Clients get what the map adapters send them:
// the id and the selected fields only.
func RunTyped[K comparable](t *testing.T, newService TypedFactory[K]) {
	s := &typedSuite[K]{factory: newService}
	t.Run("methods", s.methods)
	t.Run("ids", s.ids)
	t.Run("queries", s.queries)
	t.Run("filters", s.filters)
	t.Run("pagination", s.pagination)
	t.Run("multi", s.multi)
	t.Run("data", s.data)
	t.Run("protected", s.protected)
	t.Run("events", s.events)
	t.Run("owner", s.owner)
}

type typedSuite[K comparable] struct {
	factory TypedFactory[K]
}

// typedFixture is one test's typed service, registered as "people" on its
// own app, and the events the app emitted.
type typedFixture[K comparable] struct {
	t      *testing.T
	app    *pinion.App
	svc    pinion.ServiceOf[Person[K], K]
	events []pinion.Event
}

func (s *typedSuite[K]) service(t *testing.T, opts adapter.Options, svcOpts ...pinion.ServiceOption) *typedFixture[K] {
	t.Helper()
	opts.ID = "_id"
	app := pinion.New()
	f := &typedFixture[K]{t: t, app: app}
	f.svc = pinion.Use(app, "people", s.factory(t, opts), svcOpts...)
	app.OnEvent(func(_ context.Context, e pinion.Event) { f.events = append(f.events, e) })
	if err := app.Setup(ctx); err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() { app.Teardown(ctx) })
	return f
}

// The people of the typed suite, created by a Go caller (so with their
// passwords and ranks).
var (
	born = func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm
	}
	aliceBorn = born("2006-03-01T10:00:00.123Z")
	bobBorn   = born("2000-07-15T00:00:00Z")
	dougBorn  = born("1993-11-30T08:30:00Z")
)

func alice[K comparable]() Person[K] {
	return Person[K]{Name: "Alice", Age: 19, Height: 1.62, Born: aliceBorn, Address: Address{"Berlin", 10115},
		Tags: []string{"a", "b"}, Nick: "ali", Password: "p-alice", Rank: 1}
}

func bob[K comparable]() Person[K] {
	return Person[K]{Name: "Bob", Age: 25, Height: 1.80, Admin: true, Born: bobBorn, Address: Address{"Paris", 75001},
		Tags: []string{"b"}, Nick: "bobby", Password: "p-bob", Rank: 2}
}

func doug[K comparable]() Person[K] {
	return Person[K]{Name: "Doug", Age: 32, Height: 1.75, Born: dougBorn, Address: Address{"Berlin", 10117},
		Password: "p-doug", Rank: 3}
}

// people is a service holding Alice (19), Bob (25, admin) and Doug (32),
// returned as created.
type people[K comparable] struct {
	*typedFixture[K]
	alice, bob, doug Person[K]
}

func (s *typedSuite[K]) withPeople(t *testing.T, name string, opts adapter.Options, fn func(t *testing.T, p *people[K]), svcOpts ...pinion.ServiceOption) {
	t.Run(name, func(t *testing.T) {
		f := s.service(t, opts, svcOpts...)
		p := &people[K]{typedFixture: f}
		p.alice, p.bob, p.doug = f.create(alice[K]()), f.create(bob[K]()), f.create(doug[K]())
		if p.alice.ID == p.bob.ID || p.bob.ID == p.doug.ID || p.alice.ID == p.doug.ID {
			t.Fatalf("ids %v, %v, %v: want three", p.alice.ID, p.bob.ID, p.doug.ID)
		}
		f.events = nil
		fn(t, p)
	})
}

func (f *typedFixture[K]) create(p Person[K]) Person[K] {
	f.t.Helper()
	got, err := f.svc.Create(ctx, p, nil)
	if err != nil {
		f.t.Fatalf("create %+v: %v", p, err)
	}
	return got
}

func (f *typedFixture[K]) get(id K) Person[K] {
	f.t.Helper()
	got, err := f.svc.Get(ctx, id, nil)
	if err != nil {
		f.t.Fatalf("get %v: %v", id, err)
	}
	return got
}

// all is every record, by name.
func (f *typedFixture[K]) all() []Person[K] {
	f.t.Helper()
	found, err := f.svc.Find(ctx, &pinion.Params{Query: obj{"$sort": obj{"name": 1}}, Paginate: &pinion.Paginate{}})
	if err != nil {
		f.t.Fatalf("find: %v", err)
	}
	return found.Data
}

// missing is an id no record has: one that had a record, removed.
func (f *typedFixture[K]) missing() K {
	f.t.Helper()
	p := f.create(Person[K]{Name: "Gone"})
	if _, err := f.svc.Remove(ctx, p.ID, nil); err != nil {
		f.t.Fatalf("remove: %v", err)
	}
	return p.ID
}

// rest calls method as the REST transport does: id as a string (or nil),
// body (if any) decoded by the service, query parsed from a query string
// with qs semantics (every leaf a string, a $sort on several keys ordered).
func (f *typedFixture[K]) rest(method pinion.Method, id any, body, query string) (*pinion.HookContext, error) {
	var data any
	if body != "" {
		var ok bool
		var err error
		data, ok, err = f.svc.DecodeData(method, []byte(body))
		if !ok {
			f.t.Fatalf("a typed service does not decode a %s body", method)
		}
		if err != nil {
			return nil, err
		}
	}
	return f.svc.Call(ctx, method, id, data, &pinion.Params{Provider: pinion.ProviderREST, Query: restQuery(query)})
}

// restQuery is what the REST transport makes of a query string.
func restQuery(raw string) map[string]any { return qs.Query(strings.TrimPrefix(raw, "?")) }

// socket calls method as the socket transport does: data and query as
// decoded JSON (float64 numbers, maps, []any).
func (f *typedFixture[K]) socket(method pinion.Method, id, data any, query obj) (*pinion.HookContext, error) {
	return f.svc.Call(ctx, method, id, data, &pinion.Params{Provider: pinion.ProviderSocketIO, Query: query})
}

// idString is the id as a REST path carries it.
func idString[K comparable](id K) string { return pinion.IDString(id) }

// numericIDs reports whether K is a number type, which socket clients send
// as JSON numbers.
func numericIDs[K comparable]() bool {
	v := reflect.ValueOf(new(K)).Elem()
	return v.CanInt() || v.CanUint() || v.CanFloat()
}

// socketID is the id as a socket client sends it: a JSON number for
// numeric ids, a string otherwise.
func socketID[K comparable](id K) any {
	switch v := reflect.ValueOf(id); {
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	case v.CanFloat():
		return v.Float()
	}
	return idString(id)
}

// external is what a client receives from a call, as JSON decodes it.
func external(t *testing.T, hc *pinion.HookContext) any {
	t.Helper()
	b, err := json.Marshal(hc.External())
	if err != nil {
		t.Fatalf("encoding %v: %v", hc.External(), err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// externalRecord is the one record a client receives.
func externalRecord(t *testing.T, hc *pinion.HookContext) obj {
	t.Helper()
	m, ok := external(t, hc).(map[string]any)
	if !ok {
		t.Fatalf("a client got %v, want a record", external(t, hc))
	}
	return m
}

// externalList is the list of records a client receives (a page's data
// for a page).
func externalList(t *testing.T, hc *pinion.HookContext) []obj {
	t.Helper()
	v := external(t, hc)
	if page, ok := v.(map[string]any); ok {
		v = page["data"]
	}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("a client got %v, want a list", external(t, hc))
	}
	out := make([]obj, len(list))
	for i, e := range list {
		if out[i], ok = e.(map[string]any); !ok {
			t.Fatalf("a client got %v in a list, want records", e)
		}
	}
	return out
}

// asPerson reads what a client received as a Person.
func asPerson[K comparable](t *testing.T, m obj) Person[K] {
	t.Helper()
	b, _ := json.Marshal(m)
	var p Person[K]
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%s is not a Person: %v", b, err)
	}
	return p
}

// samePerson compares records as stored values: times by instant, an empty
// list as no list.
func samePerson[K comparable](a, b Person[K]) bool {
	if !a.Born.Equal(b.Born) || len(a.Tags) != len(b.Tags) || (len(a.Tags) > 0 && !slices.Equal(a.Tags, b.Tags)) {
		return false
	}
	a.Born, b.Born, a.Tags, b.Tags = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(a, b)
}

func wantPerson[K comparable](t *testing.T, got, want Person[K]) {
	t.Helper()
	if !samePerson(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// personNames lists the names of records, in order.
func personNames[K comparable](list []Person[K]) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.Name
	}
	return out
}

func wantPeople[K comparable](t *testing.T, list []Person[K], want ...string) {
	t.Helper()
	if got := personNames(list); !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
}

func wantPeopleAnyOrder[K comparable](t *testing.T, list []Person[K], want ...string) {
	t.Helper()
	got := personNames(list)
	sort.Strings(got)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q in any order", got, want)
	}
}

// wantCode checks that err is a Feathers error with code and, unless empty,
// message.
func wantCode(t *testing.T, err error, code int, message string) *pinion.Error {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != code {
		t.Fatalf("err = %v, want a %d", err, code)
	}
	if message != "" && fe.Message != message {
		t.Errorf("message = %q, want %q", fe.Message, message)
	}
	return fe
}

// wantInvalid checks that err is the 400 of data refused because of field:
// "Invalid data: 'field' …", with field among the problems of its data.
func wantInvalid(t *testing.T, err error, field, problem string) {
	t.Helper()
	fe := wantCode(t, err, 400, "")
	name := strings.ReplaceAll(field, "/", ".")
	want := "Invalid data: '" + name + "' " + problem
	if fe.Message != want {
		t.Errorf("message = %q, want %q", fe.Message, want)
	}
	b, _ := json.Marshal(fe.Data)
	if !strings.Contains(string(b), `"instancePath":"/`+field+`"`) {
		t.Errorf("data = %s, want a problem at /%s", b, field)
	}
}
