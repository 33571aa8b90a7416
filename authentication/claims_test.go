package authentication_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// account is the part of a user the claims below read.
type account struct {
	ID    any    `json:"_id"`
	Email string `json:"email"`
}

// emailClaim is the Feathers guide's payload: the user's email in the token.
func emailClaim(ctx context.Context, u account, params *pinion.Params) (map[string]any, error) {
	return map[string]any{"email": u.Email}, nil
}

// payloadOf decodes a token's claims without verifying it, as a client does.
func payloadOf(t *testing.T, token string) map[string]any {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("decoding %q: %v", token, err)
	}
	return claims
}

func wantEmail(t *testing.T, what, token, email string) {
	t.Helper()
	if got := payloadOf(t, token)["email"]; got != email {
		t.Fatalf("%s: the token's email is %v, want %q", what, got, email)
	}
}

// The claims of WithClaims are in the token of every strategy that signs one,
// computed from the user as it is at that moment: a changed email shows up
// at the next refresh, renewal or ticket.
func TestClaimsFollowTheUser(t *testing.T) {
	f := newAppWith(t, nil, []authentication.Option{authentication.WithClaims(emailClaim)}, withRefresh)
	user := f.signup(t, "ada@example.com", "correct horse")
	login := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "correct horse"})
	if login.status != 201 {
		t.Fatalf("login: %d %v", login.status, login.body)
	}
	access := login.body["accessToken"].(string)
	wantEmail(t, "local", access, "ada@example.com")
	if p := login.body["authentication"].(map[string]any)["payload"].(map[string]any); p["email"] != "ada@example.com" {
		t.Fatalf("the answer's payload %v", p)
	}

	// A jwt login answers the same token, with the same claims.
	again := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "jwt", "accessToken": access})
	if again.status != 201 || again.body["accessToken"] != access {
		t.Fatalf("jwt login: %d %v", again.status, again.body)
	}

	rename := func(email string) {
		t.Helper()
		if _, err := f.app.Service("users").Patch(ctx, user["_id"], map[string]any{"email": email}, &pinion.Params{}); err != nil {
			t.Fatal(err)
		}
	}
	rename("ada@lovelace.example")
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": login.body["refreshToken"]})
	if r.status != 201 {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	wantEmail(t, "refresh", r.body["accessToken"].(string), "ada@lovelace.example")

	s := newSocket("s1")
	f.socketLogin(t, s, r.body["accessToken"].(string))
	rename("countess@lovelace.example")
	authentication.Renew(ctx, f.auth, s.conn)
	if !s.got(authentication.EventRenewed) {
		t.Fatal("no renewal")
	}
	renewed := s.conn.Authentication()
	wantEmail(t, "renewal", renewed.AccessToken, "countess@lovelace.example")
	if renewed.Payload["fam"] != payloadOf(t, r.body["accessToken"].(string))["fam"] {
		t.Fatal("the renewed token left its login")
	}

	ticket, err := f.auth.TicketService().Create(ctx, nil, &pinion.Params{User: s.conn.User(), Authentication: renewed})
	if err != nil {
		t.Fatal(err)
	}
	rename("ada@analytical.example")
	s2 := newSocket("s2")
	if err := f.auth.LoginWithTicket(ctx, s2.conn, ticket.(map[string]any)["ticket"].(string)); err != nil {
		t.Fatal(err)
	}
	wantEmail(t, "ticket", s2.conn.Authentication().AccessToken, "ada@analytical.example")
}

// A webhook identity has no record: the claims function sees what the webhook
// vouched for, as a map when it asks for one.
func TestClaimsOfWebhookIdentities(t *testing.T) {
	srv, _ := webhook(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id": "u-7", "username": "ada"}`))
	})
	claims := authentication.WithClaims(func(ctx context.Context, u map[string]any, params *pinion.Params) (map[string]any, error) {
		return map[string]any{"name": u["username"], "via": params.Provider}, nil
	})
	f := newAppWith(t, nil, []authentication.Option{claims}, func(c *authentication.Config) {
		c.AuthStrategies = append(c.AuthStrategies, "webhook")
		c.Webhook.URL = srv.URL
	})
	f.auth.Register("webhook", f.auth.NewWebhook())
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "webhook", "username": "ada", "password": "open sesame"})
	if r.status != 201 {
		t.Fatalf("webhook login: %d %v", r.status, r.body)
	}
	p := payloadOf(t, r.body["accessToken"].(string))
	if p["name"] != "ada" || p["via"] != "rest" || p["webhook"] != true || p["sub"] != "webhook:u-7" {
		t.Fatalf("payload %v", p)
	}
}

// logs is a slog handler's output, safe for the server's goroutines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Claims that would override Pinion's, claims too large for a token and a
// failing claims function fail the login: a 500 whose cause the log names,
// never a token with the application's sub or exp. An application's own
// Feathers error reaches the client as it is.
func TestClaimsRefused(t *testing.T) {
	cases := []struct {
		name    string
		claims  map[string]any
		err     error
		status  int
		message string // of the answer
		log     string // in the log line
	}{
		{name: "sub", claims: map[string]any{"sub": "admin"}, status: 500, message: "Internal server error", log: `the claim \"sub\"`},
		{name: "exp", claims: map[string]any{"exp": 1 << 40, "email": "x"}, status: 500, message: "Internal server error", log: `the claim \"exp\"`},
		{name: "fam", claims: map[string]any{"fam": "another login"}, status: 500, message: "Internal server error", log: `the claim \"fam\"`},
		{name: "typ", claims: map[string]any{"typ": "refresh"}, status: 500, message: "Internal server error", log: `the claim \"typ\"`},
		{name: "webhook", claims: map[string]any{"webhook": true}, status: 500, message: "Internal server error", log: `the claim \"webhook\"`},
		{name: "iss aud jti iat nbf", claims: map[string]any{"iss": 1, "aud": 1, "jti": 1, "iat": 1, "nbf": 1}, status: 500, message: "Internal server error",
			log: `the claims \"aud\", \"iat\", \"iss\", \"jti\", \"nbf\"`},
		{name: "too large", claims: map[string]any{"bio": strings.Repeat("x", 200)}, status: 500, message: "Internal server error",
			log: "more than maxClaimsSize (128)"},
		{name: "failure", err: errBoom, status: 500, message: "Internal server error", log: "the claims function failed: boom"},
		{name: "feathers error", err: pinion.Forbidden("Suspended accounts cannot log in"), status: 403, message: "Suspended accounts cannot log in"},
		{name: "within bounds", claims: map[string]any{"bio": strings.Repeat("x", 100)}, status: 201},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out logs
			logger := slog.New(slog.NewTextHandler(&out, nil))
			claims := authentication.WithClaims(func(ctx context.Context, u account, params *pinion.Params) (map[string]any, error) {
				return c.claims, c.err
			})
			f := newAppWith(t, []pinion.Option{pinion.WithLogger(logger)}, []authentication.Option{claims},
				func(cfg *authentication.Config) { cfg.MaxClaimsSize = 128 })
			f.signup(t, "ada@example.com", "correct horse")
			r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "correct horse"})
			if c.status == 201 {
				if r.status != 201 || payloadOf(t, r.body["accessToken"].(string))["bio"] != c.claims["bio"] {
					t.Fatalf("got %d %v", r.status, r.body)
				}
				return
			}
			wantError(t, r, c.status, c.message)
			if c.log != "" && !strings.Contains(out.String(), c.log) {
				t.Fatalf("the log does not say %q:\n%s", c.log, out.String())
			}
			if c.log == "" && out.String() != "" {
				t.Fatalf("an application's refusal was logged as a failure:\n%s", out.String())
			}
		})
	}
}

type boom struct{}

func (boom) Error() string { return "boom" }

var errBoom error = boom{}

func TestMaxClaimsSizeConfig(t *testing.T) {
	cfg, err := authentication.ParseConfig(json.RawMessage(`{"maxClaimsSize": 4096}`))
	if err != nil || cfg.MaxClaimsSize != 4096 {
		t.Fatalf("%v %v", cfg.MaxClaimsSize, err)
	}
	if authentication.DefaultConfig().MaxClaimsSize != authentication.DefaultMaxClaimsSize {
		t.Fatal("no default")
	}
	if _, err := authentication.ParseConfig(json.RawMessage(`{"maxClaimsSize": 0}`)); err == nil || !strings.Contains(err.Error(), "maxClaimsSize must be positive") {
		t.Fatalf("a zero bound: %v", err)
	}
}
