package sqlite_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// TestCounts runs random writes on a service that counts "room" and on a twin
// that does not, and compares the totals of every query the counts answer
// (and some they do not) after each write: creates, multi creates, patches
// and updates that move records between rooms, to and from no room, removes
// one and many, and, at the end, a list in the field, after which the counts
// must not answer (a list holding "r1" matches {room: "r1"}).
func TestCounts(t *testing.T) {
	db := openDB(t)
	opts := adapter.Options{Paginate: pinion.Paginate{Default: 10}, Multi: []pinion.Method{"create", "patch", "remove"}, Operators: []string{"$eq"}}
	counted := sqlite.New(db, "counted", sqlite.Options{Options: opts, Indexes: []sqlite.Index{{Fields: []string{"room", "at"}, Counted: true}}})
	plain := sqlite.New(db, "plain", sqlite.Options{Options: opts, Indexes: []sqlite.Index{{Fields: []string{"room", "at"}}}})
	rooms := []any{"r1", "r2", "r3", nil, 1.0, true}
	r := rand.New(rand.NewPCG(1, 2))
	room := func() any { return rooms[r.IntN(len(rooms))] }
	rec := func(i int) M {
		m := M{"at": float64(i), "i": float64(i)}
		if v := room(); v != nil || r.IntN(2) == 0 {
			m["room"] = v // nil: null, or (else) missing
		}
		return m
	}
	queries := func() []M {
		out := []M{{"$limit": 0.0}, {"room": "r2", "i": M{"$gt": 3.0}}}
		for _, v := range rooms {
			out = append(out, M{"room": v}, M{"$and": []any{M{"$or": []any{M{"room": v}}}}}, M{"room": M{"$eq": v}})
		}
		return out
	}
	check := func(step string) {
		t.Helper()
		for _, q := range queries() {
			a, err := counted.Find(ctx, &pinion.Params{Query: q})
			if err != nil {
				t.Fatalf("%s: %v: %v", step, q, err)
			}
			b, err := plain.Find(ctx, &pinion.Params{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if at, bt := a.(*pinion.Page).Total, b.(*pinion.Page).Total; at != bt {
				t.Fatalf("after %s, %v: total %d, want %d", step, q, at, bt)
			}
		}
	}
	both := func(step string, fn func(s *sqlite.Service) error) {
		t.Helper()
		for _, s := range []*sqlite.Service{counted, plain} {
			if err := fn(s); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		check(step)
	}
	n := 0
	for step := range 300 {
		n++
		i := n
		data := rec(i)
		data["_id"] = fmt.Sprintf("id%d", i)
		switch op := r.IntN(6); op {
		case 0, 1:
			both(fmt.Sprintf("%d create", step), func(s *sqlite.Service) error { _, err := s.Create(ctx, data, nil); return err })
		case 2:
			var list []any
			for j := range 5 {
				n++
				m := rec(n)
				m["_id"] = fmt.Sprintf("id%d-%d", i, j)
				list = append(list, m)
			}
			both(fmt.Sprintf("%d multi create", step), func(s *sqlite.Service) error { _, err := s.Create(ctx, list, nil); return err })
		case 3:
			to, from := room(), room()
			both(fmt.Sprintf("%d multi patch %v → %v", step, from, to), func(s *sqlite.Service) error {
				_, err := s.Patch(ctx, nil, M{"room": to}, &pinion.Params{Query: M{"room": from}})
				return err
			})
		case 4:
			id := fmt.Sprintf("id%d", r.IntN(n)+1)
			repl := rec(i)
			both(fmt.Sprintf("%d update %s", step, id), func(s *sqlite.Service) error {
				_, err := s.Update(ctx, id, repl, nil)
				if err != nil && strings.Contains(err.Error(), "No record") {
					return nil
				}
				return err
			})
		case 5:
			if r.IntN(4) == 0 {
				from := room()
				both(fmt.Sprintf("%d multi remove %v", step, from), func(s *sqlite.Service) error {
					_, err := s.Remove(ctx, nil, &pinion.Params{Query: M{"room": from, "i": M{"$lt": float64(n / 2)}}})
					return err
				})
				continue
			}
			id := fmt.Sprintf("id%d", r.IntN(n)+1)
			both(fmt.Sprintf("%d remove %s", step, id), func(s *sqlite.Service) error {
				_, err := s.Remove(ctx, id, nil)
				if err != nil && strings.Contains(err.Error(), "No record") {
					return nil
				}
				return err
			})
		}
	}
	// Counting a table that holds records already fills the counts, and
	// unsetting Counted drops them with their triggers.
	late := sqlite.New(db, "plain", sqlite.Options{Options: opts, Indexes: []sqlite.Index{{Fields: []string{"room", "at"}, Counted: true}}})
	for _, q := range queries() {
		a, _ := late.Find(ctx, &pinion.Params{Query: q})
		b, _ := counted.Find(ctx, &pinion.Params{Query: q})
		if a.(*pinion.Page).Total != b.(*pinion.Page).Total {
			t.Errorf("counts filled from existing records: %v: %d, want %d", q, a.(*pinion.Page).Total, b.(*pinion.Page).Total)
		}
	}
	again := sqlite.New(db, "plain", sqlite.Options{Options: opts, Indexes: []sqlite.Index{{Fields: []string{"room", "at"}}}})
	if _, err := again.Find(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var left int
	db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE 'plain:%:counts%'`).Scan(&left)
	})
	if left != 0 {
		t.Errorf("%d counts objects left after Counted was unset", left)
	}
	// A list in the field: the counts no longer answer.
	both("a list", func(s *sqlite.Service) error {
		_, err := s.Create(ctx, M{"room": []any{"r1", "r2"}, "at": 0.0, "i": 0.0}, nil)
		return err
	})
}
