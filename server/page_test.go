package server_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pinionhq/pinion/server"
)

// The default app serves its chat page at "/" and the page's files under
// /app/, with their types, ETags, and a policy that lets only the server's
// own scripts run.
func TestChatPageRoutes(t *testing.T) {
	srv, err := server.New(context.Background(), load(t, "memory"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	h := srv.Handler()
	get := func(method, path string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	for path, typ := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/app/chat.js":      "text/javascript; charset=utf-8",
		"/app/feathers.js":  "text/javascript; charset=utf-8",
		"/app/dom.js":       "text/javascript; charset=utf-8",
		"/app/chat.css":     "text/css; charset=utf-8",
		"/app/icon.svg":     "image/svg+xml",
		"/app/./chat.css":   "text/css; charset=utf-8",
		"/app/x/../dom.js":  "text/javascript; charset=utf-8",
		"/app//feathers.js": "text/javascript; charset=utf-8",
	} {
		w := get("GET", path)
		if w.Code != 200 || w.Header().Get("Content-Type") != typ {
			t.Errorf("GET %s: %d %q, want 200 %q", path, w.Code, w.Header().Get("Content-Type"), typ)
			continue
		}
		for k, v := range map[string]string{
			"Content-Security-Policy": server.PageCSP,
			"Cache-Control":           "no-cache",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, v)
			}
		}
		etag := w.Header().Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
			t.Errorf("GET %s: ETag %q", path, etag)
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
			if w := get("GET", path, "If-None-Match", inm); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("GET %s with If-None-Match %s: %d, want 304", path, inm, w.Code)
			}
		}
		if w := get("GET", path, "If-None-Match", `"other"`); w.Code != 200 {
			t.Errorf("GET %s with another ETag: %d", path, w.Code)
		}
	}
	if w := get("HEAD", "/"); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d bytes, Content-Length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
	if w := get("POST", "/"); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || !strings.Contains(w.Body.String(), `"MethodNotAllowed"`) {
		t.Errorf("POST /: %d %q %s", w.Code, w.Header().Get("Allow"), w.Body)
	}
	for _, path := range []string{"/app/", "/app/nope.js", "/app/../index.html", "/app/index.html", "/index.html"} {
		if w := get("GET", path); w.Code != 404 || !strings.Contains(w.Body.String(), `"NotFound"`) {
			t.Errorf("GET %s: %d %s, want a 404", path, w.Code, w.Body)
		}
	}
	// The services are where they were.
	if w := get("GET", "/messages"); w.Code != 401 {
		t.Errorf("GET /messages: %d, want 401", w.Code)
	}

	// The page refers to its own files only, and they exist.
	page := get("GET", "/").Body.String()
	for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(ref[1], "/app/") {
			t.Errorf("the page refers to %s", ref[1])
		} else if w := get("GET", ref[1]); w.Code != 200 {
			t.Errorf("the page refers to %s: %d", ref[1], w.Code)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") {
		t.Error("the page has an inline script or style, which its policy forbids")
	}
}

// What users write reaches the page as text only: no script of the page
// parses HTML.
func TestChatPageWritesNoHTML(t *testing.T) {
	unsafe := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|\beval\(|new Function`)
	err := filepath.WalkDir("web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if m := unsafe.FindString(line); m != "" {
				t.Errorf("%s:%d uses %s", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
