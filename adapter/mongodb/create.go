package mongodb

import (
	"context"
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
)

// Create implements pinion.Creator, for one record or a list.
//
// Every document gets its _id here rather than from the driver, so that the
// answer is the document as written, decoded from the very BSON that was
// inserted, with no second round trip (Feathers reads it back). A string _id
// that is 24 hex digits is stored as an ObjectId. A list is inserted in order
// and stops at the first failure, like insertMany.
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
	p := s.projection(q)
	docs := make([]any, len(list))
	recs := make([]map[string]any, len(list))
	out := make([]map[string]any, len(list))
	for i, d := range list {
		m, ok := asMap(d)
		if !ok {
			return nil, pinion.BadRequest("Data must be an object or a list of objects")
		}
		raw, err := s.newDocument(m)
		if err != nil {
			return nil, err
		}
		rec, err := s.decode("create", raw)
		if err != nil {
			return nil, err
		}
		docs[i], recs[i], out[i] = raw, rec, project(rec, p)
	}
	switch {
	case !isList:
		if _, err := s.coll.InsertOne(ctx, docs[0]); err != nil {
			return nil, s.insertError(ctx, err, recs)
		}
		return out[0], nil
	case len(docs) > 0:
		if _, err := s.coll.InsertMany(ctx, docs); err != nil {
			return nil, s.insertError(ctx, err, recs)
		}
	}
	return out, nil
}

// newDocument encodes the data of a new record: _id first (and a custom id
// field next), then the other fields in name order, so that stored documents
// look alike whatever order Go's maps iterate in.
func (s *Service) newDocument(data map[string]any) (bson.Raw, error) {
	d := make(bson.D, 0, len(data)+2)
	switch id := data["_id"].(type) {
	case nil:
		d = append(d, bson.E{Key: "_id", Value: bson.NewObjectID()})
	case string:
		if oid, ok := objectID(id); ok {
			d = append(d, bson.E{Key: "_id", Value: oid})
		} else {
			d = append(d, bson.E{Key: "_id", Value: id})
		}
	default:
		d = append(d, bson.E{Key: "_id", Value: id})
	}
	if s.opts.ID != "_id" {
		id := data[s.opts.ID]
		if id == nil {
			id = bson.NewObjectID().Hex()
		}
		d = append(d, bson.E{Key: s.opts.ID, Value: id})
	}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		if k != "_id" && k != s.opts.ID {
			d = append(d, bson.E{Key: k, Value: data[k]})
		}
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, pinion.BadRequest("Invalid data: %v", err)
	}
	return raw, nil
}

// insertError is wrap for the error of inserting recs: when the server does
// not say which unique index they violate, it is looked for.
func (s *Service) insertError(ctx context.Context, err error, recs []map[string]any) error {
	if fields, ok := s.duplicate(err); ok && fields == nil {
		return conflict(s.collision(ctx, recs), err)
	}
	return s.wrap("create", err)
}

func anyList(l []map[string]any) []any {
	out := make([]any, len(l))
	for i, m := range l {
		out[i] = m
	}
	return out
}
