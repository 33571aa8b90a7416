package mongodb

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Update implements pinion.Updater: the document is replaced by data, keeping
// its id whatever data says.
func (s *Service) Update(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodUpdate, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	oid, err := s.id(id)
	if err != nil {
		return nil, err
	}
	doc, err := s.replacement(data, oid)
	if err != nil {
		return nil, err
	}
	raw, err := s.coll.FindOneAndReplace(ctx, s.filter(q, oid), doc,
		options.FindOneAndReplace().SetReturnDocument(options.After)).Raw()
	return s.modified("update", oid, q, raw, err)
}

// replacement is the document update writes: data without _id (MongoDB keeps
// it) and with a custom id field set to the id, fields in name order.
func (s *Service) replacement(data any, id any) (bson.D, error) {
	m, ok := asMap(data)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	if err := checkKeys(m); err != nil {
		return nil, err
	}
	d := make(bson.D, 0, len(m)+1)
	if s.opts.ID != "_id" {
		d = append(d, bson.E{Key: s.opts.ID, Value: id})
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasPrefix(k, "$") {
			return nil, pinion.BadRequest("Invalid field name '%s': update replaces the whole record; patch takes update operators", k)
		}
		if k != "_id" && k != s.opts.ID {
			d = append(d, bson.E{Key: k, Value: m[k]})
		}
	}
	return d, nil
}

// Patch implements pinion.Patcher: the plain fields of data and the fields of
// its $set are set, its other update operators are applied (see patchOperators),
// and the id never changes.
//
// Without an id, every document matching the query is patched: their ids are
// read first, then they are updated and read again by id (the patch may change
// what the query matches), with the query's $sort and $select.
func (s *Service) Patch(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodPatch, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	u, err := s.modifier(data)
	if err != nil {
		return nil, err
	}
	if id == nil {
		return s.patchMany(ctx, q, u)
	}
	oid, err := s.id(id)
	if err != nil {
		return nil, err
	}
	if len(u) == 0 {
		return s.get(ctx, "patch", oid, q)
	}
	raw, err := s.coll.FindOneAndUpdate(ctx, s.filter(q, oid), u,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Raw()
	return s.modified("patch", oid, q, raw, err)
}

func (s *Service) patchMany(ctx context.Context, q *adapter.Query, u bson.D) (any, error) {
	ids, err := s.ids(ctx, "patch", s.filter(q, nil), q)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []map[string]any{}, nil
	}
	if len(u) > 0 {
		if _, err := s.coll.UpdateMany(ctx, byIDs(ids), u); err != nil {
			return nil, s.wrap("patch", err)
		}
	}
	again := *q
	again.Limit, again.Skip = -1, 0
	return s.find(ctx, "patch", byIDs(ids), &again)
}

// modified answers the result of a findOneAndUpdate, findOneAndReplace or
// findOneAndDelete, projected in Go: FerretDB does not implement their
// projection ("fields"), and one code path serves every server.
func (s *Service) modified(op string, id any, q *adapter.Query, raw bson.Raw, err error) (any, error) {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, s.wrap(op, err)
	}
	rec, err := s.decode(op, raw)
	if err != nil {
		return nil, err
	}
	return project(rec, s.projection(q)), nil
}

// patchOperators are the update operators patch passes through, besides $set.
// $rename is refused: it could move a value to or from the id, and Feathers'
// disabledOperators drops it by default (silently; Pinion says so).
var patchOperators = map[string]bool{
	"$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$push": true, "$addToSet": true, "$pull": true, "$pullAll": true, "$pop": true,
	"$currentDate": true,
}

// modifier builds the update document of a patch: the plain fields and $set
// merge into one $set (an explicit $set wins over a plain field of the same
// name), other operators pass through, and every operator loses the fields that
// would change the id. An empty modifier means there is nothing to write.
func (s *Service) modifier(data any) (bson.D, error) {
	m, ok := asMap(data)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	if err := checkKeys(m); err != nil {
		return nil, err
	}
	set := map[string]any{}
	ops := map[string]map[string]any{}
	for k, v := range m {
		if !strings.HasPrefix(k, "$") {
			if _, explicit := ops["$set"][k]; !explicit {
				set[k] = v
			}
			continue
		}
		if k != "$set" && !patchOperators[k] {
			return nil, pinion.BadRequest("Invalid patch operator %s", k)
		}
		fields, ok := asMap(v)
		if !ok {
			return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
		}
		if k == "$set" {
			maps.Copy(set, fields)
		}
		ops[k] = fields
	}
	delete(ops, "$set")
	u := make(bson.D, 0, len(ops)+1)
	s.keepID(set)
	if len(set) > 0 {
		u = append(u, bson.E{Key: "$set", Value: set})
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		fields := maps.Clone(ops[op]) // the caller's data stays as it was
		s.keepID(fields)
		if len(fields) > 0 {
			u = append(u, bson.E{Key: op, Value: fields})
		}
	}
	return u, nil
}

// keepID removes from the fields of an update operator those that would change
// the id field or _id, or a part of them.
func (s *Service) keepID(fields map[string]any) {
	for k := range fields {
		for _, id := range [...]string{"_id", s.opts.ID} {
			if k == id || strings.HasPrefix(k, id+".") {
				delete(fields, k)
			}
		}
	}
}

// asMap accepts a record as decoded JSON or as a bson.M from Go code.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case bson.M:
		return m, true
	}
	return nil, false
}

// checkKeys refuses a NUL in any key of data, at any depth: BSON cannot hold
// one, and the driver's marshalling error would otherwise be a 500.
func checkKeys(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) {
				return pinion.BadRequest("Invalid data: %q is not a field name", k)
			}
			if err := checkKeys(e); err != nil {
				return err
			}
		}
	case bson.M:
		return checkKeys(map[string]any(x))
	case []any:
		for _, e := range x {
			if err := checkKeys(e); err != nil {
				return err
			}
		}
	}
	return nil
}
