package validation_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specDir holds the OpenAPI Initiative's JSON Schemas for OpenAPI 3.1
// documents (see its README for their origin and licence).
const specDir = "testdata/oas3.1"

// specBase is the $id of the schema that checks a whole document: the
// document's structure (schema.json, which it references) and every Schema
// Object in it against the OpenAPI 3.1 dialect of JSON Schema 2020-12.
const specBase = "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"

// specSchema compiles the OpenAPI 3.1 schema from testdata. Formats are
// asserted, so a server URL or an email that is not one is an error.
func specSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"schema.json", "schema-base.json", "dialect/base.schema.json", "meta/base.schema.json"} {
		f, err := os.Open(filepath.Join(specDir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sch, err := c.Compile(specBase)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// valid checks a document with documentProblems, failing the test with
// every problem found, and returns it decoded.
func valid(t *testing.T, b []byte) map[string]any {
	t.Helper()
	problems := documentProblems(specSchema(t), b)
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// documentProblems lists what makes b an invalid OpenAPI 3.1 document:
// what the specification's own schema rejects, then the rules of the
// specification a JSON Schema cannot state: every local $ref resolves,
// path templates and path parameters name
// each other, operation ids are unique, and security requirements name a
// security scheme; and, if all that holds, every Schema Object compiles.
// Each problem names the JSON pointer at fault.
func documentProblems(spec *jsonschema.Schema, b []byte) []string {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []string{fmt.Sprintf("not JSON: %v", err)}
	}
	var out []string
	if err := spec.Validate(doc); err != nil {
		out = append(out, violations(err)...)
	}
	out = append(out, refProblems(doc, doc, "")...)
	out = append(out, pathProblems(doc)...)
	if len(out) > 0 {
		// Compiling would report the same faults again, once for every
		// schema that reaches them.
		return out
	}
	return schemaProblems(doc)
}

// violations lists the leaves of a validation error, each with the JSON
// pointer of the value at fault and the schema keyword that refused it.
func violations(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			kw := e.SchemaURL
			if i := strings.IndexByte(kw, '#'); i >= 0 {
				kw = kw[i:]
			}
			for _, k := range e.ErrorKind.KeywordPath() {
				kw += "/" + escapeToken(k)
			}
			out = append(out, fmt.Sprintf("%s [schema %s]", e.Error(), kw))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return slices.Compact(out)
}

// refProblems lists the $refs under v (at JSON pointer ptr) that do not
// resolve in doc. The generator writes only local references, so any other
// is a problem too.
func refProblems(doc, v any, ptr string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if !strings.HasPrefix(ref, "#") {
				out = append(out, fmt.Sprintf("at %q: $ref %q is not in the document", ptr, ref))
			} else if _, ok := lookup(doc, ref[1:]); !ok {
				out = append(out, fmt.Sprintf("at %q: $ref %q resolves to nothing", ptr, ref))
			}
		}
		for _, k := range sortedKeys(v) {
			out = append(out, refProblems(doc, v[k], ptr+"/"+escapeToken(k))...)
		}
	case []any:
		for i, e := range v {
			out = append(out, refProblems(doc, e, ptr+"/"+strconv.Itoa(i))...)
		}
	}
	return out
}

// schemaProblems compiles every Schema Object of the document (the
// components' schemas and the schema of every parameter, header and media
// type) as JSON Schema 2020-12, the dialect of OpenAPI 3.1: this catches
// what the meta-schema cannot, such as a $ref to something not a schema.
func schemaProblems(doc any) []string {
	c := jsonschema.NewCompiler()
	const url = "https://pinion.invalid/openapi.json"
	if err := c.AddResource(url, doc); err != nil {
		return []string{err.Error()}
	}
	var ptrs []string
	schemas, _ := lookup(doc, "/components/schemas")
	for _, k := range sortedKeys(asMap(schemas)) {
		ptrs = append(ptrs, "/components/schemas/"+escapeToken(k))
	}
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				if k == "schema" {
					ptrs = append(ptrs, ptr+"/schema")
					continue
				}
				walk(v[k], ptr+"/"+escapeToken(k))
			}
		case []any:
			for i, e := range v {
				walk(e, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	paths, _ := lookup(doc, "/paths")
	walk(paths, "/paths")
	responses, _ := lookup(doc, "/components/responses")
	walk(responses, "/components/responses")
	var out []string
	for _, p := range ptrs {
		if _, err := c.Compile(url + "#" + p); err != nil {
			out = append(out, fmt.Sprintf("at %q: not a JSON Schema 2020-12: %v", p, err))
		}
	}
	return out
}

// templateVar is a variable of a path template: {id} in /messages/{id}.
var templateVar = regexp.MustCompile(`\{([^{}/]+)\}`)

// pathProblems checks each path item: every variable of its template has a
// required path parameter and every path parameter a variable (both
// MUSTs of the specification); and across the document, that operation
// ids are unique and security requirements name a security scheme.
func pathProblems(doc any) []string {
	var out []string
	paths, _ := lookup(doc, "/paths")
	schemes, _ := lookup(doc, "/components/securitySchemes")
	ids := map[string]string{}
	checkSecurity := func(sec any, ptr string) {
		for i, req := range asSlice(sec) {
			for _, name := range sortedKeys(asMap(req)) {
				if _, ok := asMap(schemes)[name]; !ok {
					out = append(out, fmt.Sprintf("at %q: security scheme %q is not in components/securitySchemes", ptr+"/"+strconv.Itoa(i), name))
				}
			}
		}
	}
	checkSecurity(asMap(doc)["security"], "/security")
	for _, tmpl := range sortedKeys(asMap(paths)) {
		ptr := "/paths/" + escapeToken(tmpl)
		item := asMap(asMap(paths)[tmpl])
		vars := map[string]bool{}
		for _, m := range templateVar.FindAllStringSubmatch(tmpl, -1) {
			vars[m[1]] = true
		}
		shared := pathParams(doc, item["parameters"])
		for _, method := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			opPtr := ptr + "/" + method
			params := pathParams(doc, op["parameters"])
			for name, required := range shared {
				if _, ok := params[name]; !ok {
					params[name] = required
				}
			}
			for _, v := range sortedKeys(vars) {
				if required, ok := params[v]; !ok {
					out = append(out, fmt.Sprintf("at %q: no path parameter for {%s}", opPtr, v))
				} else if !required {
					out = append(out, fmt.Sprintf("at %q: path parameter %s is not required", opPtr, v))
				}
			}
			for _, name := range sortedKeys(params) {
				if !vars[name] {
					out = append(out, fmt.Sprintf("at %q: path parameter %s is not in the template %s", opPtr, name, tmpl))
				}
			}
			if id, ok := op["operationId"].(string); ok {
				if first, dup := ids[id]; dup {
					out = append(out, fmt.Sprintf("at %q: operationId %s is also at %q", opPtr, id, first))
				} else {
					ids[id] = opPtr
				}
			}
			checkSecurity(op["security"], opPtr+"/security")
		}
	}
	return out
}

// pathParams maps the names of the path parameters in a list of parameters
// (or references to them) to whether each is required.
func pathParams(doc, list any) map[string]bool {
	out := map[string]bool{}
	for _, p := range asSlice(list) {
		pm := asMap(p)
		if ref, ok := pm["$ref"].(string); ok && strings.HasPrefix(ref, "#") {
			v, _ := lookup(doc, ref[1:])
			pm = asMap(v)
		}
		if pm["in"] == "path" {
			name, _ := pm["name"].(string)
			out[name] = pm["required"] == true
		}
	}
	return out
}

// lookup finds the value at a JSON pointer (RFC 6901) in v.
func lookup(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// escapeToken escapes a key for a JSON pointer.
func escapeToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { s, _ := v.([]any); return s }
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// The checks of valid cannot pass a broken document: each of these
// changes to the chat app's valid document is reported, at its place.
func TestDocumentChecksRejectBrokenDocuments(t *testing.T) {
	srv := chatServer(t)
	b := get(t, srv.Handler(), "/openapi.json")
	spec := specSchema(t)
	if problems := documentProblems(spec, b); len(problems) > 0 {
		t.Fatalf("the unbroken document: %v", problems)
	}
	for _, tc := range []struct {
		name   string
		ptr    string // where to set
		value  any    // what to set there; deleted if nil
		reason string // in the problem reported
	}{
		{"a response without a description", "/paths/~1messages/get/responses/200/description", nil,
			`at '/paths/~1messages/get/responses/200': missing property 'description'`},
		{"a title of the wrong type", "/info/title", 7, `at '/info/title': got number, want string`},
		{"an OpenAPI 3.0 version", "/openapi", "3.0.3", `at '/openapi': '3.0.3' does not match pattern`},
		{"a parameter in the body", "/paths/~1messages~1{id}/parameters/0/in", "body", `at '/paths/~1messages~1{id}/parameters/0/in'`},
		{"a schema with an unknown type (the 3.1 dialect)", "/components/schemas/Messages/properties/text/type", "text",
			`at '/components/schemas/Messages/properties/text/type'`},
		{"a schema with a bad regular expression", "/components/schemas/UsersPatch/properties/avatar/pattern", "^(https://",
			`at '/components/schemas/UsersPatch/properties/avatar/pattern'`},
		{"a $ref to nothing", "/components/schemas/MessagesPage/properties/data/items/$ref", "#/components/schemas/Nothing",
			`at "/components/schemas/MessagesPage/properties/data/items": $ref "#/components/schemas/Nothing" resolves to nothing`},
		{"a response $ref to nothing", "/paths/~1messages/get/responses/404", map[string]any{"$ref": "#/components/responses/Missing"},
			`at "/paths/~1messages/get/responses/404": $ref "#/components/responses/Missing" resolves to nothing`},
		{"a $ref to something not a schema", "/components/schemas/MessagesPage/properties/data/items/$ref", "#/paths/~1messages/get/parameters",
			`at "/components/schemas/MessagesPage": not a JSON Schema 2020-12`},
		{"a $ref to another document", "/components/schemas/MessagesPage/properties/data/items/$ref", "other.json#/Messages",
			`$ref "other.json#/Messages" is not in the document`},
		{"a template without its parameter", "/paths/~1messages~1{id}/parameters", []any{},
			`at "/paths/~1messages~1{id}/get": no path parameter for {id}`},
		{"a path parameter not required", "/paths/~1messages~1{id}/parameters/0/required", false,
			`at '/paths/~1messages~1{id}/parameters/0/required'`},
		{"a path parameter the template does not name", "/paths/~1messages~1{id}/parameters/0/name", "messageId",
			`at "/paths/~1messages~1{id}/get": no path parameter for {id}`},
		{"two operations with one id", "/paths/~1users/get/operationId", "findMessages",
			`operationId findMessages is also at`},
		{"security with an unknown scheme", "/paths/~1messages/get/security", []any{map[string]any{"apiKey": []any{}}},
			`at "/paths/~1messages/get/security/0": security scheme "apiKey" is not in components/securitySchemes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			set(t, doc, tc.ptr, tc.value)
			broken, _ := json.Marshal(doc)
			problems := documentProblems(spec, broken)
			for _, p := range problems {
				if strings.Contains(p, tc.reason) {
					return
				}
			}
			t.Errorf("no problem with %q among %d:\n%s", tc.reason, len(problems), strings.Join(problems, "\n"))
		})
	}
}

// set sets (or, for nil, deletes) the value at a JSON pointer whose parent
// exists.
func set(t *testing.T, doc any, ptr string, value any) {
	t.Helper()
	i := strings.LastIndexByte(ptr, '/')
	parent, ok := lookup(doc, ptr[:i])
	if !ok {
		t.Fatalf("no %s", ptr[:i])
	}
	key := strings.NewReplacer("~1", "/", "~0", "~").Replace(ptr[i+1:])
	switch p := parent.(type) {
	case map[string]any:
		if value == nil {
			delete(p, key)
		} else {
			p[key] = value
		}
	case []any:
		n, err := strconv.Atoi(key)
		if err != nil || n >= len(p) {
			t.Fatalf("no %s", ptr)
		}
		p[n] = value
	default:
		t.Fatalf("%s is not in an object or array", ptr)
	}
}

// get answers the body of a GET the handler answers 200.
func get(t *testing.T, h http.Handler, path string) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	return w.Body.Bytes()
}
