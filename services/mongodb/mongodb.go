// Package mongodb is the MongoDB database adapter, on go.mongodb.org/mongo-driver/v2,
// with the semantics of Feathers' MongoDB adapter: "_id" ids (24-hex strings are
// ObjectIds), Feathers queries, pagination, patch as a $set merge with other
// update operators passed through.
//
// Beyond Feathers: a unique-index violation answers 409 Conflict naming the field
// (Feathers: 500 with the driver's text), driver messages never reach clients in
// production, and fields declared in adapter.Options.Fields are coerced from REST
// query strings (ObjectIds inside $in too).
package mongodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Options configure a MongoDB service.
type Options struct {
	adapter.Options
	// Indexes are created when the app is set up, e.g. a unique email index.
	Indexes []mongo.IndexModel
}

// Service is a MongoDB collection as a service with all six standard methods.
type Service struct {
	coll *mongo.Collection
	opts Options
}

// New returns a service on coll. The id field defaults to "_id".
func New(coll *mongo.Collection, opts Options) *Service {
	if opts.ID == "" {
		opts.ID = "_id"
	}
	return &Service{coll: coll, opts: opts}
}

// Collection returns the underlying collection, for what the service does not do.
func (s *Service) Collection() *mongo.Collection { return s.coll }

// Setup implements pinion.Setuper: it creates the configured indexes.
func (s *Service) Setup(ctx context.Context, app *pinion.App, path string) error {
	if len(s.opts.Indexes) == 0 {
		return nil
	}
	if _, err := s.coll.Indexes().CreateMany(ctx, s.opts.Indexes); err != nil {
		return fmt.Errorf("mongodb: creating indexes of %s: %w", s.coll.Name(), err)
	}
	return nil
}

// objectID turns 24-hex strings into ObjectIds, for the "_id" id and for fields
// declared as adapter.ObjectID.
func objectID(s string) (any, bool) {
	oid, err := bson.ObjectIDFromHex(s)
	return oid, err == nil
}

func (s *Service) query(params *pinion.Params) (*adapter.Query, error) {
	conv := objectID
	if s.opts.ID != "_id" && !hasObjectIDFields(s.opts.Fields) {
		conv = nil
	}
	return s.opts.Parse(params, conv)
}

func hasObjectIDFields(f adapter.Fields) bool {
	for _, t := range f {
		if t == adapter.ObjectID {
			return true
		}
	}
	return false
}

// id validates and converts a method's id argument.
func (s *Service) id(id any) (any, error) {
	switch v := id.(type) {
	case string:
		if s.opts.ID == "_id" {
			if oid, ok := objectID(v); ok {
				return oid, nil
			}
		}
		return v, nil
	case float64, int, int32, int64, bson.ObjectID:
		return v, nil
	}
	b, _ := json.Marshal(id)
	return nil, pinion.BadRequest("Invalid id '%s'", b)
}

func notFound(id any) error {
	if oid, ok := id.(bson.ObjectID); ok {
		id = oid.Hex()
	}
	return pinion.NotFound("No record found for id '%v'", id)
}

// filter builds the MongoDB filter of a query, narrowed to one id when given.
func (s *Service) filter(q *adapter.Query, id any) bson.M {
	f := bson.M(q.Where)
	if id != nil {
		and := []any{bson.M{s.opts.ID: id}}
		if len(q.Where) > 0 {
			and = append(and, q.Where)
		}
		f = bson.M{"$and": and}
	}
	if f == nil {
		f = bson.M{}
	}
	return f
}

func (s *Service) projection(q *adapter.Query) bson.D {
	if q.Select == nil {
		return nil
	}
	p := bson.D{{Key: s.opts.ID, Value: 1}}
	for _, f := range q.Select {
		if f != s.opts.ID {
			p = append(p, bson.E{Key: f, Value: 1})
		}
	}
	return p
}

func sortOf(q *adapter.Query) bson.D {
	if len(q.Sort) == 0 {
		return nil
	}
	d := make(bson.D, len(q.Sort))
	for i, f := range q.Sort {
		d[i] = bson.E{Key: f.Field, Value: f.Order}
	}
	return d
}

// Find implements pinion.Finder. With pagination the total is counted while the
// page is read.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	filter := s.filter(q, nil)
	if !q.Paginated() {
		return s.find(ctx, filter, q)
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
	var data []map[string]any
	if q.Limit != 0 {
		data, err = s.find(ctx, filter, q)
	}
	c := <-total
	if err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, s.wrap("count", c.err)
	}
	if data == nil {
		data = []map[string]any{}
	}
	return &pinion.Page{Total: int(c.n), Limit: q.Limit, Skip: q.Skip, Data: data}, nil
}

func (s *Service) find(ctx context.Context, filter any, q *adapter.Query) ([]map[string]any, error) {
	o := options.Find()
	if sort := sortOf(q); sort != nil {
		o.SetSort(sort)
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
	if q.Limit == 0 {
		return []map[string]any{}, nil
	}
	cur, err := s.coll.Find(ctx, filter, o)
	if err != nil {
		return nil, s.wrap("find", err)
	}
	defer cur.Close(ctx)
	out := []map[string]any{}
	for cur.Next(ctx) {
		doc, err := document(cur.Current)
		if err != nil {
			return nil, s.wrap("decode", err)
		}
		out = append(out, doc)
	}
	if err := cur.Err(); err != nil {
		return nil, s.wrap("find", err)
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
	o := options.FindOne()
	if p := s.projection(q); p != nil {
		o.SetProjection(p)
	}
	raw, err := s.coll.FindOne(ctx, s.filter(q, oid), o).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(oid)
	}
	if err != nil {
		return nil, s.wrap("get", err)
	}
	return s.decode(raw)
}

func (s *Service) decode(raw bson.Raw) (map[string]any, error) {
	doc, err := document(raw)
	if err != nil {
		return nil, s.wrap("decode", err)
	}
	return doc, nil
}

// Create implements pinion.Creator, for one record or a list. The inserted
// documents are answered as written (with their new ids), without reading them
// back.
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
	docs := make([]any, len(list))
	out := make([]map[string]any, len(list))
	for i, d := range list {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("Data must be an object or a list of objects")
		}
		doc := maps.Clone(m)
		switch id := doc[s.opts.ID].(type) {
		case nil:
			if s.opts.ID == "_id" {
				doc["_id"] = bson.NewObjectID()
			} else {
				doc[s.opts.ID] = bson.NewObjectID().Hex()
			}
		case string:
			if conv, err := s.id(id); err == nil {
				doc[s.opts.ID] = conv
			}
		}
		docs[i] = doc
		out[i] = q.Project(doc, s.opts.ID)
	}
	if isList {
		if len(docs) > 0 {
			if _, err := s.coll.InsertMany(ctx, docs); err != nil {
				return nil, s.wrap("create", err)
			}
		}
		return out, nil
	}
	if _, err := s.coll.InsertOne(ctx, docs[0]); err != nil {
		return nil, s.wrap("create", err)
	}
	return out[0], nil
}

// Update implements pinion.Updater: the document is replaced, keeping its id.
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
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	doc := maps.Clone(m)
	delete(doc, "_id")
	if s.opts.ID != "_id" {
		doc[s.opts.ID] = oid
	}
	raw, err := s.coll.FindOneAndReplace(ctx, s.filter(q, oid), doc,
		options.FindOneAndReplace().SetReturnDocument(options.After)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(oid)
	}
	if err != nil {
		return nil, s.wrap("update", err)
	}
	rec, err := s.decode(raw)
	if err != nil {
		return nil, err
	}
	// FerretDB cannot project findAndModify results; doing it here works everywhere.
	return q.Project(rec, s.opts.ID), nil
}

// updateOperators are the operators patch passes through. $rename is refused,
// like Feathers' disabledOperators default (which drops it silently).
var updateOperators = map[string]bool{
	"$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$push": true, "$addToSet": true, "$pull": true, "$pullAll": true, "$pop": true,
	"$currentDate": true,
}

// update builds the update document of a patch: plain fields and $set merge into
// one $set; the id never changes.
func (s *Service) update(data any) (bson.M, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, pinion.BadRequest("Data must be an object")
	}
	set := bson.M{}
	u := bson.M{}
	for k, v := range m {
		switch {
		case k == "$set":
			fields, ok := v.(map[string]any)
			if !ok {
				return nil, pinion.BadRequest("Invalid patch operator $set: expected an object of fields")
			}
			maps.Copy(set, fields)
		case strings.HasPrefix(k, "$"):
			if !updateOperators[k] {
				return nil, pinion.BadRequest("Invalid patch operator %s", k)
			}
			if _, ok := v.(map[string]any); !ok {
				return nil, pinion.BadRequest("Invalid patch operator %s: expected an object of fields", k)
			}
			u[k] = v
		default:
			set[k] = v
		}
	}
	delete(set, s.opts.ID)
	if len(set) > 0 {
		u["$set"] = set
	}
	return u, nil
}

// Patch implements pinion.Patcher. Without an id, every document matching the
// query is patched and read again by id (the patch may change what the query
// matches).
func (s *Service) Patch(ctx context.Context, id, data any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodPatch, id, data); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	u, err := s.update(data)
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
		return s.Get(ctx, oid, params)
	}
	raw, err := s.coll.FindOneAndUpdate(ctx, s.filter(q, oid), u,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(oid)
	}
	if err != nil {
		return nil, s.wrap("patch", err)
	}
	rec, err := s.decode(raw)
	if err != nil {
		return nil, err
	}
	return q.Project(rec, s.opts.ID), nil
}

func (s *Service) patchMany(ctx context.Context, q *adapter.Query, u bson.M) (any, error) {
	ids, err := s.ids(ctx, s.filter(q, nil))
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []map[string]any{}, nil
	}
	byID := bson.M{s.opts.ID: bson.M{"$in": ids}}
	if len(u) > 0 {
		if _, err := s.coll.UpdateMany(ctx, byID, u); err != nil {
			return nil, s.wrap("patch", err)
		}
	}
	again := *q
	again.Limit = -1
	again.Skip = 0
	return s.find(ctx, byID, &again)
}

// ids returns the ids of the documents matching filter.
func (s *Service) ids(ctx context.Context, filter any) ([]any, error) {
	cur, err := s.coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: s.opts.ID, Value: 1}}))
	if err != nil {
		return nil, s.wrap("find", err)
	}
	defer cur.Close(ctx)
	var ids []any
	for cur.Next(ctx) {
		v, err := cur.Current.LookupErr(s.opts.ID)
		if err != nil {
			continue
		}
		id, err := value(v)
		if err != nil {
			return nil, s.wrap("decode", err)
		}
		ids = append(ids, id)
	}
	if err := cur.Err(); err != nil {
		return nil, s.wrap("find", err)
	}
	return ids, nil
}

// Remove implements pinion.Remover and returns what it removed.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	if err := s.opts.CheckMulti(pinion.MethodRemove, id, nil); err != nil {
		return nil, err
	}
	q, err := s.query(params)
	if err != nil {
		return nil, err
	}
	if id == nil {
		all := *q
		all.Limit, all.Skip = -1, 0
		docs, err := s.find(ctx, s.filter(q, nil), &all)
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			return docs, nil
		}
		ids := make([]any, 0, len(docs))
		for _, d := range docs {
			ids = append(ids, d[s.opts.ID])
		}
		if _, err := s.coll.DeleteMany(ctx, bson.M{s.opts.ID: bson.M{"$in": ids}}); err != nil {
			return nil, s.wrap("remove", err)
		}
		return docs, nil
	}
	oid, err := s.id(id)
	if err != nil {
		return nil, err
	}
	raw, err := s.coll.FindOneAndDelete(ctx, s.filter(q, oid)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(oid)
	}
	if err != nil {
		return nil, s.wrap("remove", err)
	}
	rec, err := s.decode(raw)
	if err != nil {
		return nil, err
	}
	return q.Project(rec, s.opts.ID), nil
}

// wrap turns a driver error into what callers should see: 409 Conflict for a
// duplicate key, otherwise a wrapped error the core reports as a GeneralError
// without its text in production.
func (s *Service) wrap(op string, err error) error {
	if mongo.IsDuplicateKeyError(err) {
		field := s.duplicateField(err)
		if field == "" {
			return pinion.Conflict("Duplicate value").Wrap(err)
		}
		return pinion.Conflict("Duplicate value for '%s'", field).WithData(map[string]any{"field": field}).Wrap(err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("mongodb: %s %s: %w", op, s.coll.Name(), err)
}

// duplicateField names the field of a duplicate-key error: from the server's
// keyValue (MongoDB 4.4+), from the index name in the message, or, when the
// service declares exactly one unique index, from that index.
func (s *Service) duplicateField(err error) string {
	var we mongo.WriteException
	if errors.As(err, &we) {
		for _, e := range we.WriteErrors {
			if kv, ok := e.Raw.Lookup("keyValue").DocumentOK(); ok {
				if elems, _ := kv.Elements(); len(elems) > 0 {
					return elems[0].Key()
				}
			}
		}
	}
	var unique []string
	for _, ix := range s.opts.Indexes {
		if ix.Options == nil {
			continue
		}
		var o options.IndexOptions
		for _, set := range ix.Options.List() {
			set(&o)
		}
		if o.Unique != nil && *o.Unique {
			if keys, ok := ix.Keys.(bson.D); ok && len(keys) > 0 {
				unique = append(unique, keys[0].Key)
				if strings.Contains(err.Error(), "index: "+keys[0].Key+"_") {
					return keys[0].Key
				}
			}
		}
	}
	if len(unique) == 1 {
		return unique[0]
	}
	return ""
}
