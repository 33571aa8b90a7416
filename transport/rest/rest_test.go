package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/rest"
)

func init() { gin.SetMode(gin.TestMode) }

// probe is a service that answers with what it was called with.
type probe struct{}

func (probe) reply(method string, id, data any, p *pinion.Params) (any, error) {
	out := map[string]any{"method": method, "query": p.Query, "provider": p.Provider}
	if id != nil {
		out["id"] = id
	}
	if data != nil {
		out["data"] = data
	}
	if p.Route != nil {
		out["route"] = p.Route
	}
	if p.Authentication != nil {
		out["authentication"] = p.Authentication
	}
	return out, nil
}

func (s probe) Find(ctx context.Context, p *pinion.Params) (any, error) {
	return s.reply("find", nil, nil, p)
}
func (s probe) Get(ctx context.Context, id any, p *pinion.Params) (any, error) {
	if id == "missing" {
		return nil, pinion.NotFound("No record found for id '%v'", id)
	}
	if id == "boom" {
		return nil, io.ErrUnexpectedEOF // an internal error
	}
	if id == "null" {
		return nil, nil
	}
	return s.reply("get", id, nil, p)
}
func (s probe) Create(ctx context.Context, data any, p *pinion.Params) (any, error) {
	return s.reply("create", nil, data, p)
}
func (s probe) Update(ctx context.Context, id, data any, p *pinion.Params) (any, error) {
	return s.reply("update", id, data, p)
}
func (s probe) Patch(ctx context.Context, id, data any, p *pinion.Params) (any, error) {
	return s.reply("patch", id, data, p)
}
func (s probe) Remove(ctx context.Context, id any, p *pinion.Params) (any, error) {
	return s.reply("remove", id, nil, p)
}

func newServer(t testing.TB, opts rest.Options) (*pinion.App, http.Handler) {
	t.Helper()
	app := pinion.New()
	app.Use("messages", probe{},
		pinion.WithMethod("archive", func(ctx context.Context, data any, p *pinion.Params) (any, error) {
			return map[string]any{"archived": data}, nil
		}),
		pinion.WithMethod("nothing", func(ctx context.Context, data any, p *pinion.Params) (any, error) {
			return nil, nil
		}))
	app.Use("limited", probe{}, pinion.WithMethods("find", "get", "create", "patch", "remove"))
	app.Use(":orgId/projects", probe{})
	app.Use("hooked", probe{}, pinion.WithHooks(pinion.Hooks{After: pinion.HookMap{
		"create": {func(ctx context.Context, hc *pinion.HookContext) error {
			hc.HTTP.Status = 202
			hc.HTTP.Headers = http.Header{"X-Trace": {"t1"}}
			return nil
		}},
		"get": {func(ctx context.Context, hc *pinion.HookContext) error {
			hc.HTTP.Location = "/elsewhere/" + hc.ID.(string)
			if hc.ID == "oauth" {
				hc.HTTP.Location = "https://app.example/cb?x=1#access_token=t"
			}
			return nil
		}},
		"find": {func(ctx context.Context, hc *pinion.HookContext) error {
			hc.Dispatch = map[string]any{"external": true}
			return nil
		}},
	}}))
	engine := gin.New()
	engine.Use(rest.CORS([]string{"https://ok.example"}))
	engine.GET("/healthz", func(c *gin.Context) { c.String(200, "ok") })
	rest.New(app, opts).Mount(engine)
	return app, engine
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(h http.Handler, method, target, body string, headers ...string) response {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return response{w.Code, w.Header(), w.Body.String()}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("body %q: %v", s, err)
	}
	return m
}

func TestRouting(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	cases := []struct {
		method, target, body string
		headers              []string
		status               int
		want                 map[string]any // subset of the body
	}{
		{"GET", "/messages", "", nil, 200, map[string]any{"method": "find", "provider": "rest"}},
		{"GET", "/messages/", "", nil, 200, map[string]any{"method": "find"}},
		{"GET", "/messages/1", "", nil, 200, map[string]any{"method": "get", "id": "1"}},
		{"GET", "/messages/hello%20world", "", nil, 200, map[string]any{"id": "hello world"}},
		{"GET", "/messages/a%2Fb", "", nil, 200, map[string]any{"id": "a/b"}},
		{"POST", "/messages", `{"text":"hi"}`, nil, 201, map[string]any{"method": "create", "data": map[string]any{"text": "hi"}}},
		{"POST", "/messages/55", `{"text":"hi"}`, nil, 201, map[string]any{"method": "create"}},
		{"POST", "/messages", "", nil, 201, map[string]any{"data": map[string]any{}}},
		{"POST", "/messages", `[{"a":1},{"a":2}]`, nil, 201, map[string]any{"data": []any{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}}}},
		{"PUT", "/messages/1", `{"text":"x"}`, nil, 200, map[string]any{"method": "update", "id": "1"}},
		{"PUT", "/messages", `{"text":"x"}`, nil, 200, map[string]any{"method": "update"}},
		{"PATCH", "/messages/1", `{"text":"x"}`, nil, 200, map[string]any{"method": "patch", "id": "1"}},
		{"PATCH", "/messages", `{"text":"x"}`, nil, 200, map[string]any{"method": "patch"}},
		{"DELETE", "/messages/1", "", nil, 200, map[string]any{"method": "remove", "id": "1"}},
		{"DELETE", "/messages", "", nil, 200, map[string]any{"method": "remove"}},
		{"POST", "/messages", `{"x":1}`, []string{"X-Service-Method", "archive"}, 200, map[string]any{"archived": map[string]any{"x": 1.0}}},
		{"POST", "/messages", `{}`, []string{"X-Service-Method", "nothing"}, 204, nil},
		{"POST", "/messages", `{}`, []string{"X-Service-Method", "create"}, 405, map[string]any{"message": "Method `create` is not supported by this endpoint."}},
		{"POST", "/messages", `{}`, []string{"X-Service-Method", "setup"}, 405, map[string]any{"message": "Method `setup` is not supported by this endpoint."}},
		{"PUT", "/messages/1", `{}`, []string{"X-Service-Method", "archive"}, 200, map[string]any{"method": "update"}},
		{"PUT", "/limited/1", `{}`, nil, 405, map[string]any{"name": "MethodNotAllowed", "message": "Method `update` is not supported by this endpoint.", "className": "method-not-allowed", "code": 405.0}},
		{"GET", "/org1/projects", "", nil, 200, map[string]any{"route": map[string]any{"orgId": "org1"}}},
		{"GET", "/org1/projects/7", "", nil, 200, map[string]any{"id": "7", "route": map[string]any{"orgId": "org1"}}},
		// A literal segment wins, as in Feathers: messages.get("projects"), not
		// projects.find with orgId "messages".
		{"GET", "/messages/projects", "", nil, 200, map[string]any{"method": "get", "id": "projects"}},
		{"GET", "/org%2F1/projects/a%2Fb", "", nil, 200, map[string]any{"id": "a/b", "route": map[string]any{"orgId": "org/1"}}},
		{"GET", "/messages/a/b", "", nil, 404, map[string]any{"name": "NotFound", "message": "Page not found", "data": map[string]any{"url": "/messages/a/b"}}},
		{"GET", "/nothing?x=1", "", nil, 404, map[string]any{"data": map[string]any{"url": "/nothing?x=1"}}},
		{"GET", "/messages/missing", "", nil, 404, map[string]any{"message": "No record found for id 'missing'"}},
		{"GET", "/messages/boom", "", nil, 500, map[string]any{"name": "GeneralError", "message": "Internal server error"}},
		{"GET", "/messages/null", "", nil, 204, nil},
		{"OPTIONS", "/messages", "", nil, 405, map[string]any{"message": "Method OPTIONS not allowed"}},
		{"POST", "/hooked", `{}`, nil, 202, nil},
		{"GET", "/hooked/9", "", nil, 303, nil},
		{"GET", "/hooked", "", nil, 200, map[string]any{"external": true}},
		{"GET", "/healthz", "", nil, 200, nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := do(h, tc.method, tc.target, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if tc.status == 204 && r.body != "" {
				t.Fatalf("204 with body %q", r.body)
			}
			if tc.want == nil {
				return
			}
			got := decode(t, r.body)
			for k, v := range tc.want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v (body %s)", k, got[k], v, r.body)
				}
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
		})
	}
}

func TestResponseDetails(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	r := do(h, "POST", "/hooked", `{}`)
	if r.header.Get("X-Trace") != "t1" {
		t.Errorf("hook headers not sent: %v", r.header)
	}
	r = do(h, "GET", "/hooked/a%20b", "")
	if r.header.Get("Location") != "/elsewhere/a%20b" {
		t.Errorf("location = %q", r.header.Get("Location"))
	}
	r = do(h, "GET", "/hooked/oauth", "")
	if r.header.Get("Location") != "https://app.example/cb?x=1#access_token=t" {
		t.Errorf("absolute location = %q", r.header.Get("Location"))
	}
	r = do(h, "HEAD", "/messages/1", "")
	if r.status != 200 || r.body != "" || r.header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %q %v", r.status, r.body, r.header)
	}
}

func TestQueryParsing(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	r := do(h, "GET", "/messages?a=1&b[]=x&b[]=y&c[d]=true&e=&$or[0][a]=1&$or[1][b]=2&%24limit=10", "")
	got := decode(t, r.body)["query"]
	want := map[string]any{"a": "1", "b": []any{"x", "y"}, "c": map[string]any{"d": "true"}, "e": "",
		"$or": []any{map[string]any{"a": "1"}, map[string]any{"b": "2"}}, "$limit": "10"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query = %#v", got)
	}
	// A $sort on several fields keeps its order on the wire (Ordered marshals in order).
	r = do(h, "GET", "/messages?$sort[createdAt]=-1&$sort[_id]=1", "")
	if !strings.Contains(r.body, `"$sort":{"createdAt":"-1","_id":"1"}`) {
		t.Errorf("sort order lost: %s", r.body)
	}
}

func TestBodies(t *testing.T) {
	_, h := newServer(t, rest.Options{BodyLimit: 64})
	cases := []struct {
		name, body, contentType string
		status                  int
		message                 string
	}{
		{"invalid json", `not json{`, "application/json", 400, "Invalid JSON in request body"},
		{"truncated json", `{"a":`, "application/json", 400, "Invalid JSON in request body"},
		{"trailing data", `{"a":1}{}`, "application/json", 400, "unexpected data after"},
		{"scalar", `"text"`, "application/json", 400, "expected an object or an array"},
		{"too large", `{"a":"` + strings.Repeat("x", 100) + `"}`, "application/json", 413, "larger than the limit of 64 bytes"},
		{"unsupported type", `hello`, "text/plain", 400, "Unsupported Content-Type 'text/plain'"},
		{"bad content type", `{}`, "application/json; charset", 400, "Invalid Content-Type"},
		{"form", `a=1&b[c]=2`, "application/x-www-form-urlencoded", 201, ""},
		{"json suffix", `{"a":1}`, "application/merge-patch+json", 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/messages", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			body := decode(t, w.Body.String())
			if tc.message != "" && !strings.Contains(body["message"].(string), tc.message) {
				t.Errorf("message %q, want %q", body["message"], tc.message)
			}
			if tc.status == 413 && body["className"] != "payload-too-large" {
				t.Errorf("413 shape: %v", body)
			}
		})
	}
	r := do(h, "POST", "/messages", "")
	if r.status != 201 {
		t.Fatal(r)
	}
}

func TestFormBody(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	req := httptest.NewRequest("POST", "/messages", strings.NewReader("a=1&b[c]=2"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	got := decode(t, w.Body.String())["data"]
	if !reflect.DeepEqual(got, map[string]any{"a": "1", "b": map[string]any{"c": "2"}}) {
		t.Errorf("form = %#v", got)
	}
}

func TestAuthorizationHeader(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	cases := []struct {
		header string
		token  any
	}{
		{"Bearer abc.def", "abc.def"},
		{"bearer abc", "abc"},
		{"JWT abc", "abc"},
		{"abc", "abc"},
		{"Basic dXNlcg==", nil},
		{"", nil},
	}
	for _, tc := range cases {
		var headers []string
		if tc.header != "" {
			headers = []string{"Authorization", tc.header}
		}
		r := do(h, "GET", "/messages", "", headers...)
		auth, _ := decode(t, r.body)["authentication"].(map[string]any)
		var token any
		if auth != nil {
			token = auth["accessToken"]
			if auth["strategy"] != "jwt" {
				t.Errorf("strategy = %v", auth["strategy"])
			}
		}
		if token != tc.token {
			t.Errorf("%q: token = %v, want %v", tc.header, token, tc.token)
		}
	}
}

func TestCORS(t *testing.T) {
	_, h := newServer(t, rest.Options{})
	r := do(h, "OPTIONS", "/messages", "", "Origin", "https://ok.example", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,authorization")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" ||
		r.header.Get("Access-Control-Allow-Headers") != "content-type,authorization" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = do(h, "OPTIONS", "/messages", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", r.status, r.header)
	}
	r = do(h, "GET", "/messages", "", "Origin", "https://ok.example")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("simple request: %d %v", r.status, r.header)
	}
}

// Credentials are allowed only to origins listed by name and to the
// server's own; "*" allows any origin without them.
func TestCORSCredentials(t *testing.T) {
	for _, tc := range []struct {
		origins           []string
		origin, host      string
		allowOrigin       string
		credentials       bool
		preflightRejected bool
	}{
		{[]string{"*"}, "https://evil.example", "api.example", "*", false, false},
		{[]string{"*"}, "null", "api.example", "*", false, false},
		{[]string{"*"}, "https://api.example", "api.example", "https://api.example", true, false},
		{[]string{"https://ok.example", "*"}, "https://ok.example", "api.example", "https://ok.example", true, false},
		{[]string{"https://ok.example", "*"}, "https://evil.example", "api.example", "*", false, false},
		{[]string{"https://ok.example"}, "https://evil.example", "api.example", "", false, true},
		{[]string{"https://ok.example"}, "null", "api.example", "", false, true},
		{nil, "https://api.example", "api.example", "https://api.example", true, false},
		{nil, "ftp://api.example", "api.example", "", false, true},
		// "null" (sandboxed frames, file: pages) is never credentialed, even listed.
		{[]string{"null"}, "null", "api.example", "", false, true},
		{[]string{"null", "*"}, "null", "api.example", "*", false, false},
	} {
		engine := gin.New()
		engine.Use(rest.CORS(tc.origins))
		engine.GET("/x", func(c *gin.Context) { c.String(200, "ok") })
		for _, method := range []string{"GET", "OPTIONS"} {
			req := httptest.NewRequest(method, "http://"+tc.host+"/x", nil)
			req.Header.Set("Origin", tc.origin)
			if method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "GET")
			}
			w := httptest.NewRecorder()
			engine.ServeHTTP(w, req)
			h := w.Header()
			creds := h.Get("Access-Control-Allow-Credentials") == "true"
			if h.Get("Access-Control-Allow-Origin") != tc.allowOrigin || creds != tc.credentials {
				t.Errorf("%v, %s %s from %s: Allow-Origin %q, credentials %v; want %q, %v", tc.origins, method, tc.host, tc.origin,
					h.Get("Access-Control-Allow-Origin"), creds, tc.allowOrigin, tc.credentials)
			}
			if method == "OPTIONS" && (w.Code == 403) != tc.preflightRejected {
				t.Errorf("%v, preflight from %s: %d", tc.origins, tc.origin, w.Code)
			}
		}
	}
}
