package serve_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/serve"
)

// Through the whole server (rest.CORS in front of socket.io), a "*" among
// the origins never gives credentials to an origin not listed by name, on
// REST or on socket.io's long-polling handshake and its preflight, and
// every answer says once that it varies with Origin. socket.io's own
// headers used to replace rest.CORS's "*" with the caller's origin and
// Access-Control-Allow-Credentials: true. (Finding.)
func TestReviewCORSServeWildcardNoCredentials(t *testing.T) {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	srv, err := serve.New(app, serve.Options{Origins: []string{"*", "https://chat.example"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, tc := range []struct {
		origin, allowOrigin string
		credentials         bool
	}{
		{"https://evil.example", "*", false},
		{"https://chat.example.evil.com", "*", false},
		{"null", "*", false},
		{"https://chat.example", "https://chat.example", true},
		{ts.URL, ts.URL, true}, // the server's own
	} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/socket.io/?EIO=4&transport=polling"}, {"OPTIONS", "/socket.io/?EIO=4&transport=polling"},
			{"GET", "/notes"}, {"OPTIONS", "/notes"},
		} {
			r, _ := http.NewRequest(req.method, ts.URL+req.path, nil)
			r.Header.Set("Origin", tc.origin)
			if req.method == "OPTIONS" {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			creds := h.Get("Access-Control-Allow-Credentials") == "true"
			if h.Get("Access-Control-Allow-Origin") != tc.allowOrigin || creds != tc.credentials || resp.StatusCode >= 300 {
				t.Errorf("%s %s from %s: %d, Allow-Origin %q, credentials %v; want %q, %v", req.method, req.path, tc.origin,
					resp.StatusCode, h.Get("Access-Control-Allow-Origin"), creds, tc.allowOrigin, tc.credentials)
			}
			if n := strings.Count(strings.Join(h.Values("Vary"), ","), "Origin"); n != 1 {
				t.Errorf("%s %s from %s: Vary %q names Origin %d times", req.method, req.path, tc.origin, h.Values("Vary"), n)
			}
		}
	}
}
