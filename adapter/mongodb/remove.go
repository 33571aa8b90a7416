package mongodb

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
)

// Remove implements pinion.Remover and answers what it removed.
//
// Without an id, the documents matching the query are read (with its $sort,
// $skip and $select; $limit does not apply) and then deleted by _id, so that
// exactly the documents answered are removed, even if others start to match
// in between.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodRemove, id, nil); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	if id != nil {
		oid, err := s.id(id)
		if err != nil {
			return nil, err
		}
		raw, err := s.coll.FindOneAndDelete(ctx, s.filter(q, oid)).Raw()
		return s.modified("remove", oid, q, raw, err)
	}
	all := *q
	all.Limit = -1
	docs, err := s.find(ctx, "remove", s.filter(q, nil), &all)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return docs, nil
	}
	// Every document has an _id, and the projection of find keeps it.
	ids := make(bson.A, len(docs))
	for i, d := range docs {
		ids[i] = d["_id"]
	}
	if _, err := s.coll.DeleteMany(ctx, byIDs(ids)); err != nil {
		return nil, s.wrap("remove", err)
	}
	return docs, nil
}
