// Package memory is an in-memory database adapter with the semantics of Feathers'
// memory adapter: records are JSON-like maps, queries use the Feathers operators,
// find paginates. It suits tests, prototypes and caches; data is lost on exit.
//
// Beyond Feathers it refuses duplicate ids and declared unique fields with 409
// Conflict (Feathers overwrites silently), and supports the $set, $unset, $inc and
// $push patch operators, so code written against the MongoDB adapter runs on it.
package memory

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Options configure a memory service.
type Options struct {
	adapter.Options
	// Unique lists fields whose values must differ between records, like a
	// unique index; a duplicate answers 409 Conflict.
	Unique []string
}

// Service is a memory-backed service with all six standard methods.
type Service struct {
	opts Options

	mu      sync.RWMutex
	records map[string]*record
	order   []*record // insertion order, which find keeps without a $sort
	seq     uint64
	nextID  int
}

type record struct {
	seq  uint64
	data map[string]any
}

// New returns an empty service. The id field defaults to "id".
func New(opts Options) *Service {
	if opts.ID == "" {
		opts.ID = "id"
	}
	return &Service{opts: opts, records: map[string]*record{}}
}

// Options returns the service's options.
func (s *Service) Options() Options { return s.opts }

// key is the store key of an id: ids that print alike are the same record, so
// the REST id "0" finds the record created with the number 0, as in Feathers.
func key(id any) string { return pinion.IDString(id) }

func (s *Service) query(params *pinion.Params) (*adapter.Query, error) {
	return s.opts.Parse(params, nil)
}

func notFound(id any) error {
	return pinion.NotFound("No record found for id '%s'", key(id))
}

// Find implements pinion.Finder.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	matched := s.match(q)
	s.mu.RUnlock()
	total := len(matched)
	sortRecords(matched, q.Sort)
	matched = window(matched, q.Skip, q.Limit)
	data := make([]map[string]any, len(matched))
	for i, r := range matched {
		data[i] = q.Project(copyRecord(r.data), s.opts.ID)
	}
	if !q.Paginated() {
		return data, nil
	}
	return &pinion.Page{Total: total, Limit: q.Limit, Skip: q.Skip, Data: data}, nil
}

// match returns the records matching q, in insertion order. s.mu is held.
func (s *Service) match(q *adapter.Query) []*record {
	var out []*record
	for _, r := range s.order {
		if matches(r.data, q.Where) {
			out = append(out, r)
		}
	}
	return out
}

func window(rs []*record, skip, limit int) []*record {
	if skip >= len(rs) {
		return nil
	}
	rs = rs[skip:]
	if limit >= 0 && limit < len(rs) {
		rs = rs[:limit]
	}
	return rs
}

// Get implements pinion.Getter. The query must match too.
func (s *Service) Get(ctx context.Context, id any, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.lookup(id, q)
	if err != nil {
		return nil, err
	}
	return q.Project(copyRecord(r.data), s.opts.ID), nil
}

// lookup finds the record with id that matches q. s.mu is held.
func (s *Service) lookup(id any, q *adapter.Query) (*record, error) {
	r, ok := s.records[key(id)]
	if !ok || !matches(r.data, q.Where) {
		return nil, notFound(id)
	}
	return r, nil
}

// Create implements pinion.Creator, for one record or a list.
func (s *Service) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodCreate, nil, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	list, isList := data.([]any)
	if !isList {
		list = []any{data}
	}
	items := make([]map[string]any, len(list))
	for i, d := range list {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Data must be an object or a list of objects")
		}
		items[i] = copyRecord(m)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check every item first, so a failing list creates nothing.
	ids := make([]string, len(items))
	pending := map[string]bool{}
	for i, m := range items {
		id, ok := m[s.opts.ID]
		if !ok || id == nil {
			id = s.newID(pending)
			m[s.opts.ID] = id
		}
		k := key(id)
		if _, taken := s.records[k]; taken || pending[k] {
			return nil, pinion.Conflict("Duplicate value for '%s'", s.opts.ID).WithData(map[string]any{"field": s.opts.ID})
		}
		if err := s.checkUnique(m, nil, items[:i]); err != nil {
			return nil, err
		}
		pending[k] = true
		ids[i] = k
	}
	out := make([]map[string]any, len(items))
	for i, m := range items {
		s.seq++
		r := &record{seq: s.seq, data: m}
		s.records[ids[i]] = r
		s.order = append(s.order, r)
		out[i] = q.Project(copyRecord(m), s.opts.ID)
	}
	if !isList {
		return out[0], nil
	}
	return out, nil
}

// newID returns the next free auto-increment id. s.mu is held.
func (s *Service) newID(pending map[string]bool) int {
	for {
		id := s.nextID
		s.nextID++
		k := strconv.Itoa(id)
		if _, taken := s.records[k]; !taken && !pending[k] {
			return id
		}
	}
}

// checkUnique reports a Conflict when m repeats a unique field of another record
// (other than self) or of the records being created with it. s.mu is held.
func (s *Service) checkUnique(m map[string]any, self *record, batch []map[string]any) error {
	for _, f := range s.opts.Unique {
		v, ok := m[f]
		if !ok || v == nil {
			continue
		}
		clash := false
		for _, r := range s.order {
			if r != self && equal(r.data[f], v) {
				clash = true
				break
			}
		}
		for _, o := range batch {
			clash = clash || equal(o[f], v)
		}
		if clash {
			return pinion.Conflict("Duplicate value for '%s'", f).WithData(map[string]any{"field": f})
		}
	}
	return nil
}

// Update implements pinion.Updater: the record is replaced, keeping its id.
func (s *Service) Update(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodUpdate, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookup(id, q)
	if err != nil {
		return nil, err
	}
	next := copyRecord(m)
	next[s.opts.ID] = r.data[s.opts.ID]
	if err := s.checkUnique(next, r, nil); err != nil {
		return nil, err
	}
	r.data = next
	return q.Project(copyRecord(next), s.opts.ID), nil
}

// Patch implements pinion.Patcher: a shallow merge, with $set, $unset, $inc and
// $push understood. Without an id every record matching the query is patched.
func (s *Service) Patch(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodPatch, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	ops, err := parsePatch(m, s.opts.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var targets []*record
	if id == nil {
		targets = s.match(q)
	} else {
		r, err := s.lookup(id, q)
		if err != nil {
			return nil, err
		}
		targets = []*record{r}
	}
	// Compute every new record before storing any, so a failure changes nothing.
	next := make([]map[string]any, len(targets))
	for i, r := range targets {
		if next[i], err = ops.apply(r.data); err != nil {
			return nil, err
		}
		if err := s.checkUnique(next[i], r, next[:i]); err != nil {
			return nil, err
		}
	}
	out := make([]map[string]any, len(targets))
	for i, r := range targets {
		r.data = next[i]
		out[i] = q.Project(copyRecord(next[i]), s.opts.ID)
	}
	if id != nil {
		return out[0], nil
	}
	sortRecordsData(out, q.Sort)
	return out, nil
}

// Remove implements pinion.Remover and returns what it removed. Without an id it
// removes every record matching the query.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodRemove, id, nil); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var targets []*record
	if id == nil {
		targets = s.match(q)
	} else {
		r, err := s.lookup(id, q)
		if err != nil {
			return nil, err
		}
		targets = []*record{r}
	}
	out := make([]map[string]any, len(targets))
	gone := make(map[*record]bool, len(targets))
	for i, r := range targets {
		delete(s.records, key(r.data[s.opts.ID]))
		gone[r] = true
		out[i] = q.Project(r.data, s.opts.ID)
	}
	s.order = slices.DeleteFunc(s.order, func(r *record) bool { return gone[r] })
	if id != nil {
		return out[0], nil
	}
	return out, nil
}
