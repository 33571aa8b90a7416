// Package sqlite is an embedded database adapter on SQLite (the pure-Go
// modernc.org/sqlite, so builds need no C compiler), with the semantics of the
// memory and MongoDB adapters: "_id" ids (new ones are 24-hex ObjectId
// strings), Feathers queries with MongoDB's matching and sorting rules,
// pagination with totals, patch with $set, $unset, $inc and $push, unique
// indexes that answer 409 Conflict naming the field.
//
// Unlike a document store on a generic backend, it answers queries from
// indexes. A table holds one row per record:
//
//	seq   INTEGER PRIMARY KEY  insertion order, the order of finds without $sort
//	id    TEXT UNIQUE          pinion.IDString of the id
//	data  BLOB                 the record as JSONB, the id included
//	"k:f" INTEGER, "v:f"       for each field f that an index names: the kind
//	                           of its value (see kindNull…) and the value as
//	                           SQL compares it
//
// The adapter writes the kind and value columns itself, from the record it is
// about to store; an index on them is an ordinary SQLite index, which answers
// equality, ranges, $in, sorting and counts without reading records. A Feathers
// query becomes one SQL statement with bound values (see where.go): conditions
// on indexed fields use the columns, others read the JSON with SQLite's JSON
// functions, with the same meaning.
//
// MongoDB's rule that {tags: "go"} matches a list holding "go" would make every
// condition an OR that defeats indexes; so for an indexed field the query asks
// first, in its snapshot, whether any record holds a list there (one index
// probe), and leaves the list branch out when none does.
//
// Writes go through one connection, one transaction at a time (see DB); a
// multi create, patch or remove is one transaction, whole or not at all.
// In WAL mode with synchronous=NORMAL (the default, see Normal) an
// acknowledged write survives the end of the process at any moment, kill -9
// included; Full also survives a power cut, for an fsync per write.
//
// Where it differs from the memory adapter, on purpose or by the nature of
// SQL:
//
//   - a dot path reads through objects only, not through lists into the
//     objects they hold ("comments.author"), and "tags.0" names a key "0";
//   - conditions on the id field compare ids the way get does, by their
//     pinion.IDString: {_id: "5"} finds the record whose id is the number 5;
//   - records equal on every $sort key come in insertion order, reversed when
//     the last key is descending (an index read backwards), and lists and
//     objects sort among themselves by their JSON text;
//   - field names starting with "$" or holding NUL are refused in data (400),
//     and names holding '"' cannot be queried;
//   - numbers are float64, as JSON has them; dates are time.Time in UTC.
//
// A Service is safe for concurrent use. Results are fresh values, never shared.
package sqlite

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Options configure a service.
type Options struct {
	adapter.Options
	// Indexes are created (and ones no longer listed dropped) when the service
	// is set up. A unique index refuses a second record with the same values
	// with 409 Conflict naming its fields; records where the field is missing
	// or null are not compared, as in the memory adapter.
	Indexes []Index
}

// Index is an index on one field or, in order, several: an index on
// {roomId, createdAt} answers "the newest messages of a room" without sorting.
// Fields are dot paths.
type Index struct {
	Fields []string
	Unique bool
	// Counted keeps the number of records for each value of the first field,
	// in a side table that triggers update in every write: the total of a
	// page whose only condition is that field's equality ({roomId: "r1"}, or
	// null: no room) is then one lookup, where SQLite would count every
	// matching entry (tens of nanoseconds each). For fields with few values
	// that many records share; each write updates one row more.
	Counted bool
}

// Service is an SQLite table as a service with all six standard methods.
type Service struct {
	db    *DB
	table string
	opts  Options

	schema  atomic.Pointer[schema] // nil until set up (see ready)
	setupMu sync.Mutex
}

// New returns a service on the table (created when the service is set up, or
// on its first call). The id field defaults to "_id".
func New(db *DB, table string, opts Options) *Service {
	if opts.ID == "" {
		opts.ID = "_id"
	}
	return &Service{db: db, table: table, opts: opts}
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

// Table is the name of the service's table.
func (s *Service) Table() string { return s.table }

// Setup implements pinion.Setuper: it creates the table and the indexes.
func (s *Service) Setup(ctx context.Context, app *pinion.App, path string) error {
	_, err := s.ready(ctx)
	return err
}

// ready returns the table's schema, creating it on first use. A failed setup
// is tried again on the next call.
func (s *Service) ready(ctx context.Context) (*schema, error) {
	if sc := s.schema.Load(); sc != nil {
		return sc, nil
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if sc := s.schema.Load(); sc != nil {
		return sc, nil
	}
	sc, err := s.migrate(ctx)
	if err != nil {
		return nil, err
	}
	s.schema.Store(sc)
	// Statements prepared before may name columns that are gone.
	s.db.writes.flush()
	s.db.reads.flush()
	return sc, nil
}

// Typed returns a service of the Go struct T with ids of type K on the table,
// for pinion.Use, as memory.Typed and mongodb.Typed do. Records are stored
// under T's JSON names; the id field is "_id" unless opts.ID says otherwise.
// New ids are 24-hex ObjectId strings, so K is usually string (a K of another
// kind needs every create to carry its id). Query strings are coerced from T's
// field types; opts.Fields adds to them. The table's indexes are
// opts.Indexes and one on each field T's tags index (index:"true" or
// index:"unique", see package schema).
func Typed[T any, K comparable](db *DB, table string, opts Options) *adapter.Typed[T, K] {
	if opts.ID == "" {
		opts.ID = "_id"
	}
	opts.Options = opts.Options.WithFields(adapter.FieldsOf[T]())
	opts.Indexes = withTagged(opts.Indexes, adapter.IndexesOf[T]())
	return adapter.NewTyped[T, K](New(db, table, opts), opts.ID)
}

// withTagged adds to indexes one index for each field that the struct tags
// index, unless indexes already has one on that field alone (the options
// win: they may count it, say).
func withTagged(indexes []Index, tagged []adapter.IndexedField) []Index {
	out := slices.Clone(indexes)
	for _, f := range tagged {
		if !slices.ContainsFunc(indexes, func(ix Index) bool { return slices.Equal(ix.Fields, []string{f.Path}) }) {
			out = append(out, Index{Fields: []string{f.Path}, Unique: f.Unique})
		}
	}
	return out
}
