package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// maxFileSize bounds a configuration file. Settings take a few KiB; a file
// of megabytes is a mistake (a dump or a log under the wrong name), refused
// before it is read whole.
const maxFileSize = 1 << 20

// maxDepth bounds the nesting of a configuration file's values: the
// settings nest four levels deep at most.
const maxDepth = 32

// readFile reads file of files, refusing one larger than maxFileSize.
func readFile(files fs.FS, file string) ([]byte, error) {
	f, err := files.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("the file is larger than %d KiB: is it a configuration file?", maxFileSize>>10)
	}
	return b, nil
}

// parseObject reads a configuration file: one JSON object. Numbers stay
// json.Number, so that a fraction or an exponent is refused where a whole
// number is wanted instead of being rounded. An object that names a key
// twice, or two keys that differ only in case, is refused: encoding/json
// would keep one of them silently (the last, or whichever its case-folding
// match meets last), and the setting an operator reads in the file would
// not be the one the server runs with.
func parseObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(b, err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object: the file must hold one object, {\"key\": value, …}")
	}
	m, err := readObject(dec, "", 1)
	if err != nil {
		return nil, syntaxError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value: the file must hold one object")
	}
	return m, nil
}

// syntaxError says where a JSON syntax error is, as a line number.
func syntaxError(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Errorf("invalid JSON at line %d: %v", line, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the file ends before its object does")
	}
	return err
}

func readValue(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return readObject(dec, path, depth+1)
	case json.Delim('['):
		if depth+1 > maxDepth {
			return nil, fmt.Errorf("%s: nested more than %d levels deep", path, maxDepth)
		}
		list := []any{}
		for i := 0; dec.More(); i++ {
			v, err := readValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token() // ]
		return list, err
	}
	return tok, nil // string, json.Number, bool or nil
}

func readObject(dec *json.Decoder, path string, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested more than %d levels deep", path, maxDepth)
	}
	m := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string) // the decoder reads only strings as keys
		p := join(path, k)
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%s is set twice: remove one (JSON parsers keep either silently)", p)
		}
		for other := range m {
			if strings.EqualFold(other, k) {
				return nil, fmt.Errorf("%s and %s differ only in case: keys are case-sensitive; keep one", join(path, other), p)
			}
		}
		if m[k], err = readValue(dec, p, depth); err != nil {
			return nil, err
		}
	}
	_, err := dec.Token() // }
	return m, err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// merge merges src into dst, key by key for objects. A key of src that
// differs only in case from one of dst (a file's "Secret" over another's
// "secret") is refused: both would reach the decoder, which keeps one of
// them.
func merge(dst, src map[string]any, path string) error {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		v := src[k]
		if _, ok := dst[k]; !ok {
			for other := range dst {
				if strings.EqualFold(other, k) {
					return fmt.Errorf("%s: an earlier file sets %s: keys are case-sensitive; write it %s", join(path, k), join(path, other), join(path, other))
				}
			}
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				if err := merge(dm, sm, join(path, k)); err != nil {
					return err
				}
				continue
			}
		}
		dst[k] = v
	}
	return nil
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// checkKeys checks a file's object against Config: every key a setting,
// spelled as documented (case included: encoding/json would accept "Port"
// for "port", and keep whichever of "origins" and "Origins" it meets last),
// every value of the setting's type. Each problem names the setting by its
// path ("timeouts.body", "origins[1]"), where the decoder's errors would
// name a Go type or, for a duration, nothing at all. The "authentication"
// object is checked by the authentication package.
func checkKeys(v any, t reflect.Type, path string) []error {
	if t == rawMessageType {
		return nil
	}
	want := map[reflect.Kind]string{reflect.Struct: "an object", reflect.Slice: "a list", reflect.String: "a string", reflect.Bool: "true or false"}[t.Kind()]
	if t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 {
		want = "a whole number"
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		want = "a value"
	}
	if v == nil {
		if t.Kind() == reflect.Slice {
			return nil // no entries
		}
		return []error{fmt.Errorf("%s is null: want %s", path, want)}
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, _ := json.Marshal(v)
		if err := json.Unmarshal(b, reflect.New(t).Interface()); err != nil {
			return []error{fmt.Errorf("%s: %v", path, err)}
		}
		return nil
	}
	wrong := []error{fmt.Errorf("%s: want %s, not %s", path, want, jsonKind(v))}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong
		}
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" && f.IsExported() {
				fields[name] = f.Type
			}
		}
		var errs []error
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, unknownKey(join(path, k), k, fields))
				continue
			}
			errs = append(errs, checkKeys(m[k], ft, join(path, k))...)
		}
		return errs
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return wrong
		}
		var errs []error
		for i, e := range list {
			errs = append(errs, checkKeys(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return wrong
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return []error{fmt.Errorf("%s: %s is too large", path, n)}
			}
			return []error{fmt.Errorf("%s: want a whole number written without a fraction or an exponent, not %s", path, n)}
		}
	}
	return nil
}

// unknownKey is the error of a key that is no setting: a setting of
// another case, or one that does not exist.
func unknownKey(path, key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Errorf("%s: keys are case-sensitive: did you mean %q?", path, name)
		}
	}
	return fmt.Errorf("%s: unknown setting (known here: %s)", path, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
}

// jsonKind names the JSON type of a value of parseObject.
func jsonKind(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return "null"
}
