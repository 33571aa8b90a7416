package validation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

// contract is the chat app served over HTTP with its own document and a
// maintained OpenAPI validator (pb33f/libopenapi-validator) over it: every
// exchange a test makes is checked against what the document says of it.
type contract struct {
	t   *testing.T
	url string
	doc map[string]any
	v   validator.Validator
}

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

func newContract(t *testing.T) *contract {
	srv := chatServer(t)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	resp, err := http.Get(ts.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := valid(t, b)
	ld, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(ld)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return &contract{t: t, url: ts.URL, doc: doc, v: v}
}

// call makes one request and checks the response against the document:
// its status is one the operation lists and its body has that response's
// schema. It answers the status and the decoded body.
func (c *contract) call(method, path, token string, body any, header ...string) (int, map[string]any) {
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
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	// The validator reads both bodies again.
	check, _ := http.NewRequest(method, c.url+path, bytes.NewReader(raw))
	check.Header = req.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(out))
	if ok, problems := c.v.ValidateHttpResponse(check, resp); !ok {
		for _, p := range problems {
			c.t.Errorf("%s %s → %d: %s: %s\n%s", method, path, resp.StatusCode, p.Message, p.Reason, out)
			for _, e := range p.SchemaValidationErrors {
				c.t.Errorf("  at %s: %s", e.FieldPath, e.Reason)
			}
		}
	}
	if op := c.operation(method, path); op != nil {
		if _, listed := op["responses"].(map[string]any)[itoa(resp.StatusCode)]; !listed {
			c.t.Errorf("%s %s answered %d, which the document does not list (%v)", method, path, resp.StatusCode, keys(op["responses"].(map[string]any)))
		}
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return resp.StatusCode, m
}

// operation finds the document's operation of a request.
func (c *contract) operation(method, path string) map[string]any {
	c.t.Helper()
	u, _ := url.Parse(path)
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for tmpl, item := range c.doc["paths"].(map[string]any) {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		match := true
		for i := range ts {
			if !strings.HasPrefix(ts[i], "{") && ts[i] != segs[i] {
				match = false
			}
		}
		if match {
			if op, ok := item.(map[string]any)[strings.ToLower(method)].(map[string]any); ok {
				return op
			}
		}
	}
	c.t.Errorf("%s %s: no operation in the document", method, path)
	return nil
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

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
