package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// schema is what a set-up service knows of its table.
type schema struct {
	table  string             // quoted
	fields []*column          // the indexed fields, by name
	byName map[string]*column // the same, by field path
	// unique lists the unique indexes with the column list SQLite names when
	// one is violated ("people.k:email, people.v:email"), the id's first.
	unique []uniqueIndex
	insert string // INSERT of id, data and the columns, in order
	update string // UPDATE of data and the columns WHERE seq = ?
	// counts are the counts tables of the counted fields (quoted), by field.
	counts map[string]string
}

// column is the pair of columns of an indexed field (quoted names).
type column struct {
	field       string
	kind, value string
}

type uniqueIndex struct {
	fields  []string
	columns string
}

// The types of the kind and value columns. The value column has none, so
// that values keep theirs (no conversion of "5" to 5).
const (
	kindType  = " INTEGER NOT NULL DEFAULT 0"
	valueType = ""
)

func kindColumn(field string) string  { return "k:" + field }
func valueColumn(field string) string { return "v:" + field }

// indexName is the name of a declared index: the table and the JSON list of
// its fields, unambiguous whatever the field names hold.
func (s *Service) indexName(ix Index) string {
	b, _ := json.Marshal(ix.Fields)
	return s.table + ":" + string(b)
}

// indexSQL is the statement that creates ix; an index whose stored statement
// differs (it became unique, say) is dropped and created again.
func (s *Service) indexSQL(ix Index) string {
	cols := make([]string, 0, 2*len(ix.Fields))
	for _, f := range ix.Fields {
		cols = append(cols, ident(kindColumn(f)), ident(valueColumn(f)))
	}
	unique := ""
	if ix.Unique {
		unique = "UNIQUE "
	}
	return fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", unique, ident(s.indexName(ix)), ident(s.table), strings.Join(cols, ", "))
}

// listsIndexName and listsIndexSQL are the partial index of the records
// holding a list in an indexed field: empty unless some record does, it
// answers the lists probe of every query on the field (see conditions) at
// once, whatever index the field is part of.
func (s *Service) listsIndexName(field string) string {
	b, _ := json.Marshal([]string{field})
	return s.table + ":" + string(b) + ":lists"
}

func (s *Service) listsIndexSQL(field string) string {
	return fmt.Sprintf("CREATE INDEX %s ON %s (seq) WHERE %s = %d", ident(s.listsIndexName(field)), ident(s.table), ident(kindColumn(field)), kindList)
}

// migrate brings the table to the service's options in one transaction: it
// creates the table, adds the columns of newly indexed fields and fills them
// from the stored records, creates the declared indexes, and drops the indexes
// and columns that no declaration names any more. An unchanged table costs a
// few reads of the schema.
func (s *Service) migrate(ctx context.Context) (*schema, error) {
	if err := checkTable(s.table); err != nil {
		return nil, err
	}
	wanted := map[string]string{} // index name → CREATE statement
	unique := map[string][]string{}
	fieldSet := map[string]bool{}
	for _, ix := range s.opts.Indexes {
		if len(ix.Fields) == 0 {
			return nil, fmt.Errorf("sqlite: an index of %s has no fields", s.table)
		}
		for _, f := range ix.Fields {
			if err := checkPath(f); err != nil {
				return nil, fmt.Errorf("sqlite: index of %s: %w", s.table, err)
			}
			fieldSet[f] = true
		}
		wanted[s.indexName(ix)] = s.indexSQL(ix)
		if ix.Unique {
			unique[s.indexName(ix)] = ix.Fields
		}
	}
	for f := range fieldSet {
		wanted[s.listsIndexName(f)] = s.listsIndexSQL(f)
	}
	sc := s.newSchema(slices.Sorted(maps.Keys(fieldSet)))
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		// A new table gets its columns at once: each ALTER TABLE parses the
		// whole schema again.
		defs := []string{"seq INTEGER PRIMARY KEY", "id TEXT NOT NULL UNIQUE", "data BLOB NOT NULL"}
		for _, c := range sc.fields {
			defs = append(defs, c.kind+kindType, c.value+valueType)
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+sc.table+" ("+strings.Join(defs, ", ")+")"); err != nil {
			return err
		}
		existing, err := s.indexes(ctx, tx)
		if err != nil {
			return err
		}
		for name, stmt := range existing {
			if want, ok := wanted[name]; !ok || stmt != want {
				if _, err := tx.ExecContext(ctx, "DROP INDEX "+ident(name)); err != nil {
					return err
				}
				delete(existing, name)
			}
		}
		counted := s.countedFields()
		kept, err := s.dropCounts(ctx, tx, counted)
		if err != nil {
			return err
		}
		cols, err := s.columns(ctx, tx)
		if err != nil {
			return err
		}
		var added []*column
		for _, c := range sc.fields {
			if cols[kindColumn(c.field)] && cols[valueColumn(c.field)] {
				continue
			}
			for _, col := range [][2]string{{kindColumn(c.field), kindType}, {valueColumn(c.field), valueType}} {
				if !cols[col[0]] {
					if _, err := tx.ExecContext(ctx, "ALTER TABLE "+sc.table+" ADD COLUMN "+ident(col[0])+col[1]); err != nil {
						return err
					}
				}
			}
			added = append(added, c)
		}
		for name := range cols {
			field, ok := strings.CutPrefix(name, "k:")
			if !ok {
				field, ok = strings.CutPrefix(name, "v:")
			}
			if ok && !fieldSet[field] {
				if _, err := tx.ExecContext(ctx, "ALTER TABLE "+sc.table+" DROP COLUMN "+ident(name)); err != nil {
					return err
				}
			}
		}
		if err := s.backfill(ctx, tx, sc, added); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(wanted)) {
			if _, ok := existing[name]; ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, wanted[name]); err != nil {
				if isUnique(err) {
					return fmt.Errorf("sqlite: creating the unique index on %s of %s: records share values: %w",
						strings.Join(unique[name], ", "), s.table, err)
				}
				return err
			}
		}
		return s.createCounts(ctx, tx, counted, kept)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: setting up the table %s: %w", s.table, err)
	}
	return sc, nil
}

func (s *Service) newSchema(fields []string) *schema {
	sc := &schema{table: ident(s.table), byName: map[string]*column{}, counts: map[string]string{}}
	for _, f := range s.countedFields() {
		sc.counts[f] = ident(s.countsName(f))
	}
	names := []string{"id", "data"}
	values := []string{"?", "jsonb(?)"}
	sets := []string{"data = jsonb(?)"}
	for _, f := range fields {
		c := &column{field: f, kind: ident(kindColumn(f)), value: ident(valueColumn(f))}
		sc.fields = append(sc.fields, c)
		sc.byName[f] = c
		names = append(names, c.kind, c.value)
		values = append(values, "?", "?")
		sets = append(sets, c.kind+" = ?", c.value+" = ?")
	}
	sc.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", sc.table, strings.Join(names, ", "), strings.Join(values, ", "))
	sc.update = fmt.Sprintf("UPDATE %s SET %s WHERE seq = ?", sc.table, strings.Join(sets, ", "))
	sc.unique = append(sc.unique, uniqueIndex{fields: []string{s.opts.ID}, columns: s.table + ".id"})
	for _, ix := range s.opts.Indexes {
		if !ix.Unique {
			continue
		}
		cols := make([]string, 0, 2*len(ix.Fields))
		for _, f := range ix.Fields {
			cols = append(cols, s.table+"."+kindColumn(f), s.table+"."+valueColumn(f))
		}
		sc.unique = append(sc.unique, uniqueIndex{fields: ix.Fields, columns: strings.Join(cols, ", ")})
	}
	return sc
}

// indexes returns the statements of the table's indexes that a declaration
// made, by name.
func (s *Service) indexes(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", s.table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			return nil, err
		}
		if strings.HasPrefix(name, s.table+":[") {
			out[name] = stmt
		}
	}
	return out, rows.Err()
}

func (s *Service) columns(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", s.table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// backfill fills the columns of newly indexed fields from the stored records,
// a thousand at a time.
func (s *Service) backfill(ctx context.Context, tx *sql.Tx, sc *schema, cols []*column) error {
	if len(cols) == 0 {
		return nil
	}
	sets := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		sets = append(sets, c.kind+" = ?", c.value+" = ?")
	}
	update := fmt.Sprintf("UPDATE %s SET %s WHERE seq = ?", sc.table, strings.Join(sets, ", "))
	type row struct {
		seq int64
		rec map[string]any
	}
	var last int64 = -1 << 63
	for {
		rows, err := tx.QueryContext(ctx, "SELECT seq, json(data) FROM "+sc.table+" WHERE seq > ? ORDER BY seq LIMIT 1000", last)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			var text []byte
			if err := rows.Scan(&r.seq, &text); err != nil {
				rows.Close()
				return err
			}
			if r.rec, err = decodeRecord(text); err != nil {
				rows.Close()
				return fmt.Errorf("record %d: %w", r.seq, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			args := make([]any, 0, 2*len(cols)+1)
			for _, c := range cols {
				args = appendColumn(args, r.rec, c.field)
			}
			if _, err := tx.ExecContext(ctx, update, append(args, r.seq)...); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1].seq
	}
}

// appendColumn appends the kind and the value of a record's field, for its
// columns.
func appendColumn(args []any, rec map[string]any, field string) []any {
	v, _ := lookup(rec, field)
	return append(args, int64(kindOf(v)), sqlValue(v))
}

// row is the arguments of the insert of a record: its id key, JSON and
// columns.
func (sc *schema) row(key string, rec map[string]any) []any {
	return sc.values(append(make([]any, 0, 3+2*len(sc.fields)), key), rec)
}

// updateArgs is the arguments of the update of row seq to rec.
func (sc *schema) updateArgs(rec map[string]any, seq int64) []any {
	return append(sc.values(make([]any, 0, 2+2*len(sc.fields)), rec), seq)
}

// values appends the JSON of rec and its columns to args.
func (sc *schema) values(args []any, rec map[string]any) []any {
	args = append(args, string(encode(nil, rec)))
	for _, c := range sc.fields {
		args = appendColumn(args, rec, c.field)
	}
	return args
}
