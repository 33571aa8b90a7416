package sqlite

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Records are stored as JSON (SQLite's binary JSONB) and handled in Go as
// trees of map[string]any, []any, string, float64, bool and nil, plus two
// kinds JSON has no word for, stored as one-key objects the way MongoDB's
// Extended JSON writes them:
//
//	time.Time  {"$date": "2026-01-02T03:04:05.000000000Z"}  (UTC, fixed width)
//	[]byte     {"$binary": "<base64>"}
//
// Field names starting with "$" are refused in data (they are update
// operators, or mistakes like "$where"), so such an object is never anything
// else. The fixed-width date text sorts and compares in time order, in SQL as
// in Go.

// maxDepth is how deeply data may nest, as in MongoDB (100); SQLite's own
// JSON limit is 1000.
const maxDepth = 100

const dateLayout = "2006-01-02T15:04:05.000000000Z"

// normalizeRecord returns a deep copy of data in the stored form (see above),
// refusing what cannot be stored with a BadRequest.
func normalizeRecord(data map[string]any) (map[string]any, error) {
	return normalizeMap(data, 0)
}

func normalizeMap(m map[string]any, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, pinion.BadRequest("Invalid data: nested deeper than %d levels", maxDepth)
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		n, err := normalize(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

// checkKey refuses field names that would be read as operators or that SQL
// paths cannot name.
func checkKey(k string) error {
	if strings.HasPrefix(k, "$") {
		return pinion.BadRequest("Invalid field name '%s': names starting with $ are reserved for operators", k)
	}
	if strings.IndexByte(k, 0) >= 0 {
		return pinion.BadRequest("Invalid field name %q: it contains a NUL character", k)
	}
	if !utf8.ValidString(k) {
		return pinion.BadRequest("Invalid field name %q: it is not UTF-8", k)
	}
	return nil
}

func normalize(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, pinion.BadRequest("Invalid data: nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil, string, bool:
		return v, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, pinion.BadRequest("Invalid data: %v is not a JSON number", x)
		}
		if x == 0 {
			return 0.0, nil // not -0, which equals 0 but is written "-0"
		}
		return x, nil
	case float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, _ := adapter.Float64(x)
		return normalize(f, depth)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, pinion.BadRequest("Invalid data: %q is not a number", x.String())
		}
		return normalize(f, depth)
	case time.Time:
		t := x.UTC()
		if t.Year() < 0 || t.Year() > 9999 {
			return nil, pinion.BadRequest("Invalid data: the date %v is outside the years 0 to 9999", x)
		}
		return t.Round(0), nil
	case map[string]any:
		return normalizeMap(x, depth)
	case []any:
		return normalizeList(x, depth)
	case []map[string]any:
		return normalizeList(x, depth)
	case []byte:
		return bytes.Clone(x), nil
	case interface{ Hex() string }:
		return x.Hex(), nil
	}
	// Any other Go value (a struct, a typed map or slice) is stored as its JSON
	// form, as the MongoDB adapter stores its BSON form.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, pinion.BadRequest("Invalid data: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, pinion.BadRequest("Invalid data: %v", err)
	}
	return normalize(out, depth)
}

func normalizeList[T any](list []T, depth int) ([]any, error) {
	out := make([]any, len(list))
	for i, e := range list {
		n, err := normalize(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// encode appends the JSON of a normalised value: object keys in order, so
// that equal values have equal text (which container equality compares), no
// HTML escaping.
func encode(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		return appendFloat(b, x)
	case string:
		return appendString(b, x)
	case time.Time:
		b = append(b, `{"$date":"`...)
		b = x.UTC().AppendFormat(b, dateLayout)
		return append(b, `"}`...)
	case []byte:
		b = append(b, `{"$binary":"`...)
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, `"}`...)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = encode(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = encode(b, x[k])
		}
		return append(b, '}')
	}
	panic("sqlite: encoding a value that was not normalised") // a bug, not input
}

// appendFloat writes a number as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 → 1e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeRecord reads a stored record (the JSON text SQLite renders).
func decodeRecord(text []byte) (map[string]any, error) {
	var rec map[string]any
	if err := json.Unmarshal(text, &rec); err != nil {
		return nil, err
	}
	reviveMap(rec)
	return rec, nil
}

// revive turns the stored objects of dates and bytes back into Go values.
func revive(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if s, ok := x["$date"].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return t
				}
			}
			if s, ok := x["$binary"].(string); ok {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil {
					return b
				}
			}
		}
		reviveMap(x)
	case []any:
		for i, e := range x {
			x[i] = revive(e)
		}
	}
	return v
}

func reviveMap(m map[string]any) {
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			m[k] = revive(v)
		}
	}
}

// Kinds of values, in the order the memory adapter (and Feathers' sorter)
// sorts them: null and missing first, then numbers, strings, booleans, dates,
// lists, objects, and bytes last. Stored in an indexed field's kind column,
// computed by kindSQL for fields without one.
const (
	kindNull   = 0
	kindNumber = 1
	kindString = 2
	kindBool   = 3
	kindDate   = 4
	kindList   = 5
	kindObject = 6
	kindBytes  = 7
)

// kindOf is the kind of a normalised value.
func kindOf(v any) int {
	switch v.(type) {
	case nil:
		return kindNull
	case float64:
		return kindNumber
	case string:
		return kindString
	case bool:
		return kindBool
	case time.Time:
		return kindDate
	case []any:
		return kindList
	case map[string]any:
		return kindObject
	case []byte:
		return kindBytes
	}
	return kindNull
}

// sqlValue is a normalised value as SQL compares it, the same as the value SQL
// reads from the stored JSON with ->>: numbers, text, booleans as 1 and 0, and
// for dates, bytes, lists and objects their JSON text (which for dates sorts
// in time order). Null is NULL.
func sqlValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64, string:
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return string(encode(nil, v))
}

// lookup reads the value at a dot path through nested objects (not through
// lists: SQL paths do not either).
func lookup(rec map[string]any, path string) (any, bool) {
	var m any = rec
	for {
		part, rest, more := strings.Cut(path, ".")
		obj, ok := m.(map[string]any)
		if !ok {
			return nil, false
		}
		if m, ok = obj[part]; !ok {
			return nil, false
		}
		if !more {
			return m, true
		}
		path = rest
	}
}
