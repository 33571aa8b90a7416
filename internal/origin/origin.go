// Package origin decides which browser origins may use the transports: the
// page's own origin always, others only when configured.
package origin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// Same reports whether origin is the request's own: the same host and port,
// and a scheme the request may have come with. An https origin is: behind a
// TLS-terminating proxy the request arrives over plain HTTP from an https
// page. An http origin is not when the request came over TLS (r.TLS, or
// "https" first in X-Forwarded-Proto, as the proxy says): that page is one
// an attacker on the network serves in place of the plain-HTTP site, and
// with it the visitor's cookie would reach the attacker's script.
func Same(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Host != r.Host {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return !overTLS(r)
	}
	return false
}

// overTLS reports whether r came over TLS, to this server or to the proxy
// in front of it. A client that claims it falsely only refuses itself the
// http origin.
func overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
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
