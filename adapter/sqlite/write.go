package sqlite

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Create implements pinion.Creator, for one record or a list. A record without
// an id (or with a nil one) gets a new ObjectId string. A list is created in
// one transaction, whole or not at all. The answer is the records as written,
// without reading them back.
func (s *Service) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	if l, ok := data.([]map[string]any); ok {
		data = anyList(l)
	}
	if err := s.opts.CheckMulti(pinion.MethodCreate, nil, data); err != nil {
		return nil, err
	}
	q, err := s.query(params) // for $select
	if err != nil {
		return nil, err
	}
	list, isList := data.([]any)
	if !isList {
		list = []any{data}
	}
	recs := make([]map[string]any, len(list))
	keys := make([]string, len(list))
	for i, d := range list {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Data must be an object or a list of objects")
		}
		if recs[i], err = normalizeRecord(m); err != nil {
			return nil, err
		}
		if recs[i][s.opts.ID] == nil {
			recs[i][s.opts.ID] = s.db.ids.next()
		}
		if keys[i], err = key(recs[i][s.opts.ID]); err != nil {
			return nil, err
		}
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		err = s.db.writeConn(ctx, func(tx conn) error {
			for i, rec := range recs {
				if _, err := tx.exec(ctx, sc.insert, sc.row(keys[i], rec)...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, s.wrap("create", sc, err)
		}
	}
	if !isList {
		return q.Project(recs[0], s.opts.ID), nil
	}
	out := make([]map[string]any, len(recs))
	for i, rec := range recs {
		out[i] = q.Project(rec, s.opts.ID)
	}
	return out, nil
}

func anyList(l []map[string]any) []any {
	out := make([]any, len(l))
	for i, m := range l {
		out[i] = m
	}
	return out
}

// Update implements pinion.Updater: the record is replaced by data, keeping
// its id whatever data says.
func (s *Service) Update(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodUpdate, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	k, err := key(id)
	if err != nil {
		return nil, err
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	for f := range m {
		if strings.HasPrefix(f, "$") {
			return nil, pinion.BadRequest("Invalid field name '%s': update replaces the whole record; patch takes update operators", f)
		}
	}
	rec, err := normalizeRecord(m)
	if err != nil {
		return nil, err
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	var found bool
	err = s.db.writeConn(ctx, func(tx conn) error {
		olds, err := s.byID(ctx, tx, sc, k, q.Where)
		if err != nil || len(olds) == 0 {
			return err
		}
		found = true
		if old, ok := olds[0].rec[s.opts.ID]; ok {
			rec[s.opts.ID] = old
		} else {
			delete(rec, s.opts.ID)
		}
		_, err = tx.exec(ctx, sc.update, sc.updateArgs(rec, olds[0].seq)...)
		return err
	})
	if err != nil {
		return nil, s.wrap("update", sc, err)
	}
	if !found {
		return nil, notFound(id)
	}
	return q.Project(rec, s.opts.ID), nil
}

// Patch implements pinion.Patcher: a shallow merge that keeps the id, with
// the $set, $unset, $inc and $push operators (see patchOps). Without an id
// every record matching the query is patched, in one transaction, and the
// list is answered in $sort order ($limit and $skip do not apply).
func (s *Service) Patch(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodPatch, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	var k string
	if id != nil {
		if k, err = key(id); err != nil {
			return nil, err
		}
	}
	p, err := parsePatch(data, s.opts.ID)
	if err != nil {
		return nil, err
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = s.db.writeConn(ctx, func(tx conn) error {
		targets, err := s.targets(ctx, tx, sc, id, k, q)
		if err != nil {
			return err
		}
		seqs := make([]int64, len(targets))
		for i, t := range targets {
			next, err := apply(p, t.rec)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, sc.update, sc.updateArgs(next, t.seq)...); err != nil {
				return err
			}
			seqs[i] = t.seq
			out = append(out, next)
		}
		if id == nil && len(q.Sort) > 0 && len(targets) > 1 {
			// The patch may have changed what the records sort by.
			out, err = s.bySeq(ctx, tx, sc, seqs, q.Sort)
		}
		return err
	})
	if err != nil {
		return nil, s.wrap("patch", sc, err)
	}
	return s.changed(id, out, q)
}

// Remove implements pinion.Remover and answers what it removed. Without an id
// it removes every record matching the query, in one transaction, answered in
// $sort order ($limit and $skip do not apply).
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodRemove, id, nil); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	var k string
	if id != nil {
		if k, err = key(id); err != nil {
			return nil, err
		}
	}
	sc, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = s.db.writeConn(ctx, func(tx conn) error {
		targets, err := s.targets(ctx, tx, sc, id, k, q)
		if err != nil || len(targets) == 0 {
			return err
		}
		seqs := make([]int64, len(targets))
		for i, t := range targets {
			seqs[i] = t.seq
			out = append(out, t.rec)
		}
		_, err = tx.exec(ctx, "DELETE FROM "+sc.table+" WHERE seq IN (SELECT value FROM json_each(?))", seqList(seqs))
		return err
	})
	if err != nil {
		return nil, s.wrap("remove", sc, err)
	}
	return s.changed(id, out, q)
}

// targets reads the records a patch or remove changes: the one with the id
// key k, or with a nil id every match, in $sort order.
func (s *Service) targets(ctx context.Context, tx conn, sc *schema, id any, k string, q *adapter.Query) ([]stored, error) {
	if id != nil {
		return s.byID(ctx, tx, sc, k, q.Where)
	}
	c, cond, err := s.conditions(ctx, tx, sc, q.Where)
	if err != nil {
		return nil, err
	}
	order, err := c.orderBy(q.Sort)
	if err != nil {
		return nil, err
	}
	return selectRecords(ctx, tx, sc, cond, c.args, order, -1, 0)
}

// bySeq reads the records of rows seqs in $sort order.
func (s *Service) bySeq(ctx context.Context, tx conn, sc *schema, seqs []int64, sort []adapter.SortField) ([]map[string]any, error) {
	c := &compiler{sc: sc, id: s.opts.ID}
	order, err := c.orderBy(sort)
	if err != nil {
		return nil, err
	}
	recs, err := selectRecords(ctx, tx, sc, "seq IN (SELECT value FROM json_each(?))", []any{seqList(seqs)}, order, -1, 0)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = r.rec
	}
	return out, nil
}

// seqList is a JSON list of row numbers, one bound parameter for any number
// of rows.
func seqList(seqs []int64) string {
	b, _ := json.Marshal(seqs)
	return string(b)
}

// changed is the answer of patch and remove: the record of an id, or with a
// nil id the list of records changed (never nil, so it encodes as []).
func (s *Service) changed(id any, recs []map[string]any, q *adapter.Query) (any, error) {
	if id != nil {
		if len(recs) == 0 {
			return nil, notFound(id)
		}
		return q.Project(recs[0], s.opts.ID), nil
	}
	out := make([]map[string]any, len(recs))
	for i, rec := range recs {
		out[i] = q.Project(rec, s.opts.ID)
	}
	return out, nil
}
