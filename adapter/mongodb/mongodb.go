// Package mongodb is the MongoDB database adapter, on go.mongodb.org/mongo-driver/v2,
// with the semantics of Feathers' MongoDB adapter: "_id" ids (24-hex strings are
// ObjectIds), Feathers queries, pagination, patch as a $set merge with the other
// update operators passed through.
//
// Beyond Feathers:
//
//   - a unique-index violation answers 409 Conflict naming the field (Feathers:
//     500 with the driver's text), and data the database refuses (an $inc on a
//     string, conflicting operators) answers 400; other driver errors are
//     returned as Go errors, which the core reports as a GeneralError without
//     their text in production;
//   - fields declared in adapter.Options.Fields are coerced from REST query
//     strings, ObjectIds inside $in and $nin too;
//   - patch refuses $rename and unknown operators with a BadRequest (Feathers
//     drops $rename silently), and neither patch nor update ever changes an id;
//   - create answers the inserted documents without reading them back.
//
// Results are plain Go values: map[string]any for documents, []any for arrays,
// float64, int32 or int64 for numbers, string, bool, nil, time.Time in UTC for
// dates, and bson.ObjectID, which encodes to its 24-hex JSON string. Hooks and
// pinion.Records see the same shapes as with the memory adapter, never bson.M
// or bson.D.
//
// The adapter works against MongoDB and against FerretDB (the embedded
// subpackage) alike. Two differences of FerretDB's are absorbed here: it cannot
// project findAndModify results, so patch, update and remove project them in
// Go, and it reports a unique violation in an update as an internal error
// quoting SQLite, which is recognised as a duplicate too. It has no TTL
// indexes: Setup fails on one.
package mongodb

import (
	"context"
	"fmt"
	"slices"

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
	// Unique indexes also name the field of a 409 Conflict.
	Indexes []mongo.IndexModel
}

// Service is a MongoDB collection as a service with all six standard methods.
// It is safe for concurrent use.
type Service struct {
	coll *mongo.Collection
	opts Options
}

// New returns a service on coll. The id field defaults to "_id".
//
// With another id field ("id"), ids are what the data gives, or a new ObjectId
// as a hex string when it gives none, as in Feathers; "_id" is still set by the
// database and appears in results.
func New(coll *mongo.Collection, opts Options) *Service {
	if opts.ID == "" {
		opts.ID = "_id"
	}
	return &Service{coll: coll, opts: opts}
}

// Collection returns the underlying collection, for what the service does not do.
func (s *Service) Collection() *mongo.Collection { return s.coll }

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

// Setup implements pinion.Setuper: it creates the configured indexes.
// Creating an index that exists with the same options does nothing.
func (s *Service) Setup(ctx context.Context, app *pinion.App, path string) error {
	if len(s.opts.Indexes) == 0 {
		return nil
	}
	if _, err := s.coll.Indexes().CreateMany(ctx, s.opts.Indexes); err != nil {
		return fmt.Errorf("mongodb: creating the indexes of %s: %w", s.coll.Name(), err)
	}
	return nil
}

// Typed returns a service of the Go struct T with ids of type K on coll, for
// pinion.Use. Documents are stored under T's JSON names; the id field is
// "_id" unless opts.ID says otherwise, usually a bson.ObjectID (or a string
// holding its hex). Query strings are coerced from T's field types;
// opts.Fields adds to them. The indexes are opts.Indexes and one on each
// field T's tags index (index:"true" or index:"unique", see package schema).
func Typed[T any, K comparable](coll *mongo.Collection, opts Options) *adapter.Typed[T, K] {
	if opts.ID == "" {
		opts.ID = "_id"
	}
	fields := adapter.FieldsOf[T]()
	if opts.ID == "_id" && fields[opts.ID] == adapter.String {
		// A string _id holds an ObjectId's hex (the database assigns
		// ObjectIds): left undeclared, queries convert it as for maps.
		delete(fields, opts.ID)
	}
	opts.Options = opts.Options.WithFields(fields)
	opts.Indexes = withTagged(opts.Indexes, adapter.IndexesOf[T]())
	return adapter.NewTyped[T, K](New(coll, opts), opts.ID)
}

// withTagged adds to indexes one ascending index for each field that the
// struct tags index, named as MongoDB names it ("<field>_1"), unless indexes
// already has one on that field alone.
func withTagged(indexes []mongo.IndexModel, tagged []adapter.IndexedField) []mongo.IndexModel {
	out := slices.Clone(indexes)
	for _, f := range tagged {
		if slices.ContainsFunc(indexes, func(ix mongo.IndexModel) bool {
			keys, ok := ix.Keys.(bson.D)
			return ok && len(keys) == 1 && keys[0].Key == f.Path
		}) {
			continue
		}
		o := options.Index().SetName(f.Path + "_1")
		if f.Unique {
			o.SetUnique(true)
		}
		out = append(out, mongo.IndexModel{Keys: bson.D{{Key: f.Path, Value: 1}}, Options: o})
	}
	return out
}
