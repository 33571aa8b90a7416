// Package ferretdb reads the files of FerretDB 1.x's SQLite backend, the
// embedded store of Pinion's server before it used adapter/sqlite, without
// FerretDB: the server migrates them on its first start (server/migrate.go).
//
// FerretDB keeps a database in one SQLite file, "<database>.sqlite". Its table
// "_ferretdb_collections" (name, table_name, settings) maps each collection to
// a table with one column, "_ferretdb_sjson": a document as SJSON, JSON whose
// "$s" key holds the types JSON cannot tell (ObjectId, date, int, long,
// binary…) and the order of the keys:
//
//	{"$s": {"$k": ["_id", "n"], "p": {"_id": {"t": "objectId"}, "n": {"t": "int"}}},
//	 "_id": "65f0c0ffee0000000000beef", "n": 42}
//
// Documents are decoded into the values the Pinion adapters hold: ObjectIds
// as their 24-hex string, dates as time.Time in UTC, int, long and double as
// float64, binary data as []byte, objects as map[string]any, arrays as []any.
// Regular expressions and timestamps, which JSON has no word for either, are
// reported through Document.Notes and stored as text ("/pattern/options") and
// numbers.
package ferretdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registered as "sqlite"
)

// File is a FerretDB database file opened for reading.
type File struct {
	path string
	db   *sql.DB
}

// Open opens a "<database>.sqlite" file of FerretDB. Queries cannot write to
// it; SQLite may still fold a write-ahead log left by a crash into it, which
// changes no data.
func Open(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("ferretdb: opening %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	f := &File{path: abs, db: db}
	if _, err := f.Collections(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return f, nil
}

// Close closes the file.
func (f *File) Close() error { return f.db.Close() }

// Collection is a collection of the database.
type Collection struct {
	Name  string
	table string
	// Indexes are the collection's indexes as FerretDB lists them, for the
	// record.
	Indexes []Index
}

// Index is an index of a collection.
type Index struct {
	Name   string
	Fields []string
	Unique bool
}

// Collections lists the collections, by name.
func (f *File) Collections(ctx context.Context) ([]Collection, error) {
	rows, err := f.db.QueryContext(ctx, `SELECT name, table_name, settings FROM "_ferretdb_collections" ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("ferretdb: %s is not a FerretDB database file: %w", f.path, err)
	}
	defer rows.Close()
	var out []Collection
	for rows.Next() {
		var c Collection
		var settings string
		if err := rows.Scan(&c.Name, &c.table, &settings); err != nil {
			return nil, fmt.Errorf("ferretdb: %w", err)
		}
		var s struct {
			Indexes []struct {
				Name   string `json:"name"`
				Unique bool   `json:"unique"`
				Key    []struct {
					Field      string `json:"field"`
					Descending bool   `json:"descending"`
				} `json:"key"`
			} `json:"indexes"`
		}
		if err := json.Unmarshal([]byte(settings), &s); err == nil {
			for _, ix := range s.Indexes {
				i := Index{Name: ix.Name, Unique: ix.Unique}
				for _, k := range ix.Key {
					i.Fields = append(i.Fields, k.Field)
				}
				c.Indexes = append(c.Indexes, i)
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Count is the number of documents of a collection.
func (f *File) Count(ctx context.Context, c Collection) (int, error) {
	var n int
	err := f.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %q", c.table)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("ferretdb: counting %s: %w", c.Name, err)
	}
	return n, nil
}

// Document is a decoded document.
type Document struct {
	Data map[string]any
	// Notes name the values stored in a form that differs from the
	// original's (a regular expression as text, a long beyond float64's exact
	// integers…), one per value.
	Notes []string
}

// Documents calls fn with each document of the collection, in the order
// FerretDB inserted them, stopping at fn's first error.
func (f *File) Documents(ctx context.Context, c Collection, fn func(Document) error) error {
	rows, err := f.db.QueryContext(ctx, fmt.Sprintf(`SELECT "_ferretdb_sjson" FROM %q ORDER BY rowid`, c.table))
	if err != nil {
		return fmt.Errorf("ferretdb: reading %s: %w", c.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return fmt.Errorf("ferretdb: reading %s: %w", c.Name, err)
		}
		var d decoder
		doc, err := d.document([]byte(text))
		if err != nil {
			return fmt.Errorf("ferretdb: a document of %s: %w", c.Name, err)
		}
		if err := fn(Document{Data: doc, Notes: d.notes}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Decode decodes one SJSON document.
func Decode(sjson []byte) (Document, error) {
	var d decoder
	doc, err := d.document(sjson)
	return Document{Data: doc, Notes: d.notes}, err
}

// schema is the "$s" of a document or of an object.
type schema struct {
	Keys       []string         `json:"$k"`
	Properties map[string]*elem `json:"p"`
}

type elem struct {
	Type    string  `json:"t"`
	Schema  *schema `json:"$s,omitempty"`
	Options *string `json:"o,omitempty"`
	Items   []*elem `json:"i,omitempty"`
	Subtype *int    `json:"s,omitempty"`
}

type decoder struct {
	notes []string
	path  []string
}

func (d *decoder) note(format string, args ...any) {
	d.notes = append(d.notes, strings.Join(d.path, ".")+": "+fmt.Sprintf(format, args...))
}

func (d *decoder) document(data []byte) (map[string]any, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	s, ok := raw["$s"]
	if !ok {
		return nil, fmt.Errorf("no schema ($s)")
	}
	var sch schema
	if err := json.Unmarshal(s, &sch); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	delete(raw, "$s")
	return d.object(raw, &sch)
}

func (d *decoder) object(raw map[string]json.RawMessage, sch *schema) (map[string]any, error) {
	if len(sch.Keys) != len(raw) {
		return nil, fmt.Errorf("%d keys in the schema, %d in the data", len(sch.Keys), len(raw))
	}
	out := make(map[string]any, len(raw))
	for _, k := range sch.Keys {
		v, ok := raw[k]
		if !ok {
			return nil, fmt.Errorf("key %q is missing", k)
		}
		d.path = append(d.path, k)
		val, err := d.value(v, sch.Properties[k])
		d.path = d.path[:len(d.path)-1]
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = val
	}
	return out, nil
}

func (d *decoder) value(data json.RawMessage, e *elem) (any, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil, nil
	}
	if e == nil {
		return nil, fmt.Errorf("no schema")
	}
	switch e.Type {
	case "object":
		if e.Schema == nil {
			return nil, fmt.Errorf("an object without a schema")
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, err
		}
		return d.object(raw, e.Schema)
	case "array":
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, err
		}
		if len(raw) != len(e.Items) {
			return nil, fmt.Errorf("%d items in the schema, %d in the data", len(e.Items), len(raw))
		}
		out := make([]any, len(raw))
		for i, item := range raw {
			d.path = append(d.path, fmt.Sprint(i))
			v, err := d.value(item, e.Items[i])
			d.path = d.path[:len(d.path)-1]
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "double":
		var f float64
		err := json.Unmarshal(data, &f)
		return f, err
	case "string", "objectId":
		var s string
		err := json.Unmarshal(data, &s)
		return s, err
	case "bool":
		var b bool
		err := json.Unmarshal(data, &b)
		return b, err
	case "date":
		var ms int64
		if err := json.Unmarshal(data, &ms); err != nil {
			return nil, err
		}
		return time.UnixMilli(ms).UTC(), nil
	case "int", "long":
		var n int64
		if err := json.Unmarshal(data, &n); err != nil {
			return nil, err
		}
		if f := float64(n); n > 1<<53 || n < -(1<<53) || int64(f) != n {
			d.note("the %s %d has no exact float64: stored as %v", e.Type, n, f)
		}
		return float64(n), nil
	case "timestamp":
		var n uint64
		if err := json.Unmarshal(data, &n); err != nil {
			return nil, err
		}
		d.note("a BSON timestamp, stored as the number %d", n)
		return float64(n), nil
	case "binData":
		var b []byte
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, err
		}
		if e.Subtype != nil && *e.Subtype != 0 {
			d.note("binary data of subtype %d, stored as plain bytes", *e.Subtype)
		}
		return b, nil
	case "regex":
		var p string
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, err
		}
		opts := ""
		if e.Options != nil {
			opts = *e.Options
		}
		d.note("a regular expression, stored as the text /%s/%s", p, opts)
		return "/" + p + "/" + opts, nil
	}
	return nil, fmt.Errorf("unknown type %q", e.Type)
}
