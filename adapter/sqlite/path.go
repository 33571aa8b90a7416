package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Field paths and names in SQL text. Values always travel as bound
// parameters; only three things are written into SQL, each checked and quoted
// here: table names and column names (quoted identifiers) and the JSON paths
// of fields (SQL string literals). JSON paths must be literals, not
// parameters, so that the statements of one query shape look alike to SQLite.

// jsonPath is the SQL literal of the JSON path of a field: "a.b" is
// '$."a"."b"'. It is built only from the segments of a canonical path,
// which hold letters, digits, '_' and '-': nothing SQLite's path syntax or
// SQL's string syntax reads specially (no quote, no backslash, whose \u
// escapes SQLite decodes in a path: issue #17). A name that is not a Path
// never reaches SQL.
func jsonPath(field adapter.Path) string {
	var b strings.Builder
	b.Grow(len(field.String()) + 8)
	b.WriteString("'$")
	for part := range field.Segments() {
		b.WriteString(`."`)
		b.WriteString(part)
		b.WriteByte('"')
	}
	b.WriteByte('\'')
	return b.String()
}

// subPath extends the SQL literal of a JSON path by one quoted key.
func subPath(path, key string) string {
	return path[:len(path)-1] + `."` + key + `"'`
}

// checkPath refuses field paths that cannot be a stored field, in patch data
// and index declarations (queries name fields by adapter.Path): empty parts,
// parts starting with $ (operators in the wrong place, or "$where"-style
// probes), NUL and other control characters, '"', invalid UTF-8.
func checkPath(field string) error {
	if field == "" {
		return pinion.BadRequest("Invalid field name '': it is empty")
	}
	if !utf8.ValidString(field) {
		return pinion.BadRequest("Invalid field name %q: it is not UTF-8", field)
	}
	for part := range strings.SplitSeq(field, ".") {
		if part == "" {
			return pinion.BadRequest("Invalid field name %q: it has an empty part", field)
		}
		if strings.HasPrefix(part, "$") {
			return pinion.BadRequest("Invalid field name %q: names starting with $ are reserved for operators", field)
		}
		for _, r := range part {
			if r < 0x20 || r == 0x7f {
				return pinion.BadRequest("Invalid field name %q: it contains a control character", field)
			}
			if r == '"' {
				return pinion.BadRequest(`Invalid field name %q: it contains '"'`, field)
			}
		}
	}
	return nil
}

// ident quotes an SQL identifier.
func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// checkTable refuses table names SQLite keeps for itself or cannot hold.
func checkTable(name string) error {
	switch {
	case name == "":
		return errors.New("sqlite: a table name must not be empty")
	case strings.HasPrefix(strings.ToLower(name), "sqlite_"):
		return errors.New("sqlite: table names starting with sqlite_ are SQLite's")
	case strings.IndexByte(name, 0) >= 0 || !utf8.ValidString(name):
		return fmt.Errorf("sqlite: invalid table name %q", name)
	}
	return nil
}
