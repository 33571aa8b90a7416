package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Counted fields (Index.Counted). SQLite counts the entries of an index range
// one by one, so the total of a page grows with the records that match: tens
// of nanoseconds each, milliseconds for the 50,000 messages of no room. For a
// counted field the table keeps the number of records per value in a side
// table, "<table>:["field"]:counts" (k, v, n), kept by triggers on the table,
// in the transaction of every write, whoever writes: the total of a query
// whose only condition is equality on the field is one lookup.
//
// A null or missing value is counted under its kind with the value 0 (the
// value column is NULL then, and a primary key cannot hold NULL).

// countsName is the side table of a counted field; triggers add
// ":insert", ":delete" and ":update".
func (s *Service) countsName(field string) string {
	b, _ := json.Marshal([]string{field})
	return s.table + ":" + string(b) + ":counts"
}

// countsSQL returns the statements that make a field's counts: the table,
// its filling from the records, and the triggers, by name.
func (s *Service) countsSQL(field string) (table, fill string, triggers map[string]string) {
	name := s.countsName(field)
	counts, tbl := ident(name), ident(s.table)
	k, v := ident(kindColumn(field)), ident(valueColumn(field))
	table = "CREATE TABLE " + counts + " (k INTEGER NOT NULL, v NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (k, v)) WITHOUT ROWID"
	fill = fmt.Sprintf("INSERT INTO %s (k, v, n) SELECT %s, IFNULL(%s, 0), count(*) FROM %s GROUP BY 1, 2", counts, k, v, tbl)
	add := func(rec string) string {
		return fmt.Sprintf("INSERT OR IGNORE INTO %[1]s (k, v, n) VALUES (%[2]s.%[3]s, IFNULL(%[2]s.%[4]s, 0), 0); "+
			"UPDATE %[1]s SET n = n + 1 WHERE k = %[2]s.%[3]s AND v = IFNULL(%[2]s.%[4]s, 0);", counts, rec, k, v)
	}
	sub := func(rec string) string {
		return fmt.Sprintf("UPDATE %[1]s SET n = n - 1 WHERE k = %[2]s.%[3]s AND v = IFNULL(%[2]s.%[4]s, 0);", counts, rec, k, v)
	}
	triggers = map[string]string{
		name + ":insert": fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT ON %s BEGIN %s END", ident(name+":insert"), tbl, add("NEW")),
		name + ":delete": fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE ON %s BEGIN %s END", ident(name+":delete"), tbl, sub("OLD")),
		name + ":update": fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE OF %s, %s ON %s WHEN OLD.%s IS NOT NEW.%s OR OLD.%s IS NOT NEW.%s BEGIN %s %s END",
			ident(name+":update"), k, v, tbl, k, k, v, v, sub("OLD"), add("NEW")),
	}
	return table, fill, triggers
}

// countedFields are the fields the options count: the first of each counted
// index.
func (s *Service) countedFields() []string {
	set := map[string]bool{}
	for _, ix := range s.opts.Indexes {
		if ix.Counted && len(ix.Fields) > 0 {
			set[ix.Fields[0]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// dropCounts drops the counts (tables and triggers) of the table that are not
// wanted, or not as wanted, and returns the wanted ones still in place. It
// runs before columns are dropped: a trigger names them.
func (s *Service) dropCounts(ctx context.Context, tx *sql.Tx, wanted []string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger') AND name LIKE ? ESCAPE '\\'",
		likePrefix(s.table+":[")+"%:counts%")
	if err != nil {
		return nil, err
	}
	existing := map[string]string{} // name → statement
	tables := map[string]bool{}
	for rows.Next() {
		var typ, name, stmt string
		if err := rows.Scan(&typ, &name, &stmt); err != nil {
			rows.Close()
			return nil, err
		}
		existing[name] = stmt
		if typ == "table" {
			tables[name] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for _, f := range wanted {
		name := s.countsName(f)
		table, _, triggers := s.countsSQL(f)
		same := existing[name] == table
		for tn, stmt := range triggers {
			same = same && existing[tn] == stmt
		}
		if same {
			kept[name] = true
			for tn := range triggers {
				delete(existing, tn)
			}
			delete(existing, name)
		}
	}
	// Triggers first, then their tables.
	for _, name := range slices.Sorted(maps.Keys(existing)) {
		if !tables[name] {
			if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+ident(name)); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(existing)) {
		if tables[name] {
			if _, err := tx.ExecContext(ctx, "DROP TABLE "+ident(name)); err != nil {
				return nil, err
			}
		}
	}
	return kept, nil
}

// createCounts makes the counts of the wanted fields that are not kept,
// filled from the records, whose columns are filled by then.
func (s *Service) createCounts(ctx context.Context, tx *sql.Tx, wanted []string, kept map[string]bool) error {
	for _, f := range wanted {
		if kept[s.countsName(f)] {
			continue
		}
		table, fill, triggers := s.countsSQL(f)
		stmts := []string{table, fill}
		for _, name := range slices.Sorted(maps.Keys(triggers)) {
			stmts = append(stmts, triggers[name])
		}
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("counting %s: %w", f, err)
			}
		}
	}
	return nil
}

// likePrefix escapes a LIKE pattern's wildcards in p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p)
}

// countQuery returns the statement and arguments that read the total of where
// from a counts table, when where is one equality on a counted field that
// holds no list in this snapshot (c.lists): {f: v}, or the same inside a
// one-element $and or $or, as hooks that narrow queries write it.
func (c *compiler) countQuery(where map[string]any) (string, []any, bool) {
	field, v, ok := singleEquality(where)
	if !ok || field == c.id || c.lists[field] {
		return "", nil, false
	}
	counts, ok := c.sc.counts[field]
	if !ok {
		return "", nil, false
	}
	n, ok := normalized(v)
	if !ok {
		return "", nil, false
	}
	val := sqlValue(n)
	if val == nil {
		val = int64(0)
	}
	return "SELECT IFNULL((SELECT n FROM " + counts + " WHERE k = ? AND v = ?), 0)", []any{int64(kindOf(n)), val}, true
}

// singleEquality reads where as one equality, {f: v} or {f: {$eq: v}},
// through one-element $and and $or.
func singleEquality(where map[string]any) (string, any, bool) {
	if len(where) != 1 {
		return "", nil, false
	}
	for k, x := range where {
		switch {
		case k == "$and" || k == "$or":
			list, _ := x.([]any)
			if len(list) != 1 {
				return "", nil, false
			}
			m, ok := list[0].(map[string]any)
			if !ok {
				return "", nil, false
			}
			return singleEquality(m)
		case strings.HasPrefix(k, "$"):
			return "", nil, false
		}
		if m, ok := x.(map[string]any); ok && hasOperator(m) {
			if e, ok := m["$eq"]; ok && len(m) == 1 {
				return k, e, true
			}
			return "", nil, false
		}
		return k, x, true
	}
	return "", nil, false
}
