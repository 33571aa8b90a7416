package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// TestPlans checks how SQLite runs the queries of indexed fields: from the
// index, without sorting, as long as no record holds a list in the field.
func TestPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db, "messages", Options{
		Options: adapter.Options{Paginate: pinion.Paginate{Default: 10}, Multi: []pinion.Method{"create"}},
		Indexes: []Index{
			{Fields: []string{"email"}, Unique: true},
			{Fields: []string{"createdAt"}},
			{Fields: []string{"roomId", "createdAt"}},
			{Fields: []string{"tags"}},
			{Fields: []string{"roomId", "userId"}},
		},
	})
	if _, err := s.Create(ctx, []any{
		map[string]any{"email": "a@example.com", "createdAt": 1.0, "roomId": "r1", "text": "hi"},
		map[string]any{"email": "b@example.com", "createdAt": 2.0, "roomId": "r2", "tags": []any{"x"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		query map[string]any
		want  []string // in the plan, in order
		not   []string // nowhere in the plan
	}{
		{"equality", map[string]any{"email": "a@example.com"}, []string{`USING INDEX messages:["email"]`}, []string{"SCAN", "TEMP"}},
		{"newest first", map[string]any{"$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}},
			[]string{`SCAN messages USING INDEX messages:["createdAt"]`}, []string{"TEMP"}},
		{"range in order", map[string]any{"createdAt": map[string]any{"$lt": 5.0}, "$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}},
			[]string{`SEARCH messages USING INDEX messages:["createdAt"]`}, []string{"TEMP", "VIRTUAL TABLE"}},
		{"a room's newest", map[string]any{"roomId": "r1", "$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}},
			[]string{`SEARCH messages USING INDEX messages:["roomId","createdAt"]`}, []string{"TEMP", "VIRTUAL TABLE"}},
		{"no room, newest first", map[string]any{"roomId": nil, "$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}},
			[]string{`SEARCH messages USING INDEX messages:["roomId","createdAt"]`}, []string{"TEMP", "VIRTUAL TABLE"}},
		{"no room, newest first, as the chat asks", map[string]any{"$and": []any{map[string]any{"$or": []any{map[string]any{"roomId": nil}}}},
			"$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}},
			[]string{`SEARCH messages USING INDEX messages:["roomId","createdAt"]`}, []string{"TEMP", "VIRTUAL TABLE"}},
		{"$in", map[string]any{"roomId": map[string]any{"$in": []any{"r1", "r2"}}}, []string{`USING INDEX messages:["roomId",`}, []string{"SCAN"}},
		{"by id", map[string]any{"_id": "x"}, []string{"USING INDEX sqlite_autoindex_messages_1"}, []string{"SCAN"}},
		{"unindexed", map[string]any{"text": "hi"}, []string{"SCAN messages"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := explain(t, s, tc.query)
			at := 0
			for _, w := range tc.want {
				i := strings.Index(plan[at:], w)
				if i < 0 {
					t.Fatalf("plan %q, want %q", plan, w)
				}
				at += i
			}
			for _, n := range tc.not {
				if strings.Contains(plan, n) {
					t.Errorf("plan %q has %q", plan, n)
				}
			}
		})
	}
	// The lists probe reads an index, also for a field that no index leads
	// with (userId): the partial index of lists.
	for _, f := range []string{"createdAt", "roomId", "email", "userId"} {
		rows, err := s.db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM messages WHERE \"k:"+f+"\" = 5)")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "messages USING COVERING INDEX") ||
			f == "userId" && !strings.Contains(p, ":lists") {
			t.Errorf("probe of %s: plan %q", f, plan)
		}
	}
	// A field that holds a list somewhere needs the list branch, which the
	// index still narrows to the records holding lists.
	if plan := explain(t, s, map[string]any{"tags": "x"}); !strings.Contains(plan, "MULTI-INDEX OR") || !strings.Contains(plan, "VIRTUAL TABLE") {
		t.Errorf("tags: plan %q, want the list branch", plan)
	}
}

// explain returns the plan of the page query of find, as one line.
func explain(t *testing.T, s *Service, query map[string]any) string {
	t.Helper()
	ctx := context.Background()
	q, err := s.query(&pinion.Params{Query: query})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, cond, err := s.conditions(ctx, conn{cache: s.db.reads}, sc, q.Where)
	if err != nil {
		t.Fatal(err)
	}
	order, err := c.orderBy(q.Sort)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT seq, json(data) FROM "+sc.table+" WHERE "+cond+" ORDER BY "+order+" LIMIT 10", c.args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "; ")
}

// tagged declares its indexes in its struct: email unique, room plain.
type tagged struct {
	ID    string `json:"_id"`
	Email string `json:"email" index:"unique"`
	Room  string `json:"room" index:"true"`
	Text  string `json:"text"`
}

// TestTaggedIndexPlans checks that the indexes a typed service's struct tags
// declare are made and used: SQLite's plan of a find on a tagged field
// searches its index, and the unique one refuses a second email.
func TestTaggedIndexPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "tagged.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	typed := Typed[tagged, string](db, "tagged", Options{Indexes: []Index{{Fields: []string{"room", "text"}}}})
	s := typed.Inner().(*Service)
	if _, err := typed.Create(ctx, tagged{Email: "a@example.com", Room: "r1"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := typed.Create(ctx, tagged{Email: "a@example.com", Room: "r2"}, nil); err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("a second record with the same email: %v, want a conflict on email", err)
	}
	for _, tc := range []struct {
		query map[string]any
		index string
	}{
		{map[string]any{"email": "a@example.com"}, `USING INDEX tagged:["email"]`},
		{map[string]any{"room": "r1"}, `USING INDEX tagged:["room"`}, // room's own, or the declared {room, text}
		{map[string]any{"room": "r1", "text": "x"}, `USING INDEX tagged:["room","text"]`},
	} {
		if plan := explain(t, s, tc.query); !strings.Contains(plan, "SEARCH tagged "+tc.index) {
			t.Errorf("plan of %v: %q, want a search %s", tc.query, plan, tc.index)
		}
	}
	if plan := explain(t, s, map[string]any{"text": "x"}); !strings.Contains(plan, "SCAN tagged") {
		t.Errorf("plan of an untagged field: %q, want a scan", plan)
	}
}
