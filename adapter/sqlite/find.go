package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// stored is a record read for a write: its row and its data.
type stored struct {
	seq int64
	rec map[string]any
}

// query parses the call's query with Feathers' rules. Fields declared
// adapter.ObjectID must hold 24 hex digits, kept as the strings records hold.
func (s *Service) query(params *pinion.Params) (*adapter.Query, error) {
	return s.opts.Parse(params, isObjectID)
}

// conditions compiles the conditions of where, after asking, in the snapshot
// of db, which of the indexed fields they name hold a list in some record.
func (s *Service) conditions(ctx context.Context, db conn, sc *schema, where map[string]any) (*compiler, string, error) {
	c := &compiler{sc: sc, id: s.opts.ID}
	fields := map[string]bool{}
	sc.indexedFields(where, s.opts.ID, fields)
	if len(fields) > 0 {
		var err error
		if c.lists, err = s.lists(ctx, db, sc, fields); err != nil {
			return nil, "", err
		}
	}
	w, err := c.where(where)
	if err != nil {
		return nil, "", err
	}
	return c, w, nil
}

// lists asks in one statement which of the indexed fields hold a list in some
// record: one probe of each field's index.
func (s *Service) lists(ctx context.Context, db conn, sc *schema, fields map[string]bool) (map[string]bool, error) {
	names := make([]string, 0, len(fields))
	probes := make([]string, 0, len(fields))
	for _, c := range sc.fields {
		if fields[c.field] {
			names = append(names, c.field)
			probes = append(probes, fmt.Sprintf("EXISTS (SELECT 1 FROM %s WHERE %s = %d)", sc.table, c.kind, kindList))
		}
	}
	found := make([]bool, len(names))
	dest := make([]any, len(names))
	for i := range found {
		dest[i] = &found[i]
	}
	if err := db.scan(ctx, "SELECT "+strings.Join(probes, ", "), nil, dest...); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for i, name := range names {
		out[name] = found[i]
	}
	return out, nil
}

// selectRecords reads the records matching cond (with args) in order (none:
// any), after skip, at most limit (-1: all).
func selectRecords(ctx context.Context, db conn, sc *schema, cond string, args []any, order string, limit, skip int) ([]stored, error) {
	stmt := "SELECT seq, json(data) FROM " + sc.table + whereClause(cond)
	if order != "" {
		stmt += " ORDER BY " + order
	}
	if limit >= 0 || skip > 0 {
		stmt += " LIMIT ? OFFSET ?"
		args = append(args, limit, skip)
	}
	rows, err := db.query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stored
	var text []byte
	for rows.Next() {
		var st stored
		if err := rows.Scan(&st.seq, &text); err != nil {
			return nil, err
		}
		if st.rec, err = decodeRecord(text); err != nil {
			return nil, fmt.Errorf("decoding record %d: %w", st.seq, err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// pageAndTotal reads a page of the records matching cond and their total in
// one pass: the statement a full scan needs when a condition reads a field
// from the records' JSON (see scans). The inner query runs the scan once,
// keeping only the seq of each match and counting them all (a window over the
// whole result, computed before LIMIT); the outer one reads the JSON of the
// page's rows only. Two statements, a count and a page, would scan twice.
// The total is 0 when the page is empty: a page past the end has to be
// counted apart.
func pageAndTotal(ctx context.Context, db conn, sc *schema, cond string, args []any, order string, limit, skip int) ([]stored, int, error) {
	stmt := "SELECT seq, json(data), total FROM (SELECT seq, count(*) OVER () AS total FROM " + sc.table + whereClause(cond) +
		" ORDER BY " + order + " LIMIT ? OFFSET ?) CROSS JOIN " + sc.table + " USING (seq) ORDER BY " + order
	rows, err := db.query(ctx, stmt, append(args[:len(args):len(args)], limit, skip)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []stored
	var text []byte
	total := 0
	for rows.Next() {
		var st stored
		if err := rows.Scan(&st.seq, &text, &total); err != nil {
			return nil, 0, err
		}
		if st.rec, err = decodeRecord(text); err != nil {
			return nil, 0, fmt.Errorf("decoding record %d: %w", st.seq, err)
		}
		out = append(out, st)
	}
	return out, total, rows.Err()
}

// scans reports whether a condition of where names a field without columns
// (nor the id), which SQLite reads from each candidate record's JSON: such a
// query reads its page and its total in one pass (pageAndTotal). Queries on
// indexed fields only count from their index, or from a counts table, and
// read their page from the index in order, stopping after it; for them two
// statements cost less than one that visits every match.
func (sc *schema) scans(where map[string]any, id string) bool {
	for k, v := range where {
		switch k {
		case "$or", "$and":
			list, _ := v.([]any)
			for _, e := range list {
				if q, ok := e.(map[string]any); ok && sc.scans(q, id) {
					return true
				}
			}
		default:
			if sc.byName[k] == nil && k != id {
				return true
			}
		}
	}
	return false
}

// whereClause is the WHERE of a condition, none when it is always true:
// SQLite counts a whole table from its smallest index only without one.
func whereClause(cond string) string {
	if cond == "1" {
		return ""
	}
	return " WHERE " + cond
}

// view runs fn on a read snapshot: a transaction when the call reads more than
// once (a page and its total, the lists probe), else straight on the readers.
func (s *Service) view(ctx context.Context, snapshot bool, fn func(db conn) error) error {
	if !snapshot {
		return fn(conn{cache: s.db.reads})
	}
	return s.db.Read(ctx, func(tx *sql.Tx) error { return fn(txConn(tx, s.db.reads)) })
}

// needsProbe reports whether conditions name an indexed field, so that the
// call reads the lists probe and its query from one snapshot.
func (sc *schema) needsProbe(where map[string]any, id string) bool {
	fields := map[string]bool{}
	sc.indexedFields(where, id, fields)
	return len(fields) > 0
}

// Find implements pinion.Finder. It answers a *pinion.Page when pagination is
// on, else a []map[string]any; the total of a page is counted in the snapshot
// the page is read from. $limit 0 reads no records but still counts them.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	total := 0
	data := []map[string]any{}
	snapshot := q.Paginated() || sc.needsProbe(q.Where, s.opts.ID)
	err = s.view(ctx, snapshot, func(db conn) error {
		c, cond, err := s.conditions(ctx, db, sc, q.Where)
		if err != nil {
			return err
		}
		if q.Paginated() && q.Limit != 0 && sc.scans(q.Where, s.opts.ID) {
			order, err := c.orderBy(q.Sort)
			if err != nil {
				return err
			}
			recs, n, err := pageAndTotal(ctx, db, sc, cond, c.args, order, q.Limit, q.Skip)
			if err != nil || len(recs) > 0 || q.Skip == 0 {
				for _, r := range recs {
					data = append(data, q.Project(r.rec, s.opts.ID))
				}
				total = n
				return err
			}
			// A page past the end carries no total: count on.
		}
		if q.Paginated() {
			stmt, args, ok := c.countQuery(q.Where)
			if !ok {
				stmt, args = "SELECT count(*) FROM "+sc.table+whereClause(cond), c.args
			}
			if err := db.scan(ctx, stmt, args, &total); err != nil {
				return err
			}
		}
		if q.Limit == 0 {
			return nil
		}
		order, err := c.orderBy(q.Sort)
		if err != nil {
			return err
		}
		recs, err := selectRecords(ctx, db, sc, cond, c.args, order, q.Limit, q.Skip)
		for _, r := range recs {
			data = append(data, q.Project(r.rec, s.opts.ID))
		}
		return err
	})
	if err != nil {
		return nil, s.wrap("find", sc, err)
	}
	if !q.Paginated() {
		return data, nil
	}
	return &pinion.Page{Total: total, Limit: q.Limit, Skip: q.Skip, Data: data}, nil
}

// Get implements pinion.Getter. The query must match the record too.
func (s *Service) Get(ctx context.Context, id any, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	k, err := key(id)
	if err != nil {
		return nil, err
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	var found []stored
	err = s.view(ctx, sc.needsProbe(q.Where, s.opts.ID), func(db conn) error {
		found, err = s.byID(ctx, db, sc, k, q.Where)
		return err
	})
	if err != nil {
		return nil, s.wrap("get", sc, err)
	}
	if len(found) == 0 {
		return nil, notFound(id)
	}
	return q.Project(found[0].rec, s.opts.ID), nil
}

// byID reads the record with the id key k if it matches where.
func (s *Service) byID(ctx context.Context, db conn, sc *schema, k string, where map[string]any) ([]stored, error) {
	c, cond, err := s.conditions(ctx, db, sc, where)
	if err != nil {
		return nil, err
	}
	args := append([]any{k}, c.args...)
	if cond == "1" {
		return selectRecords(ctx, db, sc, "id = ?", args, "", -1, 0)
	}
	return selectRecords(ctx, db, sc, "id = ? AND "+cond, args, "", -1, 0)
}
