package validation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

// chatServer is the chat app of the repository's configuration, on memory,
// closed when the test ends.
func chatServer(t *testing.T) *server.Server {
	t.Helper()
	env := map[string]string{"CONFIG_DIR": "../../../config", "APP_ENV": "test", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": "openapi-test-secret-openapi-test-secret-01"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// docURL is where a contract's compiler finds the document, so that a
// schema's "#/components/schemas/..." resolves in it. Nothing is fetched.
const docURL = "https://pinion.invalid/openapi.json"

// contract is a server and its OpenAPI document: every exchange a test
// makes through it is checked against what the document says of it. The
// document's schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1),
// compiled from the document itself, formats asserted.
type contract struct {
	t        *testing.T
	url      string
	doc      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer in doc
}

// newContract serves the chat app over HTTP with the document it serves,
// which must be valid.
func newContract(t *testing.T) *contract {
	t.Helper()
	srv := chatServer(t)
	b := get(t, srv.Handler(), "/openapi.json")
	valid(t, b)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return contractFor(t, ts.URL, b)
}

// contractFor checks the server at url against the document b.
func contractFor(t *testing.T, url string, b []byte) *contract {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, url: url, doc: asMap(doc), compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// call makes one request and fails the test with each way the exchange
// departs from the document (see do). It answers the status and the
// decoded body.
func (c *contract) call(method, path, token string, body any, header ...string) (int, map[string]any) {
	c.t.Helper()
	status, out, problems := c.do(method, path, token, body, header...)
	for _, p := range problems {
		c.t.Error(p)
	}
	if len(problems) > 0 {
		c.t.Logf("%s %s answered %d %v", method, path, status, out)
	}
	return status, out
}

// do makes one request and lists how the exchange departs from the
// document: the path and method must be an operation of it; the status one
// of the operation's responses, with its content type and a body its
// schema accepts; and the request body must be one the operation's
// requestBody schema accepts if the server took it (2xx), and one it
// rejects if the server refused it as bad (400, the query aside).
func (c *contract) do(method, path, token string, body any, header ...string) (status int, out map[string]any, problems []string) {
	c.t.Helper()
	var r io.Reader
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	json.Unmarshal(got, &out)

	op, err := c.operation(method, req.URL)
	if err != nil {
		return resp.StatusCode, out, []string{err.Error()}
	}
	problems = c.checkRequest(op, resp.StatusCode, raw, req.URL.RawQuery != "", out)
	problems = append(problems, c.checkResponse(op, resp.StatusCode, resp.Header, got)...)
	return resp.StatusCode, out, problems
}

// operation is one operation of the document.
type operation struct {
	name string         // "findMessages (GET /messages)", for messages
	ptr  string         // its JSON pointer in the document
	op   map[string]any // the Operation Object
}

// operation finds the document's operation of a request. A path matches a
// template segment by segment, a variable ({id}) taking any one segment;
// as the specification says, a template with more literal segments wins
// (/authentication/tickets over /authentication/{id}), whatever methods it
// has.
func (c *contract) operation(method string, u *url.URL) (operation, error) {
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	paths := asMap(c.doc["paths"])
	best, bestLiteral := "", -1
	for _, tmpl := range sortedKeys(paths) {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		literal := 0
		match := true
		for i, t := range ts {
			seg, err := url.PathUnescape(segs[i])
			if err != nil {
				match = false
				break
			}
			if !strings.Contains(t, "{") {
				literal++
				match = match && t == seg
				continue
			}
			match = match && segmentPattern(t).MatchString(seg)
		}
		if match && literal > bestLiteral {
			best, bestLiteral = tmpl, literal
		}
	}
	if best == "" {
		return operation{}, fmt.Errorf("%s %s: no path of the document matches", method, u.Path)
	}
	m := strings.ToLower(method)
	op, ok := asMap(paths[best])[m].(map[string]any)
	if !ok {
		return operation{}, fmt.Errorf("%s %s: the document has no %s operation on %s", method, u.Path, m, best)
	}
	id, _ := op["operationId"].(string)
	return operation{
		name: fmt.Sprintf("%s (%s %s)", id, method, best),
		ptr:  "/paths/" + escapeToken(best) + "/" + m,
		op:   op,
	}, nil
}

// segmentPattern matches what a template's segment with variables
// matches: "{id}" any segment, "{id}.json" any that ends in ".json".
func segmentPattern(t string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range templateVar.FindAllStringIndex(t, -1) {
		b.WriteString(regexp.QuoteMeta(t[last:m[0]]) + ".+")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(t[last:]) + "$")
	return regexp.MustCompile(b.String())
}

// follow resolves a JSON pointer in the document through the Reference
// Objects it meets ({"$ref": "#/components/responses/NotFound"}),
// answering where it ends and the object there.
func (c *contract) follow(ptr string) (string, map[string]any) {
	for range 10 { // a loop of references ends somewhere
		v, _ := lookup(c.doc, ptr)
		m := asMap(v)
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#") {
			return ptr, m
		}
		ptr = ref[1:]
	}
	return ptr, nil
}

// checkRequest checks the request body against the operation's
// requestBody, by what the server made of it: a body the server took
// (2xx) must be one the document accepts, and a body it refused as bad
// (400, the query aside) one the document rejects.
func (c *contract) checkRequest(op operation, status int, body []byte, query bool, answer map[string]any) []string {
	ptr, rb := c.follow(op.ptr + "/requestBody")
	if rb == nil {
		return nil
	}
	var wrong []string
	if body == nil {
		if rb["required"] == true {
			wrong = []string{"the operation requires a body"}
		}
	} else if _, ok := asMap(rb["content"])["application/json"]; !ok {
		wrong = []string{"the operation takes no application/json body"}
	} else {
		wrong = c.validate(ptr+"/content/application~1json/schema", body)
	}
	var out []string
	switch {
	case status >= 200 && status < 300:
		for _, w := range wrong {
			out = append(out, fmt.Sprintf("%s → %d: the server took a request body the document rejects: %s", op.name, status, w))
		}
	case status == http.StatusBadRequest && len(wrong) == 0 && body != nil && !query:
		out = append(out, fmt.Sprintf("%s → %d: the server refused a request body the document accepts (%v): %s", op.name, status, answer["message"], body))
	}
	return out
}

// checkResponse checks a response against the operation's responses: its
// status must be listed (exactly, as 4XX or as default), its content type
// be one of the response's and its body valid against that content's
// schema.
func (c *contract) checkResponse(op operation, status int, header http.Header, body []byte) []string {
	where := fmt.Sprintf("%s → %d", op.name, status)
	responses := asMap(op.op["responses"])
	key := ""
	for _, k := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX", "default"} {
		if _, ok := responses[k]; ok {
			key = k
			break
		}
	}
	if key == "" {
		return []string{fmt.Sprintf("%s: not a documented response (the operation lists %s)", where, strings.Join(sortedKeys(responses), ", "))}
	}
	ptr, r := c.follow(op.ptr + "/responses/" + escapeToken(key))
	content := asMap(r["content"])
	if len(content) == 0 {
		if len(body) > 0 {
			return []string{fmt.Sprintf("%s: a body, where %s describes none", where, ptr)}
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return []string{fmt.Sprintf("%s: content type %q: %v", where, header.Get("Content-Type"), err)}
	}
	media := ""
	for _, k := range []string{mt, mt[:strings.IndexByte(mt, '/')+1] + "*", "*/*"} {
		if _, ok := content[k]; ok {
			media = k
			break
		}
	}
	if media == "" {
		return []string{fmt.Sprintf("%s: content type %q is not documented (%s lists %s)", where, mt, ptr, strings.Join(sortedKeys(content), ", "))}
	}
	schema := ptr + "/content/" + escapeToken(media) + "/schema"
	if _, ok := lookup(c.doc, schema); !ok || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var out []string
	for _, v := range c.validate(schema, body) {
		out = append(out, fmt.Sprintf("%s: %s", where, v))
	}
	return out
}

// validate lists the violations of a JSON body against the schema at a
// pointer in the document, each with the JSON pointer of the value at fault.
func (c *contract) validate(ptr string, body []byte) []string {
	sch, ok := c.schemas[ptr]
	if !ok {
		var err error
		if sch, err = c.compiler.Compile(docURL + "#" + ptr); err != nil {
			return []string{fmt.Sprintf("the schema at %s: %v", ptr, err)}
		}
		c.schemas[ptr] = sch
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{fmt.Sprintf("not JSON (%v): %q", err, body)}
	}
	if err := sch.Validate(v); err != nil {
		return violations(err)
	}
	return nil
}

// secured reports whether the document asks for a token on an operation.
func secured(op map[string]any) bool {
	sec, _ := op["security"].([]any)
	return len(sec) > 0
}

// Every operation the document lists says whether it needs a token as the
// server enforces it: called without one, a secured operation answers 401
// and any other does not, unless it lists 401 among its own failures (a
// login without credentials).
func TestDocumentSecurityAsEnforced(t *testing.T) {
	c := newContract(t)
	for tmpl, item := range c.doc["paths"].(map[string]any) {
		path := strings.NewReplacer("{id}", "missing").Replace(tmpl)
		for method, op := range item.(map[string]any) {
			op, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			var body any
			if method == "post" || method == "put" || method == "patch" {
				body = map[string]any{}
			}
			status, _ := c.call(strings.ToUpper(method), path, "", body)
			// A login answers 401 for its own reason (no credentials), which
			// its document lists without asking for a token.
			_, refuses := op["responses"].(map[string]any)["401"]
			if secured(op) && status != 401 || !secured(op) && status == 401 && !refuses {
				t.Errorf("%s %s: secured %v in the document, answered %d without a token", strings.ToUpper(method), tmpl, secured(op), status)
			}
		}
	}
}

// A walk through the chat app as a client makes it: every answer, the
// failures among them, is one the document lists for its operation, with
// the body it describes.
func TestDocumentMatchesTheWire(t *testing.T) {
	c := newContract(t)
	const password = "correct horse battery"
	must := func(want, got int, what string, body map[string]any) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %d, want %d: %v", what, got, want, body)
		}
	}
	st, ada := c.call("POST", "/users", "", map[string]any{"email": "ada@example.com", "password": password})
	must(201, st, "signup", ada)
	st, _ = c.call("POST", "/users", "", map[string]any{"email": "ada@example.com", "password": password})
	must(409, st, "a second signup with one email", nil)
	st, _ = c.call("POST", "/users", "", map[string]any{"email": 7})
	must(400, st, "a signup without a password", nil)

	st, login := c.call("POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": password})
	must(201, st, "login", login)
	token, _ := login["accessToken"].(string)
	st, _ = c.call("POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "wrong password"})
	must(401, st, "a wrong password", nil)
	st, _ = c.call("POST", "/authentication", "", []any{map[string]any{"strategy": "local"}})
	must(400, st, "a list of logins", nil)
	// Each login of this list is complete: the document must say the list
	// itself is refused.
	st, _ = c.call("POST", "/authentication", "", []any{map[string]any{"strategy": "local", "email": "ada@example.com", "password": password}})
	must(400, st, "a list of complete logins", nil)

	st, msg := c.call("POST", "/messages", token, map[string]any{"text": "hello"})
	must(201, st, "a message", msg)
	if user, _ := msg["user"].(map[string]any); user["email"] != "ada@example.com" {
		t.Errorf("the message's user: %v", msg["user"])
	}
	id := msg["_id"]
	st, page := c.call("GET", "/messages?createdAt[$gt]=0&$limit=10&$sort[createdAt]=-1", token, nil)
	must(200, st, "a page of messages", page)
	if page["total"] != 1.0 {
		t.Errorf("createdAt[$gt]=0 found %v messages, want 1", page["total"])
	}
	st, _ = c.call("GET", "/messages?$limit=ten", token, nil)
	must(400, st, "$limit=ten", nil)
	st, _ = c.call("GET", "/messages/"+url.PathEscape(itoaAny(id)), token, nil)
	must(200, st, "get the message", nil)
	st, _ = c.call("GET", "/messages/nothing-here", token, nil)
	must(404, st, "get a message that is not there", nil)
	st, _ = c.call("PATCH", "/messages/"+url.PathEscape(itoaAny(id)), token, map[string]any{"text": "hi"})
	must(200, st, "patch the message", nil)

	st, ticket := c.call("POST", "/authentication/tickets", token, map[string]any{})
	must(201, st, "a ticket", ticket)
	st, _ = c.call("GET", "/presence/rooms%2Fgeneral", token, nil)
	if st != 403 && st != 200 {
		t.Errorf("presence: %d", st)
	}
	st, _ = c.call("DELETE", "/messages/"+url.PathEscape(itoaAny(id)), token, nil)
	must(200, st, "remove the message", nil)
	st, out := c.call("DELETE", "/authentication", token, nil)
	must(200, st, "logout", out)

	// Failed logins, until the account is throttled.
	var throttled bool
	for range 20 {
		st, _ := c.call("POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "wrong password"})
		if st == 429 {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Error("20 failed logins were not throttled")
	}
}

func itoaAny(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// The contract checks cannot pass a server that departs from its document:
// a server that answers what each case says, checked against the chat
// app's document, is reported at the operation, status and JSON pointer at
// fault; and one that answers as documented is not.
func TestContractReportsDepartures(t *testing.T) {
	b := get(t, chatServer(t).Handler(), "/openapi.json")
	var answer struct {
		status      int
		contentType string
		body        string
	}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", answer.contentType)
		w.WriteHeader(answer.status)
		io.WriteString(w, answer.body)
	}))
	t.Cleanup(fake.Close)
	c := contractFor(t, fake.URL, b)

	const (
		jsonType = "application/json; charset=utf-8"
		message  = `{"_id":"m1","text":"hi","userId":"u1","createdAt":1}`
		notFound = `{"name":"NotFound","message":"No record found for id 'm2'","code":404,"className":"not-found"}`
	)
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		contentType  string
		answer       string
		want         []string // each in a problem reported; none if empty
	}{
		{"a documented answer", "GET", "/messages/m1", nil, 200, jsonType, message, nil},
		{"a documented error", "GET", "/messages/m2", nil, 404, jsonType, notFound, nil},
		{"a documented page", "GET", "/messages?$limit=1", nil, 200, jsonType, `{"total":1,"limit":1,"skip":0,"data":[` + message + `]}`, nil},
		{"a documented escaped id", "GET", "/presence/rooms%2Fgeneral", nil, 200, jsonType, `{"channel":"rooms/general","users":[],"connections":0}`, nil},
		{"a documented create", "POST", "/messages", map[string]any{"text": "hi"}, 201, jsonType, message, nil},
		{"a field of the wrong type", "GET", "/messages/m1", nil, 200, jsonType,
			`{"_id":"m1","text":7,"userId":"u1","createdAt":1}`,
			[]string{"getMessages (GET /messages/{id}) → 200: at '/text': got number, want string [schema #/components/schemas/Messages/properties/text/type]"}},
		{"a required field missing in a page's record", "GET", "/messages?$limit=1", nil, 200, jsonType,
			`{"total":1,"limit":1,"skip":0,"data":[{"_id":"m1","userId":"u1","createdAt":1}]}`,
			[]string{"findMessages (GET /messages) → 200: at '/data/0': missing property 'text' [schema #/components/schemas/Messages/required]"}},
		{"an error without its code", "GET", "/messages/m2", nil, 404, jsonType,
			`{"name":"NotFound","message":"No record found","className":"not-found"}`,
			[]string{"getMessages (GET /messages/{id}) → 404: at '': missing property 'code' [schema #/components/schemas/Error/required]"}},
		{"a format not kept", "POST", "/authentication/tickets", map[string]any{}, 201, jsonType,
			`{"ticket":"t","expiresAt":"tomorrow"}`,
			[]string{"createAuthenticationTickets (POST /authentication/tickets) → 201: at '/expiresAt': 'tomorrow' is not valid date-time"}},
		{"an undocumented status", "GET", "/messages/m1", nil, http.StatusTeapot, jsonType, notFound,
			[]string{"getMessages (GET /messages/{id}) → 418: not a documented response (the operation lists 200, 400, 401, 403, 404, 500, 503)"}},
		{"an undocumented content type", "GET", "/messages/m1", nil, 200, "text/plain", "hi",
			[]string{`getMessages (GET /messages/{id}) → 200: content type "text/plain" is not documented`}},
		{"a body that is not JSON", "GET", "/messages/m1", nil, 200, jsonType, `{"_id":`,
			[]string{"getMessages (GET /messages/{id}) → 200: not JSON"}},
		{"a body taken that the document rejects", "POST", "/messages", map[string]any{"text": 7}, 201, jsonType, message,
			[]string{"createMessages (POST /messages) → 201: the server took a request body the document rejects: at '/text': got number, want string [schema #/components/schemas/MessagesData/properties/text/type]"}},
		{"a body refused that the document accepts", "POST", "/messages", map[string]any{"text": "hi"}, 400, jsonType,
			`{"name":"BadRequest","message":"text is wrong","code":400,"className":"bad-request"}`,
			[]string{"createMessages (POST /messages) → 400: the server refused a request body the document accepts (text is wrong)"}},
		{"a required body missing", "POST", "/messages", nil, 201, jsonType, message,
			[]string{"createMessages (POST /messages) → 201: the server took a request body the document rejects: the operation requires a body"}},
		{"an undocumented method", "DELETE", "/messages", nil, 200, jsonType, "[]",
			[]string{"DELETE /messages: the document has no delete operation on /messages"}},
		{"an undocumented path", "GET", "/nowhere", nil, 404, jsonType, notFound,
			[]string{"GET /nowhere: no path of the document matches"}},
		{"a literal path over a template", "DELETE", "/authentication/tickets", nil, 200, jsonType, "{}",
			[]string{"DELETE /authentication/tickets: the document has no delete operation on /authentication/tickets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer.status, answer.contentType, answer.body = tc.status, tc.contentType, tc.answer
			c.t = t
			_, _, problems := c.do(tc.method, tc.path, "", tc.body)
			if len(tc.want) == 0 && len(problems) > 0 {
				t.Errorf("a documented exchange reported:\n%s", strings.Join(problems, "\n"))
			}
			for _, want := range tc.want {
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
					t.Errorf("no problem with %q among:\n%s", want, strings.Join(problems, "\n"))
				}
			}
		})
	}
}
