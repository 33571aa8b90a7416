package authentication_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/transport/rest"
)

func withRefresh(c *authentication.Config) {
	c.Refresh.Enabled = true
	c.Refresh.ExpiresIn = authentication.Duration(48 * time.Hour)
}

func TestRefreshRotation(t *testing.T) {
	f := newApp(t, withRefresh)
	f.signup(t, "a@b.c", "secret-pw")
	login := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	access, refresh := login.body["accessToken"].(string), login.body["refreshToken"].(string)
	if refresh == "" || access == "" {
		t.Fatalf("login: %v", login.body)
	}
	header := decodeHeader(t, refresh)
	if header["typ"] != "refresh" {
		t.Fatalf("refresh token header %v", header)
	}

	// A refresh token is not an access token, and the reverse.
	wantError(t, f.do(t, "GET", "/messages", refresh, nil), 401, "invalid token type")
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": access}), 401, "invalid token type")
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh"}), 401, "No refresh token")
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": "x.y.z"}), 401, "invalid token")

	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": refresh})
	if r.status != 201 {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	access2, refresh2 := r.body["accessToken"].(string), r.body["refreshToken"].(string)
	if access2 == access || refresh2 == refresh || refresh2 == "" || r.body["user"].(map[string]any)["email"] != "a@b.c" {
		t.Fatalf("refresh answer: %v", r.body)
	}
	if f.do(t, "GET", "/messages", access2, nil).status != 200 {
		t.Fatal("the refreshed access token does not work")
	}

	// The spent token again: reuse. The whole family goes, with its access tokens.
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": refresh}), 401,
		"Refresh token reuse detected: every token of this session was revoked")
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": refresh2}), 401,
		"Refresh token reuse detected: every token of this session was revoked")
	wantError(t, f.do(t, "GET", "/messages", access2, nil), 401, "Token has been revoked")
	wantError(t, f.do(t, "GET", "/messages", access, nil), 401, "Token has been revoked")

	// Another login is another family and is not affected.
	other := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	r = f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": other.body["refreshToken"]})
	if r.status != 201 {
		t.Fatalf("a new family: %d %v", r.status, r.body)
	}

	// Logging out with an access token of a family ends its refresh tokens too.
	third := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	if out := f.do(t, "DELETE", "/authentication", r.body["accessToken"].(string), nil); out.status != 200 {
		t.Fatalf("logout: %d %v", out.status, out.body)
	}
	if again := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": r.body["refreshToken"]}); again.status != 401 {
		t.Fatalf("a refresh token outlived the logout of its family: %d %v", again.status, again.body)
	}
	if f.do(t, "GET", "/messages", third.body["accessToken"].(string), nil).status != 200 {
		t.Fatal("a logout ended another login's family")
	}
}

func TestRefreshDisabled(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	login := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	if _, ok := login.body["refreshToken"]; ok {
		t.Fatal("a refresh token without refresh enabled")
	}
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": "x"}), 401,
		"Invalid authentication information (strategy not allowed in authStrategies)")
}

func decodeHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Header
}

func TestRenewal(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) {
		// exp is in whole seconds, so a token has (2s, 3s] left when it is
		// issued: the first renewal comes at least 0.5s after the login,
		// after socketLogin has seen the token it was given.
		c.JWTOptions.ExpiresIn = authentication.Duration(3 * time.Second)
		c.Renewal = authentication.Duration(1500 * time.Millisecond)
		c.Leeway = 0
	})
	f.signup(t, "a@b.c", "secret-pw")
	s := newSocket("s1")
	token := f.login(t, "a@b.c", "secret-pw")
	f.socketLogin(t, s, token)
	s.wait(t, func() bool { return s.got(authentication.EventRenewed) }, "the renewal")
	renewed := s.conn.Authentication().AccessToken
	if renewed == token || renewed == "" {
		t.Fatal("the connection still uses the old token")
	}
	time.Sleep(2500 * time.Millisecond) // past the first token's expiry
	if s.got(authentication.EventExpired) || s.conn.User() == nil {
		// renewed 1.5s before each expiry, the connection never expires
		t.Fatal("a renewed connection expired")
	}
	if f.do(t, "GET", "/messages", s.conn.Authentication().AccessToken, nil).status != 200 {
		t.Fatal("the renewed token does not work over REST")
	}
}

func TestTickets(t *testing.T) {
	f := newApp(t)
	f.app.Use("authentication/tickets", f.auth.TicketService(), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}))
	if err := f.app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	// Tickets and login results are credentials: no service event carries them
	// to channels or to other instances.
	var events []string
	f.app.OnEvent(func(ctx context.Context, e pinion.Event) {
		if strings.HasPrefix(e.Path, "authentication") {
			events = append(events, e.Path+" "+e.Name)
		}
	})
	f.signup(t, "a@b.c", "secret-pw")
	token := f.login(t, "a@b.c", "secret-pw")
	wantError(t, f.do(t, "POST", "/authentication/tickets", "", nil), 401, "Not authenticated")
	r := f.do(t, "POST", "/authentication/tickets", token, nil)
	if r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if len(events) != 0 {
		t.Fatalf("credentials emitted as events: %v", events)
	}
	ticket := r.body["ticket"].(string)
	if decodeHeader(t, ticket)["typ"] != "ticket" {
		t.Fatal("ticket header")
	}
	expires, _ := time.Parse(time.RFC3339, r.body["expiresAt"].(string))
	if d := time.Until(expires); d <= 0 || d > 11*time.Second {
		t.Fatalf("expiresAt %v", expires)
	}
	now := time.Now().Unix()
	forged := func(typ string, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header["typ"] = typ
		s, _ := tok.SignedString([]byte(secret))
		return s
	}
	base := jwt.MapClaims{"iat": now, "aud": "https://yourdomain.com", "iss": "feathers", "sub": "0", "jti": "j1"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range base {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	// Order matters for the single-use cases, so they run in sequence.
	cases := []struct{ name, ticket, msg string }{
		{"missing", "", "No ticket"},
		{"garbage", "garbage", "jwt malformed"},
		{"access token", token, "invalid token type"},
		{"without exp", forged("ticket", base), "jwt must have an expiration time (exp)"},
		{"expired", forged("ticket", with("exp", now-5)), "jwt expired"},
		{"wrong typ", forged("refresh", with("exp", now+5)), "invalid token type"},
		{"first use", ticket, ""},
		{"second use", ticket, "Ticket already used"},
	}
	for _, tc := range cases {
		res, err := f.auth.RedeemTicket(ctx, tc.ticket)
		if tc.msg == "" {
			if err != nil || res.Entity["email"] != "a@b.c" || res.AccessToken == "" {
				t.Fatalf("%s: %v %v", tc.name, res, err)
			}
			continue
		}
		fe, ok := err.(*pinion.Error)
		if !ok || fe.Code != 401 || fe.Message != tc.msg {
			t.Errorf("%s: err = %v, want 401 %q", tc.name, err, tc.msg)
		}
	}
	// A ticket of a user whose tokens were revoked after it was issued fails.
	r = f.do(t, "POST", "/authentication/tickets", f.login(t, "a@b.c", "secret-pw"), nil)
	late := r.body["ticket"].(string)
	if err := f.auth.RevokeSubject(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.RedeemTicket(ctx, late); err == nil {
		t.Error("a ticket outlived the revocation of its user")
	}
}

// webhook is an httptest server standing for a deepstream-style auth endpoint.
func webhook(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func webhookApp(t *testing.T, url string, edit ...func(*authentication.Config)) *fixture {
	f := newApp(t, append([]func(*authentication.Config){func(c *authentication.Config) {
		c.AuthStrategies = append(c.AuthStrategies, "webhook")
		c.Webhook.URL = url
		c.Webhook.RequestTimeout = authentication.Duration(300 * time.Millisecond)
		c.Webhook.Retries = 2
		c.Webhook.RetryDelay = authentication.Duration(10 * time.Millisecond)
	}}, edit...)...)
	f.auth.Register("webhook", f.auth.NewWebhook())
	return f
}

func TestWebhook(t *testing.T) {
	var got map[string]any
	srv, calls := webhook(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		auth := got["authData"].(map[string]any)
		if auth["password"] != "open sesame" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "ext-42", "clientData": map[string]any{"theme": "dark"}, "serverData": map[string]any{"role": "admin"}})
	})
	f := webhookApp(t, srv.URL)
	var serverData any
	f.auth.OnLogin(func(ctx context.Context, res *authentication.Result, p *pinion.Params) {
		serverData = p.Authentication.Data["serverData"]
	})
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "ada", "password": "open sesame"})
	if r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if got["authData"].(map[string]any)["strategy"] != nil || got["connectionData"].(map[string]any)["provider"] != "rest" {
		t.Errorf("webhook request %v", got)
	}
	if r.body["clientData"].(map[string]any)["theme"] != "dark" || r.body["authentication"].(map[string]any)["payload"].(map[string]any)["sub"] != "webhook:ext-42" {
		t.Errorf("answer %v", r.body)
	}
	if _, leaked := r.body["serverData"]; leaked {
		t.Error("serverData reached the client")
	}
	if serverData.(map[string]any)["role"] != "admin" {
		t.Errorf("serverData for hooks: %v", serverData)
	}
	// The webhook's token works where a jwt is required; the user has no record.
	token := r.body["accessToken"].(string)
	if r := f.do(t, "GET", "/messages", token, nil); r.status != 200 {
		t.Fatalf("webhook token on a protected service: %d %v", r.status, r.body)
	}
	n := calls.Load()
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "ada", "password": "wrong"}), 401, "Invalid login")
	if calls.Load() != n+1 {
		t.Error("a refusal must not be retried")
	}
}

// A webhook identity whose id equals a local user's is not that user, and its
// tickets log in the webhook identity.
func TestWebhookIdentities(t *testing.T) {
	var id atomic.Value
	srv, _ := webhook(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": id.Load()})
	})
	f := webhookApp(t, srv.URL)
	f.app.Use("authentication/tickets", f.auth.TicketService(), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}))
	local := f.signup(t, "a@b.c", "secret-pw")
	localID := pinion.IDString(local["_id"])
	id.Store(localID)
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "mallory"})
	if r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	token := r.body["accessToken"].(string)
	wantError(t, f.do(t, "PATCH", "/users/"+localID, token, map[string]any{"name": "owned"}), 403, "You can only change your own user")
	wantError(t, f.do(t, "DELETE", "/users/"+localID, token, nil), 403, "You can only change your own user")

	tr := f.do(t, "POST", "/authentication/tickets", token, nil)
	if tr.status != 201 {
		t.Fatalf("ticket: %d %v", tr.status, tr.body)
	}
	res, err := f.auth.RedeemTicket(ctx, tr.body["ticket"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if res.Authentication.Payload["webhook"] != true || res.Entity["email"] != nil {
		t.Fatalf("a webhook ticket logged in %v with %v", res.Entity, res.Authentication.Payload)
	}
}

// The webhook's answer names the identity with a non-empty string, id or
// username; anything else is the endpoint's fault, 502, never a string made
// of whatever came (an object once became "map[$gt:]"). The identity is
// namespaced, so that it is never a local user's id.
func TestWebhookAnswers(t *testing.T) {
	var answer atomic.Value
	srv, _ := webhook(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(answer.Load().(string))) })
	f := webhookApp(t, srv.URL)
	for _, tc := range []struct {
		answer string
		sub    string // "" for a 502
	}{
		{`{"id": "ext-42"}`, "webhook:ext-42"},
		{`{"username": "ada"}`, "webhook:ada"},
		{`{"id": "ext-42", "username": "ada"}`, "webhook:ext-42"},
		{`{"id": null, "username": "ada"}`, "webhook:ada"},
		{`{"id": "webhook:x"}`, "webhook:webhook:x"},
		{`{"id": {"$gt": ""}}`, ""},
		{`{"id": ["a"]}`, ""},
		{`{"id": true}`, ""},
		{`{"id": 42}`, ""},
		{`{"id": ""}`, ""},
		{`{"id": "", "username": "ada"}`, ""},
		{`{"username": {"$ne": null}}`, ""},
		{`{"username": ""}`, ""},
		{`{}`, ""},
		{`[]`, ""},
		{`"ext-42"`, ""},
	} {
		answer.Store(tc.answer)
		r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "ada"})
		if tc.sub == "" {
			if r.status != 502 || strings.Contains(fmt.Sprint(r.body["message"]), "map[") {
				t.Errorf("answer %s: %d %v, want 502", tc.answer, r.status, r.body)
			}
			continue
		}
		if r.status != 201 {
			t.Errorf("answer %s: %d %v", tc.answer, r.status, r.body)
			continue
		}
		if sub := r.body["authentication"].(map[string]any)["payload"].(map[string]any)["sub"]; sub != tc.sub {
			t.Errorf("answer %s: sub %v, want %s", tc.answer, sub, tc.sub)
		}
		if id := r.body["user"].(map[string]any)["_id"]; id != tc.sub {
			t.Errorf("answer %s: user %v, want _id %s", tc.answer, r.body["user"], tc.sub)
		}
	}
}

func TestWebhookFailures(t *testing.T) {
	slow, slowCalls := webhook(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) })
	f := webhookApp(t, slow.URL)
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "a"})
	if r.status != 503 || !strings.HasPrefix(r.body["message"].(string), "The authentication webhook did not answer: no answer within 300ms") {
		t.Fatalf("timeout: %d %v", r.status, r.body)
	}
	// Each attempt reaches the endpoint, maybe after its client gave up on
	// a loaded machine: three of them, no more.
	for deadline := time.Now().Add(5 * time.Second); slowCalls.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if slowCalls.Load() != 3 {
		t.Errorf("%d attempts, want 1 + 2 retries", slowCalls.Load())
	}
	gone := webhookApp(t, "http://127.0.0.1:1/auth")
	r = gone.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "a"})
	if r.status != 503 || r.body["message"] != "The authentication webhook did not answer: the endpoint is unreachable" {
		t.Fatalf("unreachable: %d %v", r.status, r.body)
	}
	junk, _ := webhook(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
	r = webhookApp(t, junk.URL).do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook"})
	if r.status != 502 {
		t.Fatalf("junk answer: %d %v", r.status, r.body)
	}
	noID, _ := webhook(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"clientData":{}}`)) })
	r = webhookApp(t, noID.URL).do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook"})
	if r.status != 502 {
		t.Fatalf("no id: %d %v", r.status, r.body)
	}
}

// cookieApp is the chat app with the cookie flow and the CSRF guard, as the
// server wires them.
func cookieApp(t *testing.T) *fixture {
	f := newApp(t, func(c *authentication.Config) { c.Cookie.Enabled = true })
	engine := gin.New()
	engine.Use(func(c *gin.Context) {
		if err := f.auth.CheckCookieRequest(c.Request); err != nil {
			c.AbortWithStatusJSON(http.StatusForbidden, err)
		}
	})
	f.app.Service("authentication").Hooks(f.auth.Hooks())
	rest.New(f.app, rest.Options{Authentication: f.auth.Parse}).Mount(engine)
	f.http = engine
	return f
}

func TestCookieFlow(t *testing.T) {
	f := cookieApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	setCookie := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(setCookie, "feathers-jwt=") || !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") || strings.Contains(setCookie, "Secure") {
		t.Fatalf("Set-Cookie %q", setCookie)
	}
	cookie := strings.SplitN(setCookie, ";", 2)[0]

	// A login sent by another site's page (a form on evil.example logging the
	// victim in as the attacker) works but sets no cookie.
	form := httptest.NewRequest("POST", "/authentication", strings.NewReader("strategy=local&email=a%40b.c&password=secret-pw"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form.Header.Set("Sec-Fetch-Site", "cross-site")
	form.Header.Set("Origin", "https://evil.example")
	w := httptest.NewRecorder()
	f.http.ServeHTTP(w, form)
	if w.Code != 201 || w.Header().Get("Set-Cookie") != "" {
		t.Fatalf("cross-site login: %d, Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}

	send := func(method, path, body string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		f.http.ServeHTTP(w, req)
		return w
	}
	if w := send("GET", "/messages", ""); w.Code != 200 {
		t.Fatalf("GET with the cookie: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "https://evil.example"); w.Code != 403 {
		t.Fatalf("cross-site POST with the cookie: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`); w.Code != 403 {
		t.Fatalf("POST with the cookie and no origin: %d", w.Code)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Sec-Fetch-Site", "same-site", "Origin", "https://other.example.com"); w.Code != 403 {
		t.Fatalf("POST from a sibling subdomain with the cookie: %d %s", w.Code, w.Body)
	}
	// Any Authorization header turns the cookie off: a cross-site page that
	// adds one (CORS allows it) must not ride on the cookie.
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "https://evil.example", "Authorization", "Basic eDp5"); w.Code != 401 {
		t.Fatalf("cross-site POST with the cookie and a Basic header: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Sec-Fetch-Site", "same-origin"); w.Code != 201 {
		t.Fatalf("same-origin POST: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "http://example.com"); w.Code != 201 {
		t.Fatalf("POST from the server's own origin: %d %s", w.Code, w.Body)
	}
	// Over TLS (here: to the proxy in front), a plain-HTTP page of the same
	// host is what a network attacker serves: it is not the server's own.
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "http://example.com", "X-Forwarded-Proto", "https"); w.Code != 403 {
		t.Fatalf("POST over TLS from the http page of the same host: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "https://example.com", "X-Forwarded-Proto", "https"); w.Code != 201 {
		t.Fatalf("POST over TLS from the https page: %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/messages", `{"text":"x"}`, "Origin", "null"); w.Code != 403 {
		t.Fatalf("POST from an opaque origin: %d %s", w.Code, w.Body)
	}
	// A socket handshake with the cookie: same origin yes, another site no.
	sock := newSocket("c1")
	req := newRequest("")
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Origin", "https://evil.example")
	if err := f.auth.Handshake(ctx, sock.conn, req, nil); err == nil {
		t.Fatal("a cross-site handshake with the cookie was accepted")
	}
	req.Header.Set("Origin", "http://example.com")
	req.Header.Set("X-Forwarded-Proto", "https")
	if err := f.auth.Handshake(ctx, sock.conn, req, nil); err == nil {
		t.Fatal("a handshake over TLS from the http page of the same host was accepted with the cookie")
	}
	req.Header.Del("X-Forwarded-Proto")
	if err := f.auth.Handshake(ctx, sock.conn, req, nil); err != nil || sock.conn.User() == nil {
		t.Fatalf("same-origin handshake: %v", err)
	}
	// Logout clears the cookie and revokes the token.
	w = send("DELETE", "/authentication", "", "Sec-Fetch-Site", "same-origin")
	if w.Code != 200 || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", w.Code, w.Header())
	}
	if w := send("GET", "/messages", ""); w.Code != 401 {
		t.Fatalf("GET after logout: %d", w.Code)
	}
}
