package sqlite_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// clientError checks that err is nil or an error a client caused (4xx), never
// an internal one: an SQL syntax error would be a 500.
func clientError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code >= 500 {
		t.Fatalf("%s: %v (%T), want a client error", what, err, err)
	}
}

func wantCode(t *testing.T, err error, code int, message string) {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != code || (message != "" && fe.Message != message) {
		t.Fatalf("err = %v, want %d %q", err, code, message)
	}
}

// inputService is a service whose fields "name" and "a.b" are indexed, holding
// one record, and a check that the record is still there, unchanged.
func inputService(t testing.TB) (*sqlite.Service, func(t *testing.T)) {
	db := openDB(t)
	s := sqlite.New(db, `odd "table'; --`, sqlite.Options{
		Options: adapter.Options{Multi: []pinion.Method{"create", "patch", "remove"}, Operators: []string{"$regex", "$exists", "$eq"}},
		Indexes: []sqlite.Index{{Fields: []string{"name"}, Unique: true}, {Fields: []string{"a.b"}}},
	})
	if _, err := s.Create(ctx, M{"_id": "sentinel", "name": "keep", "a": M{"b": 1.0}}, nil); err != nil {
		t.Fatal(err)
	}
	return s, func(t *testing.T) {
		t.Helper()
		res, err := s.Get(ctx, "sentinel", nil)
		if err != nil {
			t.Fatalf("the sentinel is gone: %v", err)
		}
		if rec := res.(M); rec["name"] != "keep" {
			t.Fatalf("the sentinel changed: %v", rec)
		}
	}
}

func TestBadInput(t *testing.T) {
	s, intact := inputService(t)
	huge := strings.Repeat("x", 8<<20)
	deep := M{}
	for d, i := deep, 0; i < 200; i++ {
		next := M{}
		d["d"] = next
		d = next
	}
	for _, tc := range []struct {
		name string
		call func() (any, error)
		code int // 0: must succeed
	}{
		{"NUL in a query field", func() (any, error) { return s.Find(ctx, q(M{"na\x00me": "x"})) }, 400},
		{"NUL in a sort field", func() (any, error) { return s.Find(ctx, q(M{"$sort": M{"a\x00": 1.0}})) }, 400},
		{"quote in a query field", func() (any, error) { return s.Find(ctx, q(M{`a"b`: 1.0})) }, 400},
		{"SQL in a query field", func() (any, error) { return s.Find(ctx, q(M{"name') OR 1=1 --": "x"})) }, 400},
		{"SQL in a sort field", func() (any, error) { return s.Find(ctx, q(M{"$sort": M{"name'; DROP TABLE x; --": 1.0}})) }, 400},
		{"empty path part", func() (any, error) { return s.Find(ctx, q(M{"a..b": 1.0})) }, 400},
		{"$where filter", func() (any, error) { return s.Find(ctx, q(M{"$where": "1"})) }, 400},
		{"$where operator", func() (any, error) { return s.Find(ctx, q(M{"name": M{"$where": "1"}})) }, 400},
		{"$-part in a path", func() (any, error) { return s.Find(ctx, q(M{"a.$where": 1.0})) }, 400},
		{"bad regex", func() (any, error) { return s.Find(ctx, q(M{"name": M{"$regex": "("}})) }, 400},
		{"NUL in a data key", func() (any, error) { return s.Create(ctx, M{"a\x00": 1.0}, nil) }, 400},
		{"$where in data", func() (any, error) { return s.Create(ctx, M{"$where": "1"}, nil) }, 400},
		{"nested $ key in data", func() (any, error) { return s.Create(ctx, M{"a": M{"$gt": 1.0}}, nil) }, 400},
		{"$ key in update", func() (any, error) { return s.Update(ctx, "sentinel", M{"$set": M{"name": "x"}}, nil) }, 400},
		{"$where in patch", func() (any, error) { return s.Patch(ctx, "sentinel", M{"$where": M{"name": "x"}}, nil) }, 400},
		{"NUL in a patch path", func() (any, error) { return s.Patch(ctx, "sentinel", M{"$set": M{"a\x00": 1.0}}, nil) }, 400},
		{"too deep", func() (any, error) { return s.Create(ctx, deep, nil) }, 400},
		{"an id that is an object", func() (any, error) { return s.Get(ctx, M{"$gt": ""}, nil) }, 400},
		{"an id in data that is a list", func() (any, error) { return s.Create(ctx, M{"_id": []any{1.0}}, nil) }, 400},
		{"a duplicate id", func() (any, error) { return s.Create(ctx, M{"_id": "sentinel"}, nil) }, 409},
		{"a duplicate unique field", func() (any, error) { return s.Create(ctx, M{"name": "keep"}, nil) }, 409},
		{"$inc of a string", func() (any, error) { return s.Patch(ctx, "sentinel", M{"$inc": M{"name": 1.0}}, nil) }, 400},
		{"$push to an object", func() (any, error) { return s.Patch(ctx, "sentinel", M{"$push": M{"a": 1.0}}, nil) }, 400},
		{"a huge value", func() (any, error) { return s.Create(ctx, M{"big": huge}, nil) }, 0},
		{"a huge query value", func() (any, error) { return s.Find(ctx, q(M{"name": huge})) }, 0},
		{"NUL in a value", func() (any, error) { return s.Find(ctx, q(M{"name": "a\x00b"})) }, 0},
		{"invalid UTF-8", func() (any, error) { return s.Create(ctx, M{"s": "a\xffb"}, nil) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.call()
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
			} else {
				wantCode(t, err, tc.code, "")
			}
			intact(t)
		})
	}
}

func TestConflictNamesTheField(t *testing.T) {
	s, _ := inputService(t)
	_, err := s.Create(ctx, M{"name": "keep"}, nil)
	wantCode(t, err, 409, "Duplicate value for 'name'")
	_, err = s.Create(ctx, M{"_id": "sentinel"}, nil)
	wantCode(t, err, 409, "Duplicate value for '_id'")
	res, err := s.Create(ctx, M{"name": "other"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Patch(ctx, res.(M)["_id"], M{"name": "keep"}, nil)
	wantCode(t, err, 409, "Duplicate value for 'name'")
	_, err = s.Update(ctx, res.(M)["_id"], M{"name": "keep"}, nil)
	wantCode(t, err, 409, "Duplicate value for 'name'")
	// A list is created whole or not at all.
	_, err = s.Create(ctx, []any{M{"name": "new"}, M{"name": "new"}}, nil)
	wantCode(t, err, 409, "Duplicate value for 'name'")
	if page := find(t, s, M{"name": "new"}); len(page) != 0 {
		t.Errorf("a failed multi create left %v", page)
	}
	// Missing and null values are not compared.
	for range 2 {
		if _, err := s.Create(ctx, M{"other": 1.0}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, M{"name": nil}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Kinds differ: 1 and "1" are not duplicates.
	if _, err := s.Create(ctx, []any{M{"name": 1.0}, M{"name": "1"}, M{"name": true}}, nil); err != nil {
		t.Fatal(err)
	}
}

func q(query M) *pinion.Params { return &pinion.Params{Query: query} }

func find(t *testing.T, s *sqlite.Service, query M) []M {
	t.Helper()
	res, err := s.Find(ctx, q(query))
	if err != nil {
		t.Fatal(err)
	}
	return records(res)
}

// FuzzInput sends fuzzed field names and values through every method: each
// call must succeed or fail as the client's fault, and the stored sentinel
// must stay as it was.
//
//	go test ./adapter/sqlite -run '^$' -fuzz FuzzInput -fuzztime 60s
func FuzzInput(f *testing.F) {
	for _, seed := range []struct {
		field, value string
		n            float64
	}{
		{"name", "keep", 1}, {"a.b", "x", 2}, {"name'--", "') OR 1=1", 0}, {`a"b`, `"`, -1},
		{"$or", "[]", 3}, {"a.$gt", "\x00", 1e300}, {"é.ü", "\u2028", 0.5}, {"a..", "%", 7}, {"", "", 0},
	} {
		f.Add(seed.field, seed.value, seed.n)
	}
	s, intact := inputService(f)
	f.Fuzz(func(t *testing.T, field, value string, n float64) {
		if value == "sentinel" {
			return // update and patch would change it, as they should
		}
		calls := map[string]func() (any, error){
			"find eq": func() (any, error) { return s.Find(ctx, q(M{field: value})) },
			"find ops": func() (any, error) {
				return s.Find(ctx, q(M{field: M{"$gt": n, "$in": []any{value, n}, "$regex": value}}))
			},
			"find ne": func() (any, error) { return s.Find(ctx, q(M{field: M{"$ne": value}, "$sort": M{field: -1.0}})) },
			"find or": func() (any, error) { return s.Find(ctx, q(M{"$or": []any{M{field: n}, M{"name": value}}})) },
			"find sort": func() (any, error) {
				return s.Find(ctx, q(M{"$sort": M{field: 1.0, value: -1.0}, "$select": []any{field}}))
			},
			"find op":    func() (any, error) { return s.Find(ctx, q(M{"name": M{field: value}})) },
			"get":        func() (any, error) { return s.Get(ctx, value, q(M{field: value})) },
			"create":     func() (any, error) { return s.Create(ctx, M{field: value, value: n}, nil) },
			"patch":      func() (any, error) { return s.Patch(ctx, value, M{field: n, "$set": M{value: field}}, nil) },
			"patch many": func() (any, error) { return s.Patch(ctx, nil, M{"$inc": M{field: n}}, q(M{"name": value})) },
			"update":     func() (any, error) { return s.Update(ctx, value, M{field: value}, nil) },
			"remove":     func() (any, error) { return s.Remove(ctx, nil, q(M{field: value, "name": M{"$ne": "keep"}})) },
		}
		for name, call := range calls {
			_, err := call()
			clientError(t, name, err)
		}
		intact(t)
	})
}
