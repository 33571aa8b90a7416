package mongodb

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The service's indexes, and how a duplicate-key error names one of them.

// tablePrefix is the table prefix of a FerretDB SQLite index: the collection,
// 8 hex digits.
var tablePrefix = regexp.MustCompile(`^.*?_[0-9a-f]{8}_`)

// ferretIndexName strips the table prefix from the name FerretDB gives a
// SQLite index: "<lower-case collection>_<8 hex digits>_<index name>".
func (s *Service) ferretIndexName(sqlite string) string {
	prefix := strings.ToLower(s.coll.Name()) + "_"
	if i := strings.Index(sqlite, prefix); i == 0 || i == 1 {
		rest := sqlite[i+len(prefix):]
		if len(rest) > 9 && rest[8] == '_' && isHex(rest[:8]) {
			return rest[9:]
		}
	}
	return tablePrefix.ReplaceAllString(sqlite, "")
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// collision finds the unique index that one of recs, which were to be
// inserted, collides on, for a duplicate-key error that does not say (FerretDB's
// inserts name no index). It asks, index by index, whether another document
// holds a record's values: an extra query or two, on the error path only.
func (s *Service) collision(ctx context.Context, recs []map[string]any) []string {
	for _, keys := range s.uniqueIndexes() {
		for _, rec := range recs {
			filter := bson.D{{Key: "_id", Value: bson.M{"$ne": rec["_id"]}}}
			for _, k := range keys {
				v, _ := lookup(rec, k)
				filter = append(filter, bson.E{Key: k, Value: v})
			}
			n, err := s.coll.CountDocuments(ctx, filter, options.Count().SetLimit(1))
			if err == nil && n > 0 {
				return keys
			}
		}
	}
	return nil
}

// lookup reads a dotted path in a decoded document.
func lookup(doc map[string]any, path string) (any, bool) {
	for {
		head, rest, nested := strings.Cut(path, ".")
		v, ok := doc[head]
		if !ok || !nested {
			return v, ok
		}
		if doc, ok = v.(map[string]any); !ok {
			return nil, false
		}
		path = rest
	}
}

// uniqueIndexes lists the fields of the service's unique indexes.
func (s *Service) uniqueIndexes() [][]string {
	var out [][]string
	for _, ix := range s.opts.Indexes {
		if o := indexOptions(ix); o.Unique != nil && *o.Unique {
			if keys := indexKeys(ix.Keys); keys != nil {
				out = append(out, keys)
			}
		}
	}
	return out
}

// indexOptions reads the options of an index model.
func indexOptions(ix mongo.IndexModel) options.IndexOptions {
	var o options.IndexOptions
	if ix.Options != nil {
		for _, set := range ix.Options.List() {
			set(&o)
		}
	}
	return o
}

// indexFields names the fields of the index called name: one of the service's
// indexes (by its name, given or default), or else the fields a default name
// spells ("email_1", "orgId_1_email_1"). When name is unknown or empty and the
// service declares exactly one unique index, that is the one. Nil means the
// fields cannot be told.
func (s *Service) indexFields(name string) []string {
	if name != "" {
		for _, ix := range s.opts.Indexes {
			ixName := defaultIndexName(ix.Keys)
			if o := indexOptions(ix); o.Name != nil {
				ixName = *o.Name
			}
			if name == ixName {
				return indexKeys(ix.Keys)
			}
		}
		if fields := parseIndexName(name); fields != nil {
			return fields
		}
	}
	if unique := s.uniqueIndexes(); len(unique) == 1 {
		return unique[0]
	}
	return nil
}

// indexKeys lists the fields of an index's keys document. A map of several
// keys has no order, and the driver refuses it anyway.
func indexKeys(keys any) []string {
	if d, ok := keys.(bson.D); ok {
		out := make([]string, len(d))
		for i, e := range d {
			out[i] = e.Key
		}
		return out
	}
	if m, ok := asMap(keys); ok && len(m) == 1 {
		for f := range m {
			return []string{f}
		}
	}
	return nil
}

// defaultIndexName is the name MongoDB gives an index without one:
// "<field>_<kind>" for every key, joined by "_".
func defaultIndexName(keys any) string {
	d, ok := keys.(bson.D)
	if m, isMap := asMap(keys); isMap && len(m) == 1 {
		for f, v := range m {
			d, ok = bson.D{{Key: f, Value: v}}, true
		}
	}
	if !ok || len(d) == 0 {
		return ""
	}
	parts := make([]string, 0, 2*len(d))
	for _, e := range d {
		parts = append(parts, e.Key, fmt.Sprint(e.Value))
	}
	return strings.Join(parts, "_")
}

// indexKinds are the values of index keys as they appear in default names.
var indexKinds = map[string]bool{"1": true, "-1": true, "text": true, "2d": true, "2dsphere": true, "hashed": true}

// parseIndexName reads the fields from a default index name. Field names may
// contain underscores: "created_at_-1" is the field created_at.
func parseIndexName(name string) []string {
	var fields []string
	var field []string
	for part := range strings.SplitSeq(name, "_") {
		if indexKinds[part] && len(field) > 0 {
			fields = append(fields, strings.Join(field, "_"))
			field = field[:0]
			continue
		}
		field = append(field, part)
	}
	if len(field) > 0 {
		return nil // a name of its own, not field_kind pairs
	}
	return fields
}
