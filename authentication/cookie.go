package authentication

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/origin"
)

// cookieSource marks credentials read from the cookie, in Authentication.Data.
const cookieSource = "cookie"

// fromCookie reads the token cookie of r, when the cookie flow is enabled.
func (s *Service) fromCookie(r *http.Request) *pinion.Authentication {
	if !s.cfg.Cookie.Enabled {
		return nil
	}
	c, err := r.Cookie(s.cfg.Cookie.Name)
	if err != nil || c.Value == "" {
		return nil
	}
	return &pinion.Authentication{Strategy: "jwt", AccessToken: c.Value, Data: map[string]any{"source": cookieSource}}
}

// FromCookie reports whether credentials were read from the cookie.
func FromCookie(a *pinion.Authentication) bool {
	return a != nil && a.Data["source"] == cookieSource
}

// Hooks are the hooks the authentication service needs on its own methods:
// with the cookie flow enabled, a REST login sets the token as an httpOnly
// cookie and a logout clears it. Register them with the service:
//
//	app.Use("authentication", auth, pinion.WithHooks(auth.Hooks()))
func (s *Service) Hooks() pinion.Hooks {
	return pinion.Hooks{After: pinion.HookMap{
		"create": {s.setCookie},
		"remove": {s.clearCookie},
	}}
}

func (s *Service) setCookie(ctx context.Context, hc *pinion.HookContext) error {
	res, ok := hc.Result.(*Result)
	if !s.cfg.Cookie.Enabled || hc.Params.Provider != pinion.ProviderREST || !ok || res.AccessToken == "" {
		return nil
	}
	if !s.mayCookie(hc.Params.Headers) {
		return nil // the login works; the token is in the answer, not a cookie
	}
	exp, _ := res.Authentication.Payload["exp"].(float64)
	maxAge := int(time.Until(time.Unix(int64(exp), 0)).Seconds())
	s.addCookie(hc, res.AccessToken, maxAge)
	return nil
}

// mayCookie reports whether a login may set the cookie: not when a page of
// another site sent it (login CSRF: a form on evil.example logging the
// victim's browser in as the attacker). Browsers say where a request comes
// from in Sec-Fetch-Site; one listed in WithCookieOrigins counts as ours.
// Requests without the header (clients other than browsers, and browsers
// older than 2023) set the cookie.
func (s *Service) mayCookie(h http.Header) bool {
	switch h.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return slices.Contains(s.cookieOrigins, h.Get("Origin"))
}

func (s *Service) clearCookie(ctx context.Context, hc *pinion.HookContext) error {
	if s.cfg.Cookie.Enabled && hc.Params.Provider == pinion.ProviderREST {
		s.addCookie(hc, "", -1)
	}
	return nil
}

func (s *Service) addCookie(hc *pinion.HookContext, value string, maxAge int) {
	c := &http.Cookie{
		Name: s.cfg.Cookie.Name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(hc.Params.Headers),
	}
	switch s.cfg.Cookie.SameSite {
	case "Strict":
		c.SameSite = http.SameSiteStrictMode
	case "None":
		c.SameSite, c.Secure = http.SameSiteNoneMode, true // browsers require Secure with None
	default:
		c.SameSite = http.SameSiteLaxMode
	}
	if hc.HTTP.Headers == nil {
		hc.HTTP.Headers = http.Header{}
	}
	hc.HTTP.Headers.Add("Set-Cookie", c.String())
}

// secure reports whether the cookie gets the Secure attribute: always, never,
// or when the request came over TLS (Pinion sits behind a TLS proxy, which says
// so in X-Forwarded-Proto).
func (s *Service) secure(h http.Header) bool {
	switch s.cfg.Cookie.Secure {
	case "always":
		return true
	case "never":
		return false
	}
	return strings.EqualFold(h.Get("X-Forwarded-Proto"), "https")
}

// CheckCookieRequest protects the cookie flow from cross-site request forgery:
// an unsafe request (POST, PUT, PATCH, DELETE) authenticated only by the cookie
// must come from the server's own origin or one given with WithCookieOrigins
// (a "*" CORS allowlist does not count), as Origin or Sec-Fetch-Site tell. It answers a 403
// Forbidden otherwise. Requests with an Authorization header are not affected:
// a cross-site attacker cannot set one.
func (s *Service) CheckCookieRequest(r *http.Request) error {
	if !s.cfg.Cookie.Enabled {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if r.Header.Get("Authorization") != "" || s.fromCookie(r) == nil {
		return nil
	}
	if sameOrigin(r, s.cookieOrigins) {
		return nil
	}
	return pinion.Forbidden("Cross-site request refused: requests authenticated by cookie must come from an allowed origin")
}

func sameOrigin(r *http.Request, origins []string) bool {
	// "same-site" is not enough: a page on a sibling subdomain is same-site.
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	// The CORS layer's rule for credentialed requests: an origin listed by
	// name, or the server's own (never "null", never an http page when the
	// request came over TLS: a network attacker serves that one).
	return origin.Credentialed(origins, r)
}

// crossSite reports whether a handshake comes from another site's page.
// Browsers send Origin on every cross-origin request and on every WebSocket
// handshake; a handshake without it (a same-origin long-polling GET, a Node
// client) is not a page of another site.
func crossSite(r *http.Request, origins []string) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	if r.Header.Get("Origin") == "" {
		return false
	}
	return !sameOrigin(r, origins)
}
