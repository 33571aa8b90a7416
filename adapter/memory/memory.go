// Package memory is an in-memory database adapter with the semantics of Feathers'
// memory adapter: records are JSON-like maps, queries use the Feathers operators
// with MongoDB's matching rules, find paginates. It suits tests, prototypes and
// caches; data is lost on exit.
//
// Beyond Feathers it refuses duplicate ids and declared unique fields with 409
// Conflict (Feathers overwrites silently), and patch understands the $set, $unset,
// $inc and $push update operators, so code written against the MongoDB adapter
// runs on it.
//
// A Service is safe for concurrent use. Records are stored and returned as deep
// copies: hooks may change what a method returns, and callers may change the data
// they passed in, without touching the store.
package memory

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/schema"
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

	mu     sync.RWMutex
	byKey  map[string]*entry
	order  []*entry // insertion order, which find keeps without a $sort
	nextID int
	// stringIDs makes the assigned ids strings ("0", "1"…): those of a
	// typed service with string ids, which its queries compare with.
	stringIDs bool
	// lend answers the stored maps themselves, not copies, for a typed
	// service that only decodes them into structs sharing nothing with
	// them (schema.Struct.Copies). Stored maps are never changed in place,
	// so this is safe as long as the reader does not change them.
	lend bool
}

// entry is a stored record under its key, the string form of its id, so that
// the REST id "0" finds the record created with the number 0, as in Feathers.
//
// The data map is never changed in place: writes store a new map (under the
// write lock). A reader may therefore keep using a map it read under the read
// lock after releasing it.
type entry struct {
	key  string
	data map[string]any
}

// New returns an empty service. The id field defaults to "id".
func New(opts Options) *Service {
	if opts.ID == "" {
		opts.ID = "id"
	}
	return &Service{opts: opts, byKey: map[string]*entry{}}
}

// Options returns the service's options.
func (s *Service) Options() Options { return s.opts }

// IDField is the id field's JSON name (pinion.IDFielder): a custom method
// acting on a record reads the id from this member of its data.
func (s *Service) IDField() string { return s.opts.ID }

// Paginate is the service's pagination setting, for its documentation.
func (s *Service) Paginate() pinion.Paginate { return s.opts.Paginate }

// AllowsMulti implements pinion.MultiChecker, from Options.Multi: the
// dispatcher refuses other multi calls before any hook runs.
func (s *Service) AllowsMulti(method pinion.Method) bool { return s.opts.AllowsMulti(method) }

func key(id any) string { return pinion.IDString(id) }

func notFound(id any) error {
	return pinion.NotFound("No record found for id '%s'", key(id))
}

// query parses the call's query and compiles its conditions.
func (s *Service) query(params *pinion.Params) (*adapter.Query, matcher, error) {
	q, err := s.opts.Parse(params, nil)
	if err != nil {
		return nil, nil, err
	}
	match, err := compile(q.Where)
	if err != nil {
		return nil, nil, err
	}
	return q, match, nil
}

// result is what a caller gets for a stored record: a copy, reduced to $select.
func (s *Service) result(rec map[string]any, q *adapter.Query) map[string]any {
	if s.lend {
		return q.Project(rec, s.opts.ID)
	}
	return adapter.CloneRecord(q.Project(rec, s.opts.ID))
}

func (s *Service) results(recs []map[string]any, q *adapter.Query) []map[string]any {
	out := make([]map[string]any, len(recs))
	for i, rec := range recs {
		out[i] = s.result(rec, q)
	}
	return out
}

// Find implements pinion.Finder. The total of a page counts every match, before
// $skip and $limit.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	q, match, err := s.query(params)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	recs := s.matching(match)
	s.mu.RUnlock()
	total := len(recs)
	sortRecords(recs, q.Sort)
	data := s.results(window(recs, q.Skip, q.Limit), q)
	if !q.Paginated() {
		return data, nil
	}
	return &pinion.Page{Total: total, Limit: q.Limit, Skip: q.Skip, Data: data}, nil
}

// matching returns the data of the records that match, in insertion order.
// s.mu is held.
func (s *Service) matching(match matcher) []map[string]any {
	var out []map[string]any
	for _, e := range s.order {
		if match(e.data) {
			out = append(out, e.data)
		}
	}
	return out
}

// window applies $skip and $limit (-1: none).
func window(recs []map[string]any, skip, limit int) []map[string]any {
	recs = recs[min(skip, len(recs)):]
	if limit >= 0 && limit < len(recs) {
		recs = recs[:limit]
	}
	return recs
}

// Get implements pinion.Getter. The query must match the record too.
func (s *Service) Get(ctx context.Context, id any, params *pinion.Params) (any, error) {
	q, match, err := s.query(params)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	e, err := s.lookup(id, match)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return s.result(e.data, q), nil
}

// lookup finds the record with id, which must match. s.mu is held.
func (s *Service) lookup(id any, match matcher) (*entry, error) {
	e, ok := s.byKey[key(id)]
	if !ok || !match(e.data) {
		return nil, notFound(id)
	}
	return e, nil
}

// targets returns the record with id, or with a nil id every match, in
// insertion order. s.mu is held.
func (s *Service) targets(id any, match matcher) ([]*entry, error) {
	if id != nil {
		e, err := s.lookup(id, match)
		if err != nil {
			return nil, err
		}
		return []*entry{e}, nil
	}
	var out []*entry
	for _, e := range s.order {
		if match(e.data) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Create implements pinion.Creator, for one record or a list. A record without
// an id (or with a nil one) gets the next free integer, starting at 0. A list is
// created whole or not at all.
func (s *Service) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	if l, ok := data.([]map[string]any); ok {
		data = anyList(l)
	}
	if err := s.opts.CheckMulti(pinion.MethodCreate, nil, data); err != nil {
		return nil, err
	}
	q, err := s.opts.Parse(params, nil) // for $select
	if err != nil {
		return nil, err
	}
	list, isList := data.([]any)
	if !isList {
		list = []any{data}
	}
	recs := make([]map[string]any, len(list))
	for i, d := range list {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Data must be an object or a list of objects")
		}
		if recs[i], err = normalizeRecord(m); err != nil {
			return nil, err
		}
	}
	if err := s.insert(recs); err != nil {
		return nil, err
	}
	if !isList {
		return s.result(recs[0], q), nil
	}
	return s.results(recs, q), nil
}

func anyList(l []map[string]any) []any {
	out := make([]any, len(l))
	for i, m := range l {
		out[i] = m
	}
	return out
}

// insert gives ids to new records and stores them, after checking all of them.
func (s *Service) insert(recs []map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := make([]*entry, len(recs))
	batch := make(map[string]bool, len(recs))
	taken := func(k string) bool { return s.byKey[k] != nil || batch[k] }
	for i, rec := range recs {
		if rec[s.opts.ID] == nil {
			rec[s.opts.ID] = s.newID(taken)
		}
		k := key(rec[s.opts.ID])
		if taken(k) {
			return duplicate(s.opts.ID)
		}
		if err := s.checkUnique(rec, nil, recs[:i]); err != nil {
			return err
		}
		batch[k] = true
		entries[i] = &entry{key: k, data: rec}
	}
	for _, e := range entries {
		s.byKey[e.key] = e
	}
	s.order = append(s.order, entries...)
	return nil
}

// newID returns the next free auto-increment id. s.mu is held.
func (s *Service) newID(taken func(string) bool) any {
	for {
		n := s.nextID
		s.nextID++
		if k := strconv.Itoa(n); !taken(k) {
			if s.stringIDs {
				return k
			}
			return n
		}
	}
}

func duplicate(field string) error {
	return pinion.Conflict("Duplicate value for '%s'", field).WithData(map[string]any{"field": field})
}

// checkUnique reports a Conflict when rec repeats a unique field of a stored
// record other than self, or of another record written with it. s.mu is held.
func (s *Service) checkUnique(rec map[string]any, self *entry, batch []map[string]any) error {
	for _, f := range s.opts.Unique {
		v, ok := rec[f]
		if !ok || v == nil {
			continue
		}
		clash := func(other map[string]any) bool { return equal(other[f], v) }
		if slices.ContainsFunc(batch, clash) ||
			slices.ContainsFunc(s.order, func(e *entry) bool { return e != self && clash(e.data) }) {
			return duplicate(f)
		}
	}
	return nil
}

// Update implements pinion.Updater: the record is replaced, keeping its id.
func (s *Service) Update(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodUpdate, id, data); err != nil {
		return nil, err
	}
	q, match, err := s.query(params)
	if err != nil {
		return nil, err
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	rec, err := normalizeRecord(m)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(id, match)
	if err != nil {
		return nil, err
	}
	rec[s.opts.ID] = e.data[s.opts.ID]
	if err := s.checkUnique(rec, e, nil); err != nil {
		return nil, err
	}
	e.data = rec
	return s.result(rec, q), nil
}

// Patch implements pinion.Patcher: a shallow merge that keeps the id, with the
// $set, $unset, $inc and $push operators. Without an id every record matching
// the query is patched, and the list is answered in $sort order.
func (s *Service) Patch(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodPatch, id, data); err != nil {
		return nil, err
	}
	q, match, err := s.query(params)
	if err != nil {
		return nil, err
	}
	p, err := parsePatch(data, s.opts.ID)
	if err != nil {
		return nil, err
	}
	recs, err := s.patch(id, match, p)
	if err != nil {
		return nil, err
	}
	return s.changed(id, recs, q), nil
}

// patch patches the targets and returns their new data. Either all of them
// change or, on an error, none.
func (s *Service) patch(id any, match matcher, p *adapter.PatchOps) ([]map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	targets, err := s.targets(id, match)
	if err != nil {
		return nil, err
	}
	next := make([]map[string]any, len(targets))
	for i, e := range targets {
		if next[i], err = apply(p, e.data); err != nil {
			return nil, err
		}
		if err := s.checkUnique(next[i], e, next[:i]); err != nil {
			return nil, err
		}
	}
	for i, e := range targets {
		e.data = next[i]
	}
	return next, nil
}

// Remove implements pinion.Remover and answers what it removed. Without an id it
// removes every record matching the query, answered in $sort order.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodRemove, id, nil); err != nil {
		return nil, err
	}
	q, match, err := s.query(params)
	if err != nil {
		return nil, err
	}
	recs, err := s.remove(id, match)
	if err != nil {
		return nil, err
	}
	return s.changed(id, recs, q), nil
}

// changed is the answer of patch and remove: the record of an id, or with a
// nil id every record changed, in the query's order.
func (s *Service) changed(id any, recs []map[string]any, q *adapter.Query) any {
	if id != nil {
		return s.result(recs[0], q)
	}
	sortRecords(recs, q.Sort)
	return s.results(recs, q)
}

func (s *Service) remove(id any, match matcher) ([]map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	targets, err := s.targets(id, match)
	if err != nil {
		return nil, err
	}
	recs := make([]map[string]any, len(targets))
	for i, e := range targets {
		delete(s.byKey, e.key)
		recs[i] = e.data
	}
	s.order = slices.DeleteFunc(s.order, func(e *entry) bool { return s.byKey[e.key] != e })
	return recs, nil
}

// Typed returns a memory service of the Go struct T with ids of type K (an
// integer type, or a string: the ids the service assigns are then "0",
// "1"…), for pinion.Use. Query strings are coerced from T's field types; opts.Fields
// adds to them. opts.ID names T's id field by its JSON name ("id" by
// default).
//
// When T holds no interface, map or []byte field (schema.Struct.Copies),
// records are decoded into T straight from the store, without the copy
// made for callers of maps: the Inner service of such a typed service then
// answers the stored maps themselves, to be read and never changed.
func Typed[T any, K comparable](opts Options) *adapter.Typed[T, K] {
	if opts.ID == "" {
		opts.ID = "id"
	}
	opts.Options = opts.Options.WithFields(adapter.FieldsOf[T]())
	s := New(opts)
	s.stringIDs = reflect.TypeFor[K]().Kind() == reflect.String
	s.lend = schema.For[T]().Copies()
	return adapter.NewTyped[T, K](s, opts.ID)
}
