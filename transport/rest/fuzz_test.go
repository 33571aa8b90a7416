package rest_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pinionhq/pinion/transport/rest"
)

// FuzzRequest sends arbitrary query strings and bodies through the whole REST
// decoding path: every answer is a success or a Feathers error in JSON, never a
// panic or a 500.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ query, body, ct string }{
		{"a=1&b[]=x", `{"text":"hi"}`, "application/json"},
		{"$sort[createdAt]=-1&$limit=10", `[{"a":1},{"b":2}]`, "application/json"},
		{"%zz=%", `not json{`, "application/json"},
		{"a[b][c][d][e][f][g]=1", `a=1&b[c]=2`, "application/x-www-form-urlencoded"},
		{"", `{"a":"` + strings.Repeat("x", 100) + `"}`, "application/json"},
		{"x=1", "\xff\xfe", "text/plain"},
		{"", `{"a":1}{}`, "application/merge-patch+json"},
		{"", "", "application/json; charset"},
	} {
		f.Add(seed.query, seed.body, seed.ct)
	}
	_, h := newServer(f, rest.Options{BodyLimit: 256})
	f.Fuzz(func(t *testing.T, query, body, contentType string) {
		req := httptest.NewRequest("POST", "/messages", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 201, 400, 413:
		default:
			t.Fatalf("status %d for query %q body %q type %q: %s", w.Code, query, body, contentType, w.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("answer is not JSON: %q", w.Body)
		}
		if w.Code != 201 && (m["name"] == nil || m["code"] != float64(w.Code) || m["className"] == nil) {
			t.Fatalf("not a Feathers error: %s", w.Body)
		}
	})
}
