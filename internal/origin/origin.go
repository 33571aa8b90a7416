// Package origin decides which browser origins may use the transports: the
// page's own origin always, others only when configured.
package origin

import (
	"net/http"
	"net/url"
	"slices"
)

// Allowed reports whether the request's Origin may use the server: no Origin
// (a client that is not a browser), "*" in origins, an origin listed there,
// or the server's own origin (the page was served by this server, whose
// host the request names).
func Allowed(origins []string, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || slices.Contains(origins, "*") || slices.Contains(origins, o) {
		return true
	}
	return Same(o, r)
}

// Same reports whether origin is the request's own: the same host and port.
// The scheme is not compared: behind a TLS-terminating proxy the request
// arrives over plain HTTP from an https page.
func Same(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Host == r.Host
}

// Credentialed reports whether the request's Origin may make credentialed
// requests (cookies): an origin listed explicitly in origins, or the server's
// own. A "*" in origins never counts: a wildcard allows any page to read
// what it may read without credentials, never what a cookie unlocks. It is
// the check the cookie flow makes on writes, so that what a browser may
// read and what it may change are allowed to the same origins.
//
// "null", the opaque origin of sandboxed frames, data: and file: pages, which
// any site can take on, never counts either, even when listed.
func Credentialed(origins []string, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "*" || o == "null" {
		return false
	}
	return slices.Contains(origins, o) || Same(o, r)
}
