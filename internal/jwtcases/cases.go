// Package jwtcases is a list of crafted tokens and the answers Feathers
// (jsonwebtoken's verify, with the options Feathers passes it) gives them. The
// unit tests of authentication check Pinion's answers against it at a fixed
// clock; test/ checks it, and Pinion, against a real @feathersjs/authentication.
package jwtcases

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"strings"
	"time"
)

// Options are the verifier's settings: jwtOptions.audience and issuer
// (omitted when empty), and the leeway (clockTolerance) in seconds.
type Options struct {
	Audience string `json:"audience,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	Leeway   int    `json:"leeway"`
}

// The option sets the cases use.
var (
	Default  = Options{Audience: Audience, Issuer: Issuer}
	Lenient  = Options{Audience: Audience, Issuer: Issuer, Leeway: 5}
	NoClaims = Options{} // a generated app without issuer, and without audience
)

const (
	Audience = "https://yourdomain.com"
	Issuer   = "feathers"
)

// Case is one token and the answers to it.
type Case struct {
	Name    string  `json:"name"`
	Options Options `json:"options"`
	Token   string  `json:"token"`
	// Message is Feathers' message, "" when it accepts the token.
	Message string `json:"message"`
	// Data is Feathers' error data; nil stands for {"name":"JsonWebTokenError"}.
	Data map[string]any `json:"data"`
	// Pinion is Pinion's message where it differs from Feathers': one of its
	// own checks refuses a token jsonwebtoken accepts (data
	// {"name":"JsonWebTokenError"}).
	Pinion string `json:"pinion,omitempty"`
	// NodeMessage marks a case where Feathers' message is V8's JSON.parse
	// error text, which depends on the Node version (Message is then empty
	// and Data is {}).
	NodeMessage bool `json:"nodeMessage,omitempty"`
}

// WantData is the data of Feathers' error for c.
func (c Case) WantData() map[string]any {
	if c.Data == nil && c.Message != "" {
		return map[string]any{"name": "JsonWebTokenError"}
	}
	return c.Data
}

// PinionMessage is Pinion's message for c, "" when it accepts the token.
func (c Case) PinionMessage() string {
	if c.Pinion != "" {
		return c.Pinion
	}
	if c.NodeMessage {
		return "invalid token"
	}
	return c.Message
}

// PinionData is the data of Pinion's error for c.
func (c Case) PinionData() map[string]any {
	if c.Pinion != "" || c.NodeMessage {
		return map[string]any{"name": "JsonWebTokenError"}
	}
	return c.WantData()
}

// Raw is claim JSON written as is.
type Raw string

// MarshalJSON implements json.Marshaler.
func (r Raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Date is new Date(sec * 1000).toJSON() for whole or half seconds in 0000-9999.
func Date(sec float64) string {
	return time.UnixMilli(int64(sec * 1000)).UTC().Format("2006-01-02T15:04:05.000Z")
}

// Cases returns the cases for tokens signed with secret, at the clock now
// (Unix seconds).
func Cases(secret string, now int64) []Case {
	hsKey := func(key, h, p string, alg func() hash.Hash) string {
		in := b64(h) + "." + b64(p)
		m := hmac.New(alg, []byte(key))
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	hs := func(h, p string, alg func() hash.Hash) string { return hsKey(secret, h, p, alg) }
	sha256h, sha512h := sha256.New, sha512.New
	good := map[string]any{"iat": now, "exp": now + 3600, "aud": Audience, "iss": Issuer, "sub": "1", "jti": "j"}
	// claims is the good payload with changes: a nil value removes the claim.
	claims := func(kv ...any) string {
		c := maps.Clone(good)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		b, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	const access = `{"alg":"HS256","typ":"access"}`
	tok := func(h, p string) string { return hs(h, p, sha256h) }
	goodToken := tok(access, claims())
	sig := goodToken[len(goodToken)-43:]
	unsigned := goodToken[:len(goodToken)-43]
	// The same 32 signature bytes with other (ignored) trailing bits:
	// base64 decoders take it, jsonwebtoken compares the text.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, sig[42])
	nonCanonical := unsigned + sig[:42] + string(alphabet[i^1]) // same top four bits
	expired := func(exp float64) map[string]any {
		return map[string]any{"name": "TokenExpiredError", "expiredAt": Date(exp)}
	}
	notBefore := func(nbf float64) map[string]any {
		return map[string]any{"name": "NotBeforeError", "date": Date(nbf)}
	}
	n := float64(now)
	audErr := "jwt audience invalid. expected: " + Audience
	issErr := "jwt issuer invalid. expected: " + Issuer
	D, L, N := Default, Lenient, NoClaims
	return []Case{
		{Name: "valid", Options: D, Token: goodToken},
		{Name: "valid without aud and iss checks", Options: N, Token: goodToken},

		// Shape.
		{Name: "empty", Options: D, Token: "", Message: "jwt must be provided"},
		{Name: "one segment", Options: D, Token: "abc", Message: "jwt malformed"},
		{Name: "two segments", Options: D, Token: "a.b", Message: "jwt malformed"},
		{Name: "four segments", Options: D, Token: goodToken + ".x", Message: "jwt malformed"},
		{Name: "empty segments", Options: D, Token: "..", Message: "invalid token"},
		{Name: "segments that do not decode", Options: D, Token: "aaa.bbb.ccc", Message: "invalid token"},
		{Name: "one-letter segments", Options: D, Token: "x.y.z", Message: "invalid token"},
		{Name: "empty payload", Options: D, Token: b64(access) + ".." + sig, Message: "invalid token"},
		{Name: "padded header", Options: D, Token: b64(access) + "=" + goodToken[len(b64(access)):], Message: "invalid token"},
		{Name: "standard base64 character", Options: D, Token: "eyJ+" + goodToken[4:], Message: "invalid token"},
		{Name: "space in the signature", Options: D, Token: goodToken + " ", Message: "invalid token"},
		{Name: "header not JSON", Options: D, Token: tok(`{"alg":"HS256"`, claims()), Message: "invalid token"},
		{Name: "header with a control character", Options: D, Token: tok("{\"alg\":\"HS256\",\"x\":\"\x01\"}", claims()), Message: "invalid token"},
		{Name: "header null", Options: D, Token: tok(`null`, claims()), Message: "invalid token"},
		{Name: "header 0", Options: D, Token: tok(`0`, claims()), Message: "invalid token"},
		{Name: "header false", Options: D, Token: tok(`false`, claims()), Message: "invalid token"},
		{Name: "header empty string", Options: D, Token: tok(`""`, claims()), Message: "invalid token"},
		{Name: "header with trailing data", Options: D, Token: tok(access+"x", claims()), Message: "invalid token"},
		{Name: "header 1", Options: D, Token: tok(`1`, claims()), Message: "invalid algorithm"},
		{Name: "header a string", Options: D, Token: tok(`"HS256"`, claims()), Message: "invalid algorithm"},
		{Name: "header an array", Options: D, Token: tok(`[]`, claims()), Message: "invalid algorithm"},
		{Name: "header with latin1 bytes", Options: D, Token: tok(`{"alg":"HS256","typ":"access","x":"é€"}`, claims())},
		{Name: "header with whitespace", Options: D, Token: tok(" {\"alg\" : \"HS256\",\n\"typ\":\"access\"}\t", claims())},

		// Signature and algorithm.
		{Name: "no signature", Options: D, Token: unsigned, Message: "jwt signature is required"},
		{Name: "alg none without signature", Options: D, Token: b64(`{"alg":"none","typ":"access"}`) + "." + b64(claims()) + ".", Message: "jwt signature is required"},
		{Name: "bad header without signature", Options: D, Token: b64(`1`) + "." + b64(claims()) + ".", Message: "jwt signature is required"},
		{Name: "alg none with a signature", Options: D, Token: b64(`{"alg":"none","typ":"access"}`) + "." + b64(claims()) + "." + sig, Message: "invalid algorithm"},
		{Name: "HS512", Options: D, Token: hs(`{"alg":"HS512","typ":"access"}`, claims(), sha512h), Message: "invalid algorithm"},
		{Name: "no alg", Options: D, Token: tok(`{"typ":"access"}`, claims()), Message: "invalid algorithm"},
		{Name: "lower-case alg", Options: D, Token: tok(`{"alg":"hs256","typ":"access"}`, claims()), Message: "invalid algorithm"},
		{Name: "alg an array", Options: D, Token: tok(`{"alg":["HS256"],"typ":"access"}`, claims()), Message: "invalid algorithm"},
		{Name: "HS512 and expired", Options: D, Token: hs(`{"alg":"HS512","typ":"access"}`, claims("exp", now-10), sha512h), Message: "invalid algorithm"},
		{Name: "wrong secret", Options: D, Token: hsKey(secret+"x", access, claims(), sha256h), Message: "invalid signature"},
		{Name: "another token's signature", Options: D, Token: unsigned + tok("x", "y")[len(b64("x")+"."+b64("y")+"."):], Message: "invalid signature"},
		{Name: "signature with other trailing bits", Options: D, Token: nonCanonical, Message: "invalid signature"},
		{Name: "short signature", Options: D, Token: unsigned + sig[:42], Message: "invalid signature"},
		{Name: "wrong secret and expired", Options: D, Token: b64(access) + "." + b64(claims("exp", now-10)) + "." + sig, Message: "invalid signature"},

		// nbf.
		{Name: "nbf a string", Options: D, Token: tok(access, claims("nbf", "soon")), Message: "invalid nbf value"},
		{Name: "nbf null", Options: D, Token: tok(access, claims("nbf", Raw("null"))), Message: "invalid nbf value"},
		{Name: "nbf now", Options: D, Token: tok(access, claims("nbf", now))},
		{Name: "nbf in a second", Options: D, Token: tok(access, claims("nbf", now+1)), Message: "jwt not active", Data: notBefore(n + 1)},
		{Name: "nbf in half a second", Options: D, Token: tok(access, claims("nbf", n+0.5)), Message: "jwt not active", Data: notBefore(n + 0.5)},
		{Name: "nbf in an hour", Options: D, Token: tok(access, claims("nbf", now+3600)), Message: "jwt not active", Data: notBefore(n + 3600)},
		{Name: "nbf within the leeway", Options: L, Token: tok(access, claims("nbf", now+5))},
		{Name: "nbf beyond the leeway", Options: L, Token: tok(access, claims("nbf", now+6)), Message: "jwt not active", Data: notBefore(n + 6)},
		{Name: "nbf in year 11476", Options: D, Token: tok(access, claims("nbf", Raw("3e11"))), Message: "jwt not active",
			Data: map[string]any{"name": "NotBeforeError", "date": "+011476-08-15T05:20:00.000Z"}},
		{Name: "nbf beyond JavaScript dates", Options: D, Token: tok(access, claims("nbf", Raw("1e400"))), Message: "jwt not active",
			Data: map[string]any{"name": "NotBeforeError", "date": nil}},
		{Name: "nbf in the future and expired", Options: D, Token: tok(access, claims("nbf", now+60, "exp", now-60)), Message: "jwt not active", Data: notBefore(n + 60)},

		// exp.
		{Name: "exp a string", Options: D, Token: tok(access, claims("exp", "later")), Message: "invalid exp value"},
		{Name: "exp null", Options: D, Token: tok(access, claims("exp", Raw("null"))), Message: "invalid exp value"},
		{Name: "exp now", Options: D, Token: tok(access, claims("exp", now)), Message: "jwt expired", Data: expired(n)},
		{Name: "exp in a second", Options: D, Token: tok(access, claims("exp", now+1))},
		{Name: "exp in half a second", Options: D, Token: tok(access, claims("exp", n+0.5))},
		{Name: "exp half a second ago", Options: D, Token: tok(access, claims("exp", n-0.5)), Message: "jwt expired", Data: expired(n - 0.5)},
		{Name: "exp an hour ago", Options: D, Token: tok(access, claims("exp", now-3600)), Message: "jwt expired", Data: expired(n - 3600)},
		{Name: "exp within the leeway", Options: L, Token: tok(access, claims("exp", now-4))},
		{Name: "exp at the leeway", Options: L, Token: tok(access, claims("exp", now-5)), Message: "jwt expired", Data: expired(n - 5)},
		{Name: "exp before JavaScript dates", Options: D, Token: tok(access, claims("exp", Raw("-1e400"))), Message: "jwt expired",
			Data: map[string]any{"name": "TokenExpiredError", "expiredAt": nil}},
		{Name: "exp after JavaScript dates", Options: D, Token: tok(access, claims("exp", Raw("1e13")))},
		{Name: "exp infinite", Options: D, Token: tok(access, claims("exp", Raw("1e400"))), Pinion: "invalid exp value"},
		{Name: "no exp", Options: D, Token: tok(access, claims("exp", nil)), Pinion: "jwt must have an expiration time (exp)"},

		// aud and iss.
		{Name: "wrong aud", Options: D, Token: tok(access, claims("aud", "https://other")), Message: audErr},
		{Name: "no aud", Options: D, Token: tok(access, claims("aud", nil)), Message: audErr},
		{Name: "aud null", Options: D, Token: tok(access, claims("aud", Raw("null"))), Message: audErr},
		{Name: "aud a number", Options: D, Token: tok(access, claims("aud", 1)), Message: audErr},
		{Name: "aud an array with it", Options: D, Token: tok(access, claims("aud", []any{1, "x", Audience}))},
		{Name: "aud an array without it", Options: D, Token: tok(access, claims("aud", []any{"x", []any{Audience}})), Message: audErr},
		{Name: "aud of another case", Options: D, Token: tok(access, claims("aud", "https://YOURDOMAIN.com")), Message: audErr},
		{Name: "aud twice, the last right", Options: D, Token: tok(access, `{"aud":"x","aud":"`+Audience+`","iss":"feathers","exp":`+fmt.Sprint(now+60)+`}`)},
		{Name: "wrong aud, not checked", Options: N, Token: tok(access, claims("aud", "https://other"))},
		{Name: "wrong iss", Options: D, Token: tok(access, claims("iss", "other")), Message: issErr},
		{Name: "no iss", Options: D, Token: tok(access, claims("iss", nil)), Message: issErr},
		{Name: "iss an array", Options: D, Token: tok(access, claims("iss", []any{Issuer})), Message: issErr},
		{Name: "expired and wrong aud", Options: D, Token: tok(access, claims("exp", now-60, "aud", "x")), Message: "jwt expired", Data: expired(n - 60)},
		{Name: "wrong aud and iss", Options: D, Token: tok(access, claims("aud", "x", "iss", "y")), Message: audErr},
		{Name: "exp a string and wrong aud", Options: D, Token: tok(access, claims("exp", "x", "aud", "x")), Message: "invalid exp value"},

		// Payloads that are not a JSON object.
		{Name: "payload not JSON", Options: D, Token: tok(access, "hello"), Message: audErr},
		{Name: "payload an array", Options: D, Token: tok(access, `[1,2]`), Message: audErr},
		{Name: "payload a number", Options: D, Token: tok(access, `5`), Message: audErr},
		{Name: "payload not JSON, no aud check", Options: N, Token: tok(access, "hello"), Pinion: "jwt must have an expiration time (exp)"},
		{Name: "payload an array, no aud check", Options: N, Token: tok(access, `[]`), Pinion: "jwt must have an expiration time (exp)"},
		{Name: "payload with invalid UTF-8", Options: D, Token: tok(access, claims("name", "a\xff\xfeb"))},
		{Name: "typ JWT, payload not JSON", Options: D, Token: tok(`{"alg":"HS256","typ":"JWT"}`, "hello"), NodeMessage: true, Data: map[string]any{}},
		{Name: "typ JWT, payload null", Options: D, Token: tok(`{"alg":"HS256","typ":"JWT"}`, "null"),
			Message: "Cannot read properties of null (reading 'nbf')", Data: map[string]any{}},
		{Name: "typ JWT, payload a JSON string of JSON", Options: D, Token: tok(`{"alg":"HS256","typ":"JWT"}`, func() string {
			b, _ := json.Marshal(claims())
			return string(b)
		}()), Pinion: "invalid token type"},
		{Name: "typ JWT, payload a number", Options: D, Token: tok(`{"alg":"HS256","typ":"JWT"}`, "5"), Message: audErr},

		// Pinion's own checks, after all of jsonwebtoken's.
		{Name: "typ refresh", Options: D, Token: tok(`{"alg":"HS256","typ":"refresh"}`, claims()), Pinion: "invalid token type"},
		{Name: "no typ", Options: D, Token: tok(`{"alg":"HS256"}`, claims()), Pinion: "invalid token type"},
		{Name: "typ refresh and expired", Options: D, Token: tok(`{"alg":"HS256","typ":"refresh"}`, claims("exp", now-60)), Message: "jwt expired", Data: expired(n - 60)},
		{Name: "typ refresh and wrong aud", Options: D, Token: tok(`{"alg":"HS256","typ":"refresh"}`, claims("aud", "x")), Message: audErr},
		{Name: "no typ and no exp", Options: D, Token: tok(`{"alg":"HS256"}`, claims("exp", nil)), Pinion: "invalid token type"},
		{Name: "no exp and wrong aud", Options: D, Token: tok(access, claims("exp", nil, "aud", "x")), Message: audErr},
		{Name: "iat in an hour", Options: D, Token: tok(access, claims("iat", now+3600, "exp", now+7200)), Pinion: "jwt issued in the future"},
		{Name: "iat in 5 seconds", Options: D, Token: tok(access, claims("iat", now+5))},
		{Name: "iat in 6 seconds", Options: D, Token: tok(access, claims("iat", now+6)), Pinion: "jwt issued in the future"},
		{Name: "iat in 10 seconds with leeway", Options: L, Token: tok(access, claims("iat", now+10))},
		{Name: "iat a string", Options: D, Token: tok(access, claims("iat", "now")), Pinion: "invalid iat value"},
		{Name: "no iat", Options: D, Token: tok(access, claims("iat", nil))},
		{Name: "iat in the future and no exp", Options: D, Token: tok(access, claims("iat", now+3600, "exp", nil)), Pinion: "jwt must have an expiration time (exp)"},
	}
}
