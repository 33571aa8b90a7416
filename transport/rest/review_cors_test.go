package rest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion/transport/rest"
)

// Adversarial review of CORS (the attacks held; kept as regression tests).

// corsEngine serves GET and POST /x behind rest.CORS(origins).
func corsEngine(origins ...string) *gin.Engine {
	engine := gin.New()
	engine.Use(rest.CORS(origins))
	engine.GET("/x", func(c *gin.Context) { c.String(200, "ok") })
	engine.POST("/x", func(c *gin.Context) { c.String(200, "ok") })
	return engine
}

func corsDo(engine http.Handler, method, host string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://"+host+"/x", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	engine.ServeHTTP(w, req)
	return w
}

func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

// Origins that resemble an allowed one, or the server's own, get no CORS
// header and their preflight a 403: the comparison is exact, byte for byte,
// against origins as browsers write them.
func TestReviewCORSLookAlikeOrigins(t *testing.T) {
	engine := corsEngine("https://chat.example")
	for _, o := range []string{
		"https://chat.example.evil.com", "https://evilchat.example", "https://xchat.example", "https://chat.example.",
		"https://chat.exampl", "null", "https://CHAT.example", "HTTPS://chat.example", "https://chat.example/",
		"https://chat.example:443", "https://chat.example:8443", "http://chat.example", "wss://chat.example",
		"https://chat.éxample", "https://xn--chat-example", "chat.example", "*", "https://chat.example, https://evil.example",
		"https://user@chat.example", "https://api.example.evil.com", "https://api.example:8443", "https://evil.example#https://chat.example",
	} {
		for _, method := range []string{"GET", "POST", "OPTIONS"} {
			w := corsDo(engine, method, "api.example", "Origin", o, "Access-Control-Request-Method", "POST")
			h := w.Header()
			if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("%s from %q: CORS headers %v", method, o, h)
			}
			if method == "OPTIONS" && w.Code != http.StatusForbidden {
				t.Errorf("preflight from %q: %d, want 403", o, w.Code)
			}
			if !varies(h, "Origin") {
				t.Errorf("%s from %q: no Vary: Origin", method, o)
			}
		}
	}
	// The listed origin, and the server's own (same host and port), get
	// credentials.
	for _, o := range []string{"https://chat.example", "https://api.example"} {
		w := corsDo(engine, "GET", "api.example", "Origin", o)
		if w.Header().Get("Access-Control-Allow-Origin") != o || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("GET from %s: %v", o, w.Header())
		}
	}
}

// Vary: Origin is on every answer, with an Origin or without (a cache that
// stored the answer to a request without one must not give it to a page of
// another origin), and a preflight that names headers varies with them too.
func TestReviewCORSVary(t *testing.T) {
	for _, origins := range [][]string{{"*"}, {"https://chat.example"}, nil} {
		engine := corsEngine(origins...)
		for _, o := range []string{"", "https://chat.example", "https://evil.example"} {
			if w := corsDo(engine, "GET", "api.example", "Origin", o); !varies(w.Header(), "Origin") {
				t.Errorf("%q, GET from %q: Vary %q", origins, o, w.Header().Values("Vary"))
			}
		}
	}
	w := corsDo(corsEngine("https://chat.example"), "OPTIONS", "api.example", "Origin", "https://chat.example",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-custom")
	if !varies(w.Header(), "Origin") || !varies(w.Header(), "Access-Control-Request-Headers") {
		t.Errorf("preflight with headers: Vary %q", w.Header().Values("Vary"))
	}
}

// A preflight asking for an unusual method gets the fixed list of the
// methods the transport serves, never the method echoed back: TRACE,
// CONNECT and the WebDAV methods stay refused by the browser. Requested
// headers are allowed to the allowed origins only.
func TestReviewCORSPreflightMethodsAndHeaders(t *testing.T) {
	const methods = "GET, HEAD, PUT, PATCH, POST, DELETE"
	for _, origins := range [][]string{{"*"}, {"https://chat.example"}} {
		engine := corsEngine(origins...)
		for _, m := range []string{"TRACE", "CONNECT", "PROPFIND", "get", "DELETE", "X-EVIL\r\nX-Injected: 1"} {
			w := corsDo(engine, "OPTIONS", "api.example", "Origin", "https://chat.example", "Access-Control-Request-Method", m,
				"Access-Control-Request-Headers", "authorization, x-custom")
			h := w.Header()
			if w.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Methods") != methods || h.Get("X-Injected") != "" {
				t.Errorf("%q, preflight for %q: %d, methods %q", origins, m, w.Code, h.Get("Access-Control-Allow-Methods"))
			}
			if h.Get("Access-Control-Allow-Headers") != "authorization, x-custom" {
				t.Errorf("%q, preflight for %q: headers %q", origins, m, h.Get("Access-Control-Allow-Headers"))
			}
		}
	}
	w := corsDo(corsEngine("https://chat.example"), "OPTIONS", "api.example", "Origin", "https://evil.example",
		"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "authorization")
	if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Headers") != "" || w.Header().Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight from a foreign origin: %d %v", w.Code, w.Header())
	}
	// An OPTIONS request without Access-Control-Request-Method is no
	// preflight: it is not answered with CORS permissions.
	w = corsDo(corsEngine("https://chat.example"), "OPTIONS", "api.example", "Origin", "https://evil.example")
	if w.Header().Get("Access-Control-Allow-Methods") != "" || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("OPTIONS without a method from a foreign origin: %d %v", w.Code, w.Header())
	}
}

// "*" never reflects an origin with credentials, whatever the origin
// looks like, including one that resembles the server's own.
func TestReviewCORSWildcardNeverCredentialed(t *testing.T) {
	engine := corsEngine("*")
	for _, o := range []string{"https://evil.example", "null", "https://api.example.evil.com", "https://api.example:8443",
		"https://evilapi.example", "file://", "https://API.example", "*"} {
		for _, method := range []string{"GET", "POST", "OPTIONS"} {
			w := corsDo(engine, method, "api.example", "Origin", o, "Access-Control-Request-Method", "POST")
			h := w.Header()
			if h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s from %q: Allow-Origin %q, credentials %q", method, o, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
			}
		}
	}
}

// An http: page of the server's own host is not the server's own origin
// when the request came over TLS (r.TLS, or X-Forwarded-Proto: https from
// the TLS proxy): it is what an attacker on the network serves in place of
// the plain-HTTP site, and it used to get the API's answers with the
// visitor's cookie (Same compared hosts only). (Finding.) The https page of
// the host behind the proxy, and a plain-HTTP server's own page, still are.
func TestReviewCORSSchemeDowngrade(t *testing.T) {
	engine := corsEngine() // no origin but the server's own
	for _, tc := range []struct {
		origin, proto string
		own           bool
	}{
		{"http://api.example", "https", false},
		{"http://api.example", "HTTPS", false},
		{"http://api.example", "https, http", false},
		{"https://api.example", "https", true},
		{"https://api.example", "", true}, // behind a TLS proxy that does not say so
		{"http://api.example", "", true},  // a plain-HTTP server
		{"http://api.example", "http", true},
	} {
		for _, method := range []string{"GET", "OPTIONS"} {
			w := corsDo(engine, method, "api.example", "Origin", tc.origin, "X-Forwarded-Proto", tc.proto, "Access-Control-Request-Method", "POST")
			creds := w.Header().Get("Access-Control-Allow-Credentials") == "true"
			if creds != tc.own || (method == "OPTIONS" && (w.Code == http.StatusForbidden) == tc.own) {
				t.Errorf("%s from %s, X-Forwarded-Proto %q: %d, credentials %v; want the server's own: %v", method, tc.origin, tc.proto, w.Code, creds, tc.own)
			}
		}
	}
	// Over TLS itself.
	req := httptest.NewRequest("GET", "https://api.example/x", nil)
	req.Header.Set("Origin", "http://api.example")
	w := httptest.NewRecorder()
	engine.ServeHTTP(w, req)
	if w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("GET over TLS from http://api.example: %v", w.Header())
	}
}
