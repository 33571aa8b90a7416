package memory_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/adapter/memory"
)

type M = map[string]any

var ctx = context.Background()

func TestAdapter(t *testing.T) {
	for _, id := range []string{"id", "_id"} {
		t.Run(id, func(t *testing.T) {
			adaptertest.Run(t, id, func(t testing.TB, opts adapter.Options) any {
				return memory.New(memory.Options{Options: opts})
			})
		})
	}
}

// wantCode checks that err is a Feathers error with code and, unless empty, message.
func wantCode(t *testing.T, err error, code int, message string) {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != code || (message != "" && fe.Message != message) {
		t.Errorf("err = %v, want %d %q", err, code, message)
	}
}

func mustCreate(t *testing.T, s *memory.Service, data any) any {
	t.Helper()
	res, err := s.Create(ctx, data, nil)
	if err != nil {
		t.Fatalf("create %v: %v", data, err)
	}
	return res
}

func ids(t *testing.T, res any) string {
	t.Helper()
	var out []any
	for _, r := range pinion.Records(res) {
		id, _ := r.Get("id")
		out = append(out, id)
	}
	return fmt.Sprint(out)
}

func TestIDs(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []pinion.Method{"create"}}})
	mustCreate(t, s, M{"id": 1, "name": "one"})
	res := mustCreate(t, s, []any{M{"name": "a"}, M{"name": "b", "id": nil}, M{"id": "x"}, M{"name": "c"}})
	// Auto ids are ints from 0 and skip ids in use.
	if got := ids(t, res); got != "[0 2 x 3]" {
		t.Errorf("ids %s, want [0 2 x 3]", got)
	}
	if id, _ := pinion.Records(res)[0].Get("id"); reflect.TypeOf(id) != reflect.TypeFor[int]() {
		t.Errorf("auto id is a %T, want int", id)
	}
	// REST passes ids as strings, sockets as float64.
	for _, id := range []any{"0", 0.0, int64(0), "x", 1.0} {
		if _, err := s.Get(ctx, id, nil); err != nil {
			t.Errorf("get %#v: %v", id, err)
		}
	}
	_, err := s.Get(ctx, 123456789, nil)
	wantCode(t, err, 404, "No record found for id '123456789'")
	_, err = s.Get(ctx, 1, &pinion.Params{Query: M{"name": "two"}})
	wantCode(t, err, 404, "No record found for id '1'")
}

func TestConflicts(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []pinion.Method{"create", "patch"}}, Unique: []string{"email"}})
	mustCreate(t, s, M{"email": "a@b.c"})
	mustCreate(t, s, M{"email": "c@d"})
	for _, tc := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"duplicate unique", func() error { _, err := s.Create(ctx, M{"email": "a@b.c"}, nil); return err }, "email"},
		{"duplicate id", func() error { _, err := s.Create(ctx, M{"id": 0.0}, nil); return err }, "id"},
		{"duplicate id as a string", func() error { _, err := s.Create(ctx, M{"id": "1"}, nil); return err }, "id"},
		{"duplicate in one list", func() error {
			_, err := s.Create(ctx, []any{M{"email": "x@y"}, M{"email": "x@y"}}, nil)
			return err
		}, "email"},
		{"patch into a duplicate", func() error { _, err := s.Patch(ctx, 0, M{"email": "c@d"}, nil); return err }, "email"},
		{"multi patch into duplicates", func() error { _, err := s.Patch(ctx, nil, M{"email": "e@f"}, nil); return err }, "email"},
		{"update into a duplicate", func() error { _, err := s.Update(ctx, 1, M{"email": "a@b.c"}, nil); return err }, "email"},
	} {
		err := tc.call()
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 409 || fe.Message != "Duplicate value for '"+tc.field+"'" {
			t.Errorf("%s: err = %v, want 409 Conflict on %s", tc.name, err, tc.field)
		}
	}
	// Failed writes change nothing; updating a record to its own value is fine.
	res, _ := s.Find(ctx, nil)
	if got := fmt.Sprint(res); got != "[map[email:a@b.c id:0] map[email:c@d id:1]]" {
		t.Errorf("after failed writes: %s", got)
	}
	if _, err := s.Update(ctx, 0, M{"email": "a@b.c", "v": 2.0}, nil); err != nil {
		t.Error(err)
	}
}

func TestPatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  M
		want  string
		error string
	}{
		{"merge", M{"b": 2.0, "id": 9.0}, "map[a:1 b:2 id:0 n:map[x:1] tags:[t]]", ""},
		{"$set dot path", M{"$set": M{"n.y": 2.0}}, "map[a:1 id:0 n:map[x:1 y:2] tags:[t]]", ""},
		{"plain dot path", M{"n.x": 5.0}, "map[a:1 id:0 n:map[x:5] tags:[t]]", ""},
		{"$unset", M{"$unset": M{"a": "", "n.x": 1.0, "id": ""}}, "map[id:0 n:map[] tags:[t]]", ""},
		{"$inc", M{"$inc": M{"a": 2.5, "c": -1.0, "n.x": 1}}, "map[a:3.5 c:-1 id:0 n:map[x:2] tags:[t]]", ""},
		{"$push", M{"$push": M{"tags": "u", "new": M{"k": 1.0}}}, "map[a:1 id:0 n:map[x:1] new:[map[k:1]] tags:[t u]]", ""},
		{"$push $each", M{"$push": M{"tags": M{"$each": []any{"u", "v"}}}}, "map[a:1 id:0 n:map[x:1] tags:[t u v]]", ""},
		{"$inc a string", M{"$inc": M{"a": "1"}}, "", "Invalid patch operator $inc: 'a' must be a number"},
		{"$inc a list", M{"$inc": M{"tags": 1.0}}, "", "Cannot apply $inc to 'tags': it is not a number"},
		{"$push onto a number", M{"$push": M{"a": 1.0}}, "", "Cannot apply $push to 'a': it is not an array"},
		{"$set not an object", M{"$set": "a"}, "", "Invalid patch operator $set: expected an object of fields"},
		{"$rename", M{"$rename": M{"a": "b"}}, "", "Invalid patch operator $rename"},
		{"$addToSet", M{"$addToSet": M{"tags": "t"}}, "", "Invalid patch operator $addToSet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memory.New(memory.Options{})
			mustCreate(t, s, M{"a": 1.0, "n": M{"x": 1.0}, "tags": []any{"t"}})
			res, err := s.Patch(ctx, "0", tc.data, nil)
			if tc.error != "" {
				wantCode(t, err, 400, tc.error)
				res, _ = s.Get(ctx, 0, nil)
				if got := fmt.Sprint(res); got != "map[a:1 id:0 n:map[x:1] tags:[t]]" {
					t.Errorf("a failed patch changed the record: %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(res); got != tc.want {
				t.Errorf("patched %s, want %s", got, tc.want)
			}
			if again, _ := s.Get(ctx, 0, nil); fmt.Sprint(again) != tc.want {
				t.Errorf("stored %v, want %s", again, tc.want)
			}
		})
	}
}

func TestFailedMultiPatchChangesNothing(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []pinion.Method{"patch"}}})
	mustCreate(t, s, M{"n": 1.0})
	mustCreate(t, s, M{"n": "two"})
	_, err := s.Patch(ctx, nil, M{"$inc": M{"n": 1.0}}, nil)
	wantCode(t, err, 400, "Cannot apply $inc to 'n': it is not a number")
	if res, _ := s.Get(ctx, 0, nil); fmt.Sprint(res) != "map[id:0 n:1]" {
		t.Errorf("first record patched: %v", res)
	}
}

func TestInsertionOrder(t *testing.T) {
	s := memory.New(memory.Options{})
	for i := range 5 {
		mustCreate(t, s, M{"n": float64(i)})
	}
	if _, err := s.Remove(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, M{"id": 2, "n": 5.0})
	if _, err := s.Update(ctx, 0, M{"n": 0.0}, nil); err != nil {
		t.Fatal(err)
	}
	res, _ := s.Find(ctx, nil)
	if got := ids(t, res); got != "[0 1 3 4 2]" {
		t.Errorf("order %s, want creation order [0 1 3 4 2]", got)
	}
}

// TestGoValues checks that values Go callers store are copied and kept in
// JSON form, as the MongoDB adapter keeps their BSON form.
func TestGoValues(t *testing.T) {
	type point struct {
		X float64 `json:"x"`
	}
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []pinion.Method{"create"}}})
	tags := []string{"a"}
	mustCreate(t, s, []map[string]any{{"tags": tags, "at": point{1}}})
	tags[0] = "changed"
	res, _ := s.Get(ctx, 0, nil)
	if got := fmt.Sprintf("%#v", res.(M)["tags"]); got != `[]interface {}{"a"}` {
		t.Errorf("tags = %s", got)
	}
	if got := fmt.Sprint(res.(M)["at"]); got != "map[x:1]" {
		t.Errorf("struct stored as %s", got)
	}
	_, err := s.Create(ctx, M{"f": func() {}}, nil)
	wantCode(t, err, 400, "")
}

func TestOperators(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Operators: []string{"$regex", "$options", "$exists", "$elemMatch"}}})
	mustCreate(t, s, M{"name": "Alice"})
	mustCreate(t, s, M{"name": "bob", "admin": true})
	for _, tc := range []struct {
		query M
		want  string
	}{
		{M{"name": M{"$regex": "^B", "$options": "i"}}, "[1]"},
		{M{"admin": M{"$exists": "true"}}, "[1]"},
		{M{"admin": M{"$exists": "false"}}, "[0]"},
	} {
		res, err := s.Find(ctx, &pinion.Params{Query: tc.query})
		if err != nil {
			t.Errorf("%v: %v", tc.query, err)
		} else if got := ids(t, res); got != tc.want {
			t.Errorf("%v found %s, want %s", tc.query, got, tc.want)
		}
	}
	_, err := s.Find(ctx, &pinion.Params{Query: M{"tags": M{"$elemMatch": M{"a": 1.0}}}})
	wantCode(t, err, 400, "The memory adapter does not support $elemMatch")
}

// TestConcurrentUse is for the race detector: go test -race.
func TestConcurrentUse(t *testing.T) {
	s := memory.New(memory.Options{Options: adapter.Options{Multi: []pinion.Method{"patch"}, Paginate: pinion.Paginate{Default: 5}}})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				res, err := s.Create(ctx, M{"w": float64(w), "i": float64(i), "tags": []any{"a"}}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				id := res.(M)["id"]
				res.(M)["tags"].([]any)[0] = "mutated"
				if _, err := s.Patch(ctx, id, M{"$push": M{"tags": "b"}, "$inc": M{"i": 1.0}}, nil); err != nil {
					t.Error(err)
				}
				if _, err := s.Patch(ctx, nil, M{"seen": true}, &pinion.Params{Query: M{"w": float64(w)}}); err != nil {
					t.Error(err)
				}
				if _, err := s.Find(ctx, &pinion.Params{Query: M{"$sort": M{"i": -1.0}}}); err != nil {
					t.Error(err)
				}
				if i%3 == 0 {
					if _, err := s.Remove(ctx, id, nil); err != nil {
						t.Error(err)
					}
				} else if _, err := s.Get(ctx, id, nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	res, _ := s.Find(ctx, &pinion.Params{Query: M{"tags": "mutated"}})
	if page := res.(*pinion.Page); page.Total != 0 {
		t.Errorf("%d stored records were changed through results", page.Total)
	}
	res, _ = s.Find(ctx, nil)
	if page := res.(*pinion.Page); page.Total != 4*(50-17) {
		t.Errorf("total %d, want %d", page.Total, 4*(50-17))
	}
}

// seeded returns a service holding n messages, paginated as a generated app is.
func seeded(b *testing.B, n int) *memory.Service {
	b.Helper()
	s := memory.New(memory.Options{Options: adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 50}}})
	for i := range n {
		_, err := s.Create(ctx, M{"text": fmt.Sprintf("message %d", i), "userId": float64(i % 10), "createdAt": float64(i)}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkGet is a get by a REST id: a map lookup and a copy of the record.
func BenchmarkGet(b *testing.B) {
	s := seeded(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "500", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParallel shows that concurrent gets share the read lock.
func BenchmarkGetParallel(b *testing.B) {
	s := seeded(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "500", nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkFind is the newest page of 1000 messages: a full scan and sort.
func BenchmarkFind(b *testing.B) {
	s := seeded(b, 1000)
	params := &pinion.Params{Query: M{"$sort": M{"createdAt": "-1"}, "$limit": "10"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Find(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindQuery is a filtered find without $sort: a scan.
func BenchmarkFindQuery(b *testing.B) {
	s := seeded(b, 1000)
	params := &pinion.Params{Query: M{"userId": 3.0, "createdAt": M{"$gte": 500.0}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Find(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTypedAdapter(t *testing.T) {
	t.Run("int", func(t *testing.T) {
		adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[int], int] {
			return memory.Typed[adaptertest.Person[int], int](memory.Options{Options: opts})
		})
	})
	t.Run("string", func(t *testing.T) {
		adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[string], string] {
			return memory.Typed[adaptertest.Person[string], string](memory.Options{Options: opts})
		})
	})
}
