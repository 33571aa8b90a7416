package adaptertest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// ms is a time as epoch milliseconds, as a REST query may give it.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// queries: every Feathers operator on every kind of typed field, from REST
// query strings (coerced from the field types), from socket JSON and from
// Go values.
func (s *typedSuite[K]) queries(t *testing.T) {
	s.withPeople(t, "REST query strings are coerced from the field types", adapter.Options{}, func(t *testing.T, p *people[K]) {
		a, b, d := idString(p.alice.ID), idString(p.bob.ID), idString(p.doug.ID)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			// Equality, on every kind of field.
			{"name=Alice", []string{"Alice"}},
			{"age=25", []string{"Bob"}},
			{"height=1.75", []string{"Doug"}},
			{"admin=true", []string{"Bob"}},
			{"admin=false", []string{"Alice", "Doug"}},
			{"born=2000-07-15T00:00:00Z", []string{"Bob"}},
			{"born=" + ms(bobBorn), []string{"Bob"}},
			{"born=2006-03-01T10:00:00.123Z", []string{"Alice"}},
			{"address.city=Berlin", []string{"Alice", "Doug"}},
			{"address.zip=75001", []string{"Bob"}},
			{"tags=b", []string{"Alice", "Bob"}},
			{"_id=" + a, []string{"Alice"}},
			{"address.city=Berlin&age=32", []string{"Doug"}},
			// $in and $nin, with a list or a lone value.
			{"age[$in][0]=19&age[$in][1]=32", []string{"Alice", "Doug"}},
			{"admin[$in]=true", []string{"Bob"}},
			{"height[$in][]=1.62&height[$in][]=1.8", []string{"Alice", "Bob"}},
			{"born[$in][0]=" + ms(dougBorn) + "&born[$in][1]=2000-07-15T00:00:00Z", []string{"Bob", "Doug"}},
			{"address.zip[$in][0]=10115&address.zip[$in][1]=75001", []string{"Alice", "Bob"}},
			{"_id[$in][0]=" + a + "&_id[$in][1]=" + d, []string{"Alice", "Doug"}},
			{"age[$nin][0]=19", []string{"Bob", "Doug"}},
			{"name[$nin][0]=Alice&name[$nin][1]=Bob", []string{"Doug"}},
			{"admin[$nin]=false", []string{"Bob"}},
			{"born[$nin][0]=2000-07-15T00:00:00Z", []string{"Alice", "Doug"}},
			{"_id[$nin][0]=" + b, []string{"Alice", "Doug"}},
			// Comparisons of numbers, floats, times and nested fields.
			{"age[$lt]=25", []string{"Alice"}},
			{"age[$lte]=25", []string{"Alice", "Bob"}},
			{"age[$gt]=25", []string{"Doug"}},
			{"age[$gte]=25", []string{"Bob", "Doug"}},
			{"age[$gt]=18&age[$lt]=30", []string{"Alice", "Bob"}},
			{"height[$lt]=1.75", []string{"Alice"}},
			{"height[$lte]=1.75", []string{"Alice", "Doug"}},
			{"height[$gt]=1.62", []string{"Bob", "Doug"}},
			{"height[$gte]=1.8", []string{"Bob"}},
			{"born[$lt]=2000-01-01T00:00:00Z", []string{"Doug"}},
			{"born[$lte]=" + ms(bobBorn), []string{"Bob", "Doug"}},
			{"born[$gt]=" + ms(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), []string{"Alice", "Bob"}},
			{"born[$gte]=2006-03-01T10:00:00.123Z", []string{"Alice"}},
			{"born[$gt]=2006-03-01T10:00:00.123Z", nil},
			{"born[$gte]=2000-07-15T02:00:00%2B02:00", []string{"Alice", "Bob"}}, // +02:00, escaped
			{"address.zip[$lt]=10117", []string{"Alice"}},
			{"address.zip[$gte]=10117", []string{"Bob", "Doug"}},
			// $ne.
			{"admin[$ne]=true", []string{"Alice", "Doug"}},
			{"age[$ne]=19", []string{"Bob", "Doug"}},
			{"name[$ne]=Doug", []string{"Alice", "Bob"}},
			{"born[$ne]=" + ms(aliceBorn), []string{"Bob", "Doug"}},
			{"address.city[$ne]=Berlin", []string{"Bob"}},
			{"_id[$ne]=" + b, []string{"Alice", "Doug"}},
			// $or and $and, over typed fields.
			{"$or[0][name]=Alice&$or[1][age][$gt]=30", []string{"Alice", "Doug"}},
			{"$or[0][admin]=true&$or[1][address.zip]=10117", []string{"Bob", "Doug"}},
			{"$or[0][born][$lt]=1995-01-01T00:00:00Z&$or[1][height][$gt]=1.79", []string{"Bob", "Doug"}},
			{"$and[0][age][$gt]=20&$and[1][admin]=false", []string{"Doug"}},
			{"$and[0][address.city]=Berlin&$and[1][born][$gt]=" + ms(dougBorn), []string{"Alice"}},
			{"address.city=Berlin&$or[0][age]=19&$or[1][age]=25", []string{"Alice"}},
		} {
			hc, err := p.rest(pinion.MethodFind, nil, "", tc.query)
			if err != nil {
				t.Errorf("?%s: %v", tc.query, err)
				continue
			}
			got := personNames(peopleOf[K](t, externalList(t, hc)))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) && (len(got) > 0 || len(tc.want) > 0) {
				t.Errorf("?%s: %q, want %q", tc.query, got, tc.want)
			}
		}
	})
	s.withPeople(t, "REST values that are not of the field's type are a BadRequest", adapter.Options{}, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct{ query, field, value, kind string }{
			{"age[$gt]=old", "age", "old", "a number"},
			{"height=tall", "height", "tall", "a number"},
			{"admin=yes", "admin", "yes", "a boolean"},
			{"born[$lt]=yesterday", "born", "yesterday", "a date"},
			{"address.zip[$in][0]=1&address.zip[$in][1]=x", "address.zip", "x", "a number"},
			{"$or[0][age]=young", "age", "young", "a number"},
		} {
			_, err := p.rest(pinion.MethodFind, nil, "", tc.query)
			wantCode(t, err, 400, "Invalid value for '"+tc.field+"': \""+tc.value+"\" is not "+tc.kind)
		}
	})
	s.withPeople(t, "socket queries hold JSON values", adapter.Options{}, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct {
			query obj
			want  []string
		}{
			{obj{"age": obj{"$gt": 20.0}}, []string{"Bob", "Doug"}},
			{obj{"age": 19.0}, []string{"Alice"}},
			{obj{"admin": true}, []string{"Bob"}},
			{obj{"height": obj{"$in": []any{1.62, 1.75}}}, []string{"Alice", "Doug"}},
			{obj{"born": obj{"$lt": "2000-01-01T00:00:00Z"}}, []string{"Doug"}}, // JSON has no dates
			{obj{"address.zip": obj{"$in": []any{10115.0, 10117.0}}}, []string{"Alice", "Doug"}},
			{obj{"_id": socketID(p.alice.ID)}, []string{"Alice"}},
			{obj{"_id": obj{"$in": []any{socketID(p.alice.ID), socketID(p.bob.ID)}}}, []string{"Alice", "Bob"}},
			{obj{"$or": []any{obj{"admin": true}, obj{"age": obj{"$lt": 20.0}}}}, []string{"Alice", "Bob"}},
			{obj{"$and": []any{obj{"admin": false}, obj{"address.city": "Berlin"}, obj{"age": obj{"$ne": 19.0}}}}, []string{"Doug"}},
		} {
			hc, err := p.socket(pinion.MethodFind, nil, nil, tc.query)
			if err != nil {
				t.Errorf("%v: %v", tc.query, err)
				continue
			}
			got := personNames(peopleOf[K](t, externalList(t, hc)))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%v: %q, want %q", tc.query, got, tc.want)
			}
		}
	})
	s.withPeople(t, "Go queries hold Go values", adapter.Options{}, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct {
			query obj
			want  []string
		}{
			{obj{"age": obj{"$gte": 25}}, []string{"Bob", "Doug"}},
			{obj{"age": 32}, []string{"Doug"}},
			{obj{"born": obj{"$lt": time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}}, []string{"Doug"}},
			{obj{"born": bobBorn}, []string{"Bob"}},
			{obj{"_id": obj{"$in": []any{p.alice.ID, p.doug.ID}}}, []string{"Alice", "Doug"}},
			{obj{"_id": obj{"$ne": p.alice.ID}}, []string{"Bob", "Doug"}},
			{obj{"admin": false, "address.zip": obj{"$gt": 10115}}, []string{"Doug"}},
			{obj{"password": "p-bob"}, []string{"Bob"}}, // a protected field, from Go
		} {
			found, err := p.svc.Find(ctx, q(tc.query))
			if err != nil {
				t.Errorf("%v: %v", tc.query, err)
				continue
			}
			wantPeopleAnyOrder(t, found.Data, tc.want...)
		}
	})
}

// filters: $sort, $limit, $skip and $select.
func (s *typedSuite[K]) filters(t *testing.T) {
	none := adapter.Options{}
	s.withPeople(t, "$sort on several keys, in their order", none, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"$sort[age]=1", []string{"Alice", "Bob", "Doug"}},
			{"$sort[age]=-1", []string{"Doug", "Bob", "Alice"}},
			{"$sort[height]=-1", []string{"Bob", "Doug", "Alice"}},
			{"$sort[born]=1", []string{"Doug", "Bob", "Alice"}},
			{"$sort[admin]=-1&$sort[name]=1", []string{"Bob", "Alice", "Doug"}},
			{"$sort[address.zip]=-1", []string{"Bob", "Doug", "Alice"}},
			{"$sort[address.city]=1&$sort[age]=-1", []string{"Doug", "Alice", "Bob"}},
			{"$sort[address.city]=-1&$sort[age]=1", []string{"Bob", "Alice", "Doug"}},
			{"$sort[age]=-1&$sort[address.city]=1", []string{"Doug", "Bob", "Alice"}},
			{"$sort[admin]=1&$sort[born]=-1", []string{"Alice", "Doug", "Bob"}},
		} {
			hc, err := p.rest(pinion.MethodFind, nil, "", tc.query)
			if err != nil {
				t.Errorf("?%s: %v", tc.query, err)
				continue
			}
			if got := personNames(peopleOf[K](t, externalList(t, hc))); !slices.Equal(got, tc.want) {
				t.Errorf("?%s: %q, want %q", tc.query, got, tc.want)
			}
		}
		// Go callers give the order with pinion.Ordered.
		found, err := p.svc.Find(ctx, q(obj{"$sort": pinion.Ordered{{Key: "admin", Value: 1}, {Key: "age", Value: -1}}}))
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, found.Data, "Doug", "Alice", "Bob")
	})
	s.withPeople(t, "$limit and $skip", none, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"$sort[age]=1&$limit=2", []string{"Alice", "Bob"}},
			{"$sort[age]=1&$skip=1", []string{"Bob", "Doug"}},
			{"$sort[age]=1&$skip=1&$limit=1", []string{"Bob"}},
			{"$sort[age]=1&$skip=3", []string{}},
			{"$limit=0", []string{}},
			{"$sort[age]=-1&$limit=1&admin=false", []string{"Doug"}},
		} {
			hc, err := p.rest(pinion.MethodFind, nil, "", tc.query)
			if err != nil {
				t.Errorf("?%s: %v", tc.query, err)
				continue
			}
			if got := personNames(peopleOf[K](t, externalList(t, hc))); !slices.Equal(got, tc.want) {
				t.Errorf("?%s: %q, want %q", tc.query, got, tc.want)
			}
		}
		found, err := p.svc.Find(ctx, q(obj{"$sort": obj{"age": 1}, "$skip": 1, "$limit": 1}))
		if err != nil {
			t.Fatal(err)
		}
		wantPeople(t, found.Data, "Bob")
	})
	s.withPeople(t, "$select for Go callers leaves zero values", none, func(t *testing.T, p *people[K]) {
		// A typed record cannot leave a field out: what $select does not
		// name comes back as its zero value.
		found, err := p.svc.Find(ctx, q(obj{"$select": []any{"name"}, "$sort": obj{"age": 1}}))
		if err != nil {
			t.Fatal(err)
		}
		want := []Person[K]{{ID: p.alice.ID, Name: "Alice"}, {ID: p.bob.ID, Name: "Bob"}, {ID: p.doug.ID, Name: "Doug"}}
		if len(found.Data) != 3 {
			t.Fatalf("found %+v", found.Data)
		}
		for i := range want {
			wantPerson(t, found.Data[i], want[i])
		}
		got, err := p.svc.Get(ctx, p.bob.ID, q(obj{"$select": []any{"age", "address"}}))
		if err != nil {
			t.Fatal(err)
		}
		wantPerson(t, got, Person[K]{ID: p.bob.ID, Age: 25, Address: p.bob.Address})
	})
	s.withPeople(t, "$select for clients sends the id and the selected fields", none, func(t *testing.T, p *people[K]) {
		keys := func(rec obj) []string {
			var out []string
			for k := range rec {
				out = append(out, k)
			}
			slices.Sort(out)
			return out
		}
		hc, err := p.rest(pinion.MethodFind, nil, "", "$select[0]=name&$select[1]=age&$sort[age]=1")
		if err != nil {
			t.Fatal(err)
		}
		list := externalList(t, hc)
		if len(list) != 3 {
			t.Fatalf("got %v", list)
		}
		for i, want := range []Person[K]{p.alice, p.bob, p.doug} {
			if got := keys(list[i]); !slices.Equal(got, []string{"_id", "age", "name"}) {
				t.Errorf("a client got the fields %q of %v, want _id, age and name", got, list[i])
			}
			wantPerson(t, asPerson[K](t, list[i]), Person[K]{ID: want.ID, Name: want.Name, Age: want.Age})
		}
		for _, call := range []func() (*pinion.HookContext, error){
			func() (*pinion.HookContext, error) {
				return p.rest(pinion.MethodGet, idString(p.bob.ID), "", "$select[]=address")
			},
			func() (*pinion.HookContext, error) {
				return p.socket(pinion.MethodPatch, socketID(p.bob.ID), obj{"age": 26.0}, obj{"$select": []any{"address"}})
			},
			func() (*pinion.HookContext, error) {
				return p.rest(pinion.MethodCreate, nil, `{"name":"Eve","address":{"city":"Rome","zip":1}}`, "$select=address")
			},
		} {
			hc, err := call()
			if err != nil {
				t.Fatal(err)
			}
			if rec := externalRecord(t, hc); !slices.Equal(keys(rec), []string{"_id", "address"}) {
				t.Errorf("%s with $select: a client got %v, want _id and address", hc.Method, rec)
			}
		}
		if got := p.get(p.bob.ID); got.Age != 26 || got.Name != "Bob" {
			t.Errorf("a patch with $select wrote %+v", got)
		}
	})
}

// pagination: Found.Paginated with the page's total, limit and skip.
func (s *typedSuite[K]) pagination(t *testing.T) {
	paged := adapter.Options{Paginate: pinion.Paginate{Default: 2, Max: 3}}
	s.withPeople(t, "a page", paged, func(t *testing.T, p *people[K]) {
		for _, tc := range []struct {
			query              obj
			total, limit, skip int
			want               []string
		}{
			{obj{"$sort": obj{"age": 1}}, 3, 2, 0, []string{"Alice", "Bob"}},
			{obj{"$sort": obj{"age": 1}, "$skip": 2}, 3, 2, 2, []string{"Doug"}},
			{obj{"$sort": obj{"age": 1}, "$limit": 10}, 3, 3, 0, []string{"Alice", "Bob", "Doug"}},
			{obj{"$limit": 0}, 3, 0, 0, []string{}},
			{obj{"admin": false, "$sort": obj{"age": -1}, "$limit": 1}, 2, 1, 0, []string{"Doug"}},
			{obj{"age": obj{"$gt": 100}}, 0, 2, 0, []string{}},
		} {
			found, err := p.svc.Find(ctx, q(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			if !found.Paginated || found.Total != tc.total || found.Limit != tc.limit || found.Skip != tc.skip {
				t.Errorf("%v: {paginated %v, total %d, limit %d, skip %d}, want {true, %d, %d, %d}", tc.query,
					found.Paginated, found.Total, found.Limit, found.Skip, tc.total, tc.limit, tc.skip)
			}
			wantPeople(t, found.Data, tc.want...)
		}
		// A client gets Feathers' page.
		hc, err := p.rest(pinion.MethodFind, nil, "", "$sort[age]=-1&$skip=1&admin=false")
		if err != nil {
			t.Fatal(err)
		}
		page, ok := external(t, hc).(map[string]any)
		if !ok {
			t.Fatalf("a client got %v, want a page", external(t, hc))
		}
		if !same(page["total"], 2) || !same(page["limit"], 2) || !same(page["skip"], 1) {
			t.Errorf("page %v, want total 2, limit 2, skip 1", page)
		}
		wantPeople(t, peopleOf[K](t, externalList(t, hc)), "Alice")
		// Params.Paginate turns it off for a call.
		found, err := p.svc.Find(ctx, &pinion.Params{Paginate: &pinion.Paginate{}})
		if err != nil || found.Paginated || len(found.Data) != 3 {
			t.Errorf("find without pagination: %+v, %v", found, err)
		}
	})
	s.withPeople(t, "no page without pagination", adapter.Options{}, func(t *testing.T, p *people[K]) {
		found, err := p.svc.Find(ctx, nil)
		if err != nil || found.Paginated || len(found.Data) != 3 {
			t.Errorf("find: %+v, %v", found, err)
		}
		hc, err := p.rest(pinion.MethodFind, nil, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := external(t, hc).([]any); !ok {
			t.Errorf("a client got %v, want a list", external(t, hc))
		}
	})
}

func peopleOf[K comparable](t *testing.T, list []obj) []Person[K] {
	t.Helper()
	out := make([]Person[K], len(list))
	for i, m := range list {
		out[i] = asPerson[K](t, m)
	}
	return out
}
