package socketio_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// lookAlikes are origins a page of another site can have that resemble
// the allowed https://chat.example, or are written as no browser writes it.
var lookAlikes = []string{
	"https://chat.example.evil.com", "https://evilchat.example", "https://chat.example.", "https://xchat.example",
	"null", "https://CHAT.example", "https://chat.example/", "https://chat.example:443", "https://chat.example:8443",
	"http://chat.example", "wss://chat.example", "https://chat.éxample", "chat.example", "*",
}

type corsAnswer struct {
	status              int
	allowOrigin, vary   string
	credentials         bool
	allowMethods, allow string
}

// handshake makes a long-polling handshake (or its preflight) from origin
// ("" sends none).
func handshake(t *testing.T, url, method, origin string) corsAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, url+"/socket.io/?EIO=4&transport=polling", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	return corsAnswer{status: resp.StatusCode, allowOrigin: h.Get("Access-Control-Allow-Origin"), vary: strings.Join(h.Values("Vary"), ","),
		credentials: h.Get("Access-Control-Allow-Credentials") == "true", allowMethods: h.Get("Access-Control-Allow-Methods"),
		allow: h.Get("Access-Control-Allow-Headers")}
}

// With "*" among the origins, a page of any site may open a socket, but
// never with credentials: the handler reflected any origin with
// Access-Control-Allow-Credentials: true, letting every site read the
// answers the visitor's cookie unlocked on the long-polling transport.
// (Finding.) Only the origins listed by name, and the server's own, get
// credentials.
func TestReviewCORSSocketIOWildcardNoCredentials(t *testing.T) {
	for _, tc := range []struct {
		origins     []string
		origin      string
		allowOrigin string
		credentials bool
	}{
		{[]string{"*"}, "https://evil.example", "*", false},
		{[]string{"*"}, "null", "*", false},
		{[]string{"*", "https://chat.example"}, "https://evil.example", "*", false},
		{[]string{"*", "https://chat.example"}, "https://chat.example", "https://chat.example", true},
		{[]string{"https://chat.example"}, "https://chat.example", "https://chat.example", true},
		{[]string{"null", "*"}, "null", "*", false}, // "null" is never credentialed, even listed
	} {
		_, _, url, _ := newServer(t, tc.origins...)
		for _, method := range []string{http.MethodGet, http.MethodOptions} {
			got := handshake(t, url, method, tc.origin)
			if got.allowOrigin != tc.allowOrigin || got.credentials != tc.credentials {
				t.Errorf("origins %q, %s from %s: Allow-Origin %q, credentials %v; want %q, %v",
					tc.origins, method, tc.origin, got.allowOrigin, got.credentials, tc.allowOrigin, tc.credentials)
			}
			if !strings.Contains(got.vary, "Origin") {
				t.Errorf("origins %q, %s from %s: no Vary: Origin (%q)", tc.origins, method, tc.origin, got.vary)
			}
			if method == http.MethodOptions && (got.status != http.StatusNoContent || !strings.Contains(got.allowMethods, "POST") || got.allow != "content-type") {
				t.Errorf("origins %q, preflight from %s: %+v", tc.origins, tc.origin, got)
			}
			if method == http.MethodGet && got.status != http.StatusOK {
				t.Errorf("origins %q, handshake from %s: %d", tc.origins, tc.origin, got.status)
			}
		}
	}
}

// With an allowlist, look-alike origins are refused on the long-polling
// handshake and its preflight, with no CORS header but Vary: Origin (the
// answer depends on the origin; a cache must not give one origin's answer
// to another). (Vary was missing from refusals: finding; the matching held.)
func TestReviewCORSSocketIOLookAlikes(t *testing.T) {
	_, _, url, _ := newServer(t, "https://chat.example")
	for _, o := range lookAlikes {
		for _, method := range []string{http.MethodGet, http.MethodOptions} {
			got := handshake(t, url, method, o)
			if got.allowOrigin != "" || got.credentials || (method == http.MethodGet && got.status != http.StatusForbidden) ||
				(method == http.MethodOptions && got.status == http.StatusNoContent) {
				t.Errorf("%s from %q: %+v; want refused without CORS headers", method, o, got)
			}
			if !strings.Contains(got.vary, "Origin") {
				t.Errorf("%s from %q: no Vary: Origin (%q)", method, o, got.vary)
			}
		}
	}
	// Without an Origin (not a browser, or a same-origin GET) and from the
	// server's own origin, the handshake is accepted.
	for _, o := range []string{"", url} {
		if got := handshake(t, url, http.MethodGet, o); got.status != http.StatusOK {
			t.Errorf("handshake from %q: %+v", o, got)
		}
	}
}

// The WebSocket handshake checks the same origins: look-alikes are refused,
// a missing Origin (not a browser: browsers always send one on WebSocket
// handshakes) and the listed one are accepted. (Attack held.)
func TestReviewCORSSocketIOWebSocketOrigins(t *testing.T) {
	_, _, url, _ := newServer(t, "https://chat.example")
	ws := "ws" + strings.TrimPrefix(url, "http") + "/socket.io/?EIO=4&transport=websocket"
	dial := func(origin string) (int, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(ws, h)
		if c != nil {
			c.Close()
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	for _, o := range lookAlikes {
		if status, err := dial(o); err == nil || status != http.StatusForbidden {
			t.Errorf("WebSocket from %q: status %d, %v; want 403", o, status, err)
		}
	}
	for _, o := range []string{"", "https://chat.example", url} {
		if status, err := dial(o); err != nil || status != http.StatusSwitchingProtocols {
			t.Errorf("WebSocket from %q: status %d, %v; want accepted", o, status, err)
		}
	}
}

// The handshake from an http: page of the server's own host, on a request
// that came over TLS (the proxy says X-Forwarded-Proto: https), is no
// longer the server's own: a network attacker's page in place of the
// plain-HTTP site. (Finding, with rest's TestReviewCORSSchemeDowngrade.)
func TestReviewCORSSocketIOSchemeDowngrade(t *testing.T) {
	_, _, url, _ := newServer(t, "https://chat.example")
	for _, tc := range []struct {
		proto  string
		status int
	}{{"https", http.StatusForbidden}, {"", http.StatusOK}, {"http", http.StatusOK}} {
		req, _ := http.NewRequest("GET", url+"/socket.io/?EIO=4&transport=polling", nil)
		req.Header.Set("Origin", url) // http://127.0.0.1:port, the server's host
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status != http.StatusOK && resp.Header.Get("Access-Control-Allow-Credentials") != "") {
			t.Errorf("X-Forwarded-Proto %q: %d %v; want %d", tc.proto, resp.StatusCode, resp.Header, tc.status)
		}
	}
}
