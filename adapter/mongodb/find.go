package mongodb

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Find implements pinion.Finder. It answers a *pinion.Page when pagination is
// on, else a []map[string]any. The total of a page is counted while the page is
// read; $limit 0 reads no documents but still counts them.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	filter := s.filter(q, nil)
	if !q.Paginated() {
		return s.find(ctx, "find", filter, q)
	}
	type count struct {
		n   int64
		err error
	}
	total := make(chan count, 1)
	go func() {
		n, err := s.coll.CountDocuments(ctx, filter)
		total <- count{n, err}
	}()
	data, err := s.find(ctx, "find", filter, q)
	c := <-total
	if err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, s.wrap("count", c.err)
	}
	return &pinion.Page{Total: int(c.n), Limit: q.Limit, Skip: q.Skip, Data: data}, nil
}

// find reads the documents matching filter with the sort, skip, limit and
// projection of q. It never answers nil, so that an empty result encodes as [].
func (s *Service) find(ctx context.Context, op string, filter any, q *adapter.Query) ([]map[string]any, error) {
	if q.Limit == 0 {
		return []map[string]any{}, nil
	}
	o := options.Find()
	if order := sortOf(q); order != nil {
		o.SetSort(order)
	}
	if q.Skip > 0 {
		o.SetSkip(int64(q.Skip))
	}
	if q.Limit > 0 {
		o.SetLimit(int64(q.Limit))
	}
	if p := s.projection(q); p != nil {
		o.SetProjection(p)
	}
	cur, err := s.coll.Find(ctx, filter, o)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer cur.Close(ctx)
	out := []map[string]any{}
	for cur.Next(ctx) {
		doc, err := document(cur.Current)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, doc)
	}
	if err := cur.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// Get implements pinion.Getter. The query must match too.
func (s *Service) Get(ctx context.Context, id any, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	oid, err := s.id(id)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, "get", oid, q)
}

// get reads the document with the converted id oid that also matches q.
func (s *Service) get(ctx context.Context, op string, oid any, q *adapter.Query) (map[string]any, error) {
	o := options.FindOne()
	if p := s.projection(q); p != nil {
		o.SetProjection(p)
	}
	raw, err := s.coll.FindOne(ctx, s.filter(q, oid), o).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(oid)
	}
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return s.decode(op, raw)
}

// ids answers the _id of the documents matching filter, in the order and from
// the offset of q's $sort and $skip; $limit does not apply, as in Feathers'
// multi patch and remove.
func (s *Service) ids(ctx context.Context, op string, filter any, q *adapter.Query) (bson.A, error) {
	o := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}})
	if order := sortOf(q); order != nil {
		o.SetSort(order)
	}
	if q.Skip > 0 {
		o.SetSkip(int64(q.Skip))
	}
	cur, err := s.coll.Find(ctx, filter, o)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer cur.Close(ctx)
	ids := bson.A{}
	for cur.Next(ctx) {
		v, err := cur.Current.LookupErr("_id")
		if err != nil {
			return nil, s.wrap(op, err)
		}
		id, err := value(v)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		ids = append(ids, id)
	}
	if err := cur.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return ids, nil
}

// decode converts a document read from the database.
func (s *Service) decode(op string, raw bson.Raw) (map[string]any, error) {
	doc, err := document(raw)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return doc, nil
}
