package authentication

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/jwtcases"
)

const testSecret = "a-test-secret-that-is-long-enough-0123456789"

func testTokens() *Tokens {
	return NewTokens(testSecret, DefaultConfig().JWTOptions, 0)
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestSignFormat(t *testing.T) {
	tok := testTokens()
	issued, err := tok.Sign(TypeAccess, "42", 24*time.Hour, map[string]any{"role": "admin", "sub": "spoof"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(issued.Token, ".")
	if h := decodeSegment(t, parts[0]); h["alg"] != "HS256" || h["typ"] != "access" || len(h) != 2 {
		t.Errorf("header %v", h)
	}
	c := decodeSegment(t, parts[1])
	if c["sub"] != "42" || c["aud"] != "https://yourdomain.com" || c["iss"] != "feathers" || c["role"] != "admin" {
		t.Errorf("claims %v", c)
	}
	if c["exp"].(float64)-c["iat"].(float64) != 86400 {
		t.Errorf("exp - iat = %v", c["exp"].(float64)-c["iat"].(float64))
	}
	if jti, _ := c["jti"].(string); len(jti) != 36 || jti[14] != '4' {
		t.Errorf("jti %q is not a UUID v4", jti)
	}
	if issued.Claims["iat"] != c["iat"] {
		t.Errorf("returned claims %v differ from the token's %v", issued.Claims, c)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, typ string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if typ != "" {
		tok.Header["typ"] = typ
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifyErrors runs every crafted token of internal/jwtcases at a fixed
// clock: Pinion answers jsonwebtoken's message and data (test/ checks the
// list against a real @feathersjs/authentication), or its own after all of
// jsonwebtoken's checks.
func TestVerifyErrors(t *testing.T) {
	const now = 1_800_000_000
	for _, tc := range jwtcases.Cases(testSecret, now) {
		t.Run(tc.Name, func(t *testing.T) {
			o := tc.Options
			tok := NewTokens(testSecret, JWTOptions{Header: JWTHeader{Typ: "access"}, Audience: o.Audience, Issuer: o.Issuer},
				time.Duration(o.Leeway)*time.Second)
			tok.now = func() time.Time { return time.Unix(now, 999_000_000) } // a clock in whole seconds
			claims, err := tok.Verify(tc.Token, TypeAccess)
			want := tc.PinionMessage()
			if want == "" {
				if err != nil || claims == nil {
					t.Fatalf("err = %v, want the token accepted", err)
				}
				return
			}
			fe, ok := err.(*pinion.Error)
			if !ok || fe.Code != 401 || fe.Message != want {
				t.Fatalf("err = %v, want 401 %q", err, want)
			}
			b1, _ := json.Marshal(fe.Data)
			b2, _ := json.Marshal(tc.PinionData())
			if string(b1) != string(b2) {
				t.Errorf("data %s, want %s", b1, b2)
			}
		})
	}
}

func TestVerifyCacheKeepsChecks(t *testing.T) {
	tok := testTokens()
	issued, _ := tok.Sign(TypeAccess, "1", time.Hour, nil, time.Time{})
	for range 2 { // the second call is answered from the cache
		if _, err := tok.Verify(issued.Token, TypeAccess); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tok.Verify(issued.Token, TypeRefresh); err == nil {
		t.Fatal("a cached access token was accepted as a refresh token")
	}
	tok.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := tok.Verify(issued.Token, TypeAccess); err == nil || err.(*pinion.Error).Message != "jwt expired" {
		t.Fatalf("a cached token outlived its exp: %v", err)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1d": 24 * time.Hour, "2h": 2 * time.Hour, "30m": 30 * time.Minute, "10s": 10 * time.Second,
		"500ms": 500 * time.Millisecond, "1w": 7 * 24 * time.Hour, "90": 90 * time.Second, "1h30m": 90 * time.Minute,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDuration("soon"); err == nil {
		t.Error("no error for soon")
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil || c.JWTOptions.Issuer != "feathers" || c.Local.UsernameField != "email" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = ParseConfig(json.RawMessage(`{"jwtOptions":{"expiresIn":"2h","audience":"a","issuer":"i","algorithm":"HS256","header":{"typ":"access"}}}`))
	if err != nil || time.Duration(c.JWTOptions.ExpiresIn) != 2*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{
		`{"secret":"short"}`,
		`{"jwtOptions":{"algorithm":"RS256","header":{"typ":"access"},"expiresIn":"1d"}}`,
		`{"jwtOptions":{"expiresIn":"soon"}}`,
		`{"secrett":"typo"}`,
		`{"local":{"usernameField":"","passwordField":"p"}}`,
		`{"throttle":{"perAccount":-1}}`,
	} {
		if _, err := ParseConfig(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestResolveSecret(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	if _, err := c.ResolveSecret(true, dir); err == nil {
		t.Fatal("production without a secret must fail")
	}
	generated, err := c.ResolveSecret(false, dir)
	if err != nil || !generated || len(c.Secret) < MinSecretLength {
		t.Fatalf("generated=%v len=%d err=%v", generated, len(c.Secret), err)
	}
	again := DefaultConfig()
	again.ResolveSecret(false, dir)
	if again.Secret != c.Secret {
		t.Error("the generated secret was not kept")
	}
	short := DefaultConfig()
	short.Secret = "short"
	if _, err := short.ResolveSecret(false, dir); err == nil {
		t.Error("a short secret was accepted")
	}
}

// jwtOptions.header.typ names the header of access tokens, on both sides.
func TestConfiguredAccessType(t *testing.T) {
	opts := DefaultConfig().JWTOptions
	opts.Header.Typ = "JWT"
	custom := NewTokens(testSecret, opts, 0)
	issued, err := custom.Sign(TypeAccess, "42", time.Hour, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if h := decodeSegment(t, strings.Split(issued.Token, ".")[0]); h["typ"] != "JWT" {
		t.Fatalf("header %v", h)
	}
	if _, err := custom.Verify(issued.Token, TypeAccess); err != nil {
		t.Fatalf("own token refused: %v", err)
	}
	if _, err := testTokens().Verify(issued.Token, TypeAccess); err == nil {
		t.Fatal("a JWT-typed token passed where access is configured")
	}
	def, _ := testTokens().Sign(TypeAccess, "42", time.Hour, nil, time.Time{})
	if _, err := custom.Verify(def.Token, TypeAccess); err == nil {
		t.Fatal("an access-typed token passed where JWT is configured")
	}
}

// An empty issuer, as generated Feathers apps configure, signs and accepts
// tokens without iss.
func TestNoIssuer(t *testing.T) {
	opts := DefaultConfig().JWTOptions
	opts.Issuer = ""
	tok := NewTokens(testSecret, opts, 0)
	issued, err := tok.Sign(TypeAccess, "42", time.Hour, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := tok.Verify(issued.Token, TypeAccess)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["iss"]; ok {
		t.Fatalf("claims %v", claims)
	}
}
