package authentication

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/pinionhq/pinion"
)

// Token types, carried in the JWT header "typ". A token of one type is never
// accepted where another is expected.
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
	TypeTicket  = "ticket"
)

// Tokens signs and verifies HS256 JWTs exactly as Feathers (jsonwebtoken) does:
// claims iat, exp, aud, iss, sub, jti plus custom ones; header typ. Verification
// failures carry jsonwebtoken's messages, so clients see the same errors.
//
// Verified tokens are remembered until they expire: a token presented on every
// request is checked with a map lookup instead of an HMAC and a JSON decode.
type Tokens struct {
	secret   []byte
	audience string
	issuer   string
	access   string // header typ of access tokens: jwtOptions.header.typ
	leeway   time.Duration
	now      func() time.Time

	mu       sync.RWMutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	typ    string
	claims map[string]any
	exp    float64 // seconds
}

// maxIssuedAhead is how far ahead of now Sign may date a token: a password
// change moves the next tokens of its user to the next whole second, and
// changes within one second move them one second further each.
const maxIssuedAhead = 5 * time.Second

// maxVerified bounds the memory of the verified-token cache.
const maxVerified = 1 << 16

// header is the header typ of tokens of type typ: access tokens carry the
// configured jwtOptions.header.typ ("access" by default, as in Feathers).
func (t *Tokens) header(typ string) string {
	if typ == TypeAccess {
		return t.access
	}
	return typ
}

// NewTokens returns a signer and verifier for the secret and options.
func NewTokens(secret string, opts JWTOptions, leeway time.Duration) *Tokens {
	return &Tokens{
		secret:   []byte(secret),
		audience: opts.Audience,
		issuer:   opts.Issuer,
		access:   cmp.Or(opts.Header.Typ, TypeAccess),
		leeway:   leeway,
		now:      time.Now,
		verified: make(map[string]verifiedToken),
	}
}

// Issued is a token and its claims.
type Issued struct {
	Token  string
	Claims map[string]any
}

// Sign issues a token of type typ for subject. extra claims are copied in first, so
// they cannot override the registered ones. notBefore, when later than now, is used
// as iat (see Revocations.ValidAfter: it keeps a token issued right after a
// password change from looking older than the change).
func (t *Tokens) Sign(typ, subject string, ttl time.Duration, extra map[string]any, notBefore time.Time) (Issued, error) {
	typ = t.header(typ)
	now := t.now()
	if notBefore.After(now) {
		now = notBefore
	}
	iat := now.Unix()
	claims := jwt.MapClaims{}
	maps.Copy(claims, extra)
	claims["iat"] = iat
	claims["exp"] = iat + int64(ttl/time.Second)
	if t.audience != "" {
		claims["aud"] = t.audience
	}
	if t.issuer != "" {
		claims["iss"] = t.issuer
	}
	if subject != "" {
		claims["sub"] = subject
	}
	claims["jti"] = uuid.NewString()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = typ
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return Issued{}, fmt.Errorf("authentication: signing a token: %w", err)
	}
	// The payload clients see is the decoded token: numbers as JSON numbers.
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		if n, ok := v.(int64); ok {
			v = float64(n)
		}
		out[k] = v
	}
	return Issued{Token: s, Claims: out}, nil
}

// Verify checks token and returns its claims, which the caller must not modify.
//
// It answers as Feathers does: jsonwebtoken's verify (9.0.x, verify.js) with
// the options Feathers passes to it (algorithms [HS256], the configured
// audience and issuer, clockTolerance = the leeway), each failure with
// jsonwebtoken's message and error fields as "data". Its checks, in its order:
//
//  1. "jwt must be provided": an empty token.
//  2. "jwt malformed": not three dot-separated segments.
//  3. "invalid token": a segment with a character outside base64url (padding
//     included) or an empty header or payload; a header that is not JSON, or
//     is a falsy JSON value (0, false, "", null).
//  4. "jwt signature is required": an empty signature, whatever the alg.
//  5. "invalid algorithm": a header alg other than HS256 ("none" included).
//  6. "invalid signature": the signature segment is not exactly the
//     base64url HMAC-SHA256 of the first two.
//  7. "invalid nbf value" (an nbf that is not a number), "jwt not active"
//     (NotBeforeError with date) when nbf > now + leeway.
//  8. "invalid exp value", "jwt expired" (TokenExpiredError with expiredAt)
//     when now >= exp + leeway, now being whole seconds.
//  9. "jwt audience invalid. expected: <audience>": aud is not the audience,
//     nor an array holding it (a missing aud included).
//  10. "jwt issuer invalid. expected: <issuer>".
//
// (subject, jwtid, nonce and maxAge are never asked for, by Pinion or by
// Feathers' defaults.) Pinion's own checks come after all of those, so that a
// token jsonwebtoken refuses always gets jsonwebtoken's answer, and only one
// it accepts can get one of these:
//
//  11. "invalid token type": the header typ is not the expected one.
//  12. "jwt must have an expiration time (exp)" (a payload that is not a JSON
//     object has none), "invalid exp value" for an infinite exp.
//  13. "invalid iat value" (not a finite number), "jwt issued in the future".
//
// One divergence remains: a header with typ "JWT" makes jsonwebtoken parse the
// payload strictly, and a payload that is not JSON then fails with V8's
// JSON.parse message (which differs between Node versions); Pinion says
// "invalid token".
func (t *Tokens) Verify(token, typ string) (map[string]any, error) {
	typ = t.header(typ)
	clock := t.now().Unix() // jsonwebtoken: Math.floor(Date.now() / 1000)
	t.mu.RLock()
	v, ok := t.verified[token]
	t.mu.RUnlock()
	if ok {
		// Only exp can change its answer since the token was verified; it
		// comes before typ, as in parse.
		if float64(clock) >= v.exp+t.leeway.Seconds() {
			return nil, expired(v.exp)
		}
		if v.typ != typ {
			return nil, tokenError("invalid token type", nil)
		}
		return v.claims, nil
	}
	claims, exp, err := t.parse(token, typ, clock)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if len(t.verified) >= maxVerified {
		clear(t.verified)
	}
	t.verified[token] = verifiedToken{typ: typ, claims: claims, exp: exp}
	t.mu.Unlock()
	return claims, nil
}

// parse runs the checks listed on Verify, in that order, at the clock (in
// seconds). It returns the claims and exp.
func (t *Tokens) parse(token, typ string, clock int64) (map[string]any, float64, *pinion.Error) {
	fail := func(msg string) (map[string]any, float64, *pinion.Error) {
		return nil, 0, tokenError(msg, nil)
	}
	if token == "" {
		return fail("jwt must be provided")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("jwt malformed")
	}
	header, payload, ok := decode(parts)
	if !ok {
		return fail("invalid token")
	}
	if parts[2] == "" {
		return fail("jwt signature is required")
	}
	h, _ := header.(map[string]any)
	if alg, _ := h["alg"].(string); alg != "HS256" {
		return fail("invalid algorithm")
	}
	mac := hmac.New(sha256.New, t.secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal([]byte(base64.RawURLEncoding.EncodeToString(mac.Sum(nil))), []byte(parts[2])) {
		return fail("invalid signature")
	}
	if payload == nil {
		// A typ "JWT" header with a null payload: jsonwebtoken's
		// payload.nbf throws, and Feathers wraps the TypeError.
		return nil, 0, pinion.NotAuthenticated("Cannot read properties of null (reading 'nbf')").WithData(map[string]any{})
	}
	// jsonwebtoken reads the claims as properties of whatever the payload
	// decoded to: a string or an array has none.
	claims, _ := payload.(map[string]any)
	now, tol := float64(clock), t.leeway.Seconds()
	if v, ok := claims["nbf"]; ok {
		nbf, ok := number(v)
		if !ok {
			return fail("invalid nbf value")
		}
		if nbf > now+tol {
			return nil, 0, pinion.NotAuthenticated("jwt not active").WithData(map[string]any{
				"name": "NotBeforeError",
				"date": jsDate(nbf),
			})
		}
	}
	if v, ok := claims["exp"]; ok {
		exp, ok := number(v)
		if !ok {
			return fail("invalid exp value")
		}
		if now >= exp+tol {
			return nil, 0, expired(exp)
		}
	}
	if t.audience != "" && !hasAudience(claims["aud"], t.audience) {
		return fail("jwt audience invalid. expected: " + t.audience)
	}
	if iss, _ := claims["iss"].(string); t.issuer != "" && iss != t.issuer {
		return fail("jwt issuer invalid. expected: " + t.issuer)
	}

	// Pinion's own checks.
	if h, _ := h["typ"].(string); h != typ {
		return fail("invalid token type")
	}
	v, ok := claims["exp"]
	if !ok {
		return fail("jwt must have an expiration time (exp)")
	}
	exp, _ := number(v)
	if math.IsInf(exp, 0) {
		return fail("invalid exp value")
	}
	// A token dated in the future would outlive every revocation of its
	// subject (those void tokens issued before a moment). jsonwebtoken does
	// not check iat; Pinion does, allowing the leeway and the few seconds
	// Sign itself may date a token ahead (see notBefore).
	if v, ok := claims["iat"]; ok {
		iat, ok := number(v)
		if !ok || math.IsInf(iat, 0) {
			return fail("invalid iat value")
		}
		if iat > now+tol+maxIssuedAhead.Seconds() {
			return fail("jwt issued in the future")
		}
	}
	return claims, exp, nil
}

// decode reads the header and payload as jws.decode and jsonwebtoken's
// decode do. ok is false where they return null ("invalid token"). The
// payload is a map or a slice when it is a JSON object or array, else the
// payload text; nil only for a null JSON payload under a typ "JWT" header.
func decode(parts []string) (header, payload any, ok bool) {
	// jws's JWS_REGEX: base64url header and payload, signature possibly empty.
	if !isBase64URL(parts[0]) || !isBase64URL(parts[1]) || (parts[2] != "" && !isBase64URL(parts[2])) {
		return nil, nil, false
	}
	// The header is decoded as latin1 (Buffer#toString('binary')).
	b := nodeBase64(parts[0])
	runes := make([]rune, len(b))
	for i, c := range b {
		runes[i] = rune(c)
	}
	header, ok = parseJSON(string(runes))
	if !ok || !truthy(header) {
		return nil, nil, false
	}
	text := strings.ToValidUTF8(string(nodeBase64(parts[1])), "\uFFFD")
	if h, _ := header.(map[string]any); h["typ"] == "JWT" {
		// jws parses the payload itself, throwing on bad JSON; a JSON string
		// is then parsed again by jsonwebtoken.
		p, ok := parseJSON(text)
		if !ok {
			return nil, nil, false
		}
		s, isString := p.(string)
		if !isString {
			return header, p, true
		}
		text = s
	}
	if p, ok := parseJSON(text); ok {
		switch p.(type) {
		case map[string]any, []any:
			return header, p, true
		}
	}
	return header, text, true
}

func isBase64URL(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// nodeBase64 decodes base64url text as Node's Buffer.from(s, 'base64') does:
// a lone last character (6 bits, less than a byte) is dropped, and so are the
// bits left over after the last whole byte.
func nodeBase64(s string) []byte {
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return b
}

// parseJSON parses s as JSON.parse does. Numbers are float64, except those
// beyond its range (JavaScript's Infinity), which stay json.Number.
func parseJSON(s string) (any, bool) {
	if !json.Valid([]byte(s)) {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	return floats(v), true
}

func floats(v any) any {
	switch v := v.(type) {
	case json.Number:
		if f, ok := number(v); ok && !math.IsInf(f, 0) {
			return f
		}
	case map[string]any:
		for k, e := range v {
			v[k] = floats(e)
		}
	case []any:
		for i, e := range v {
			v[i] = floats(e)
		}
	}
	return v
}

// number is v as a JavaScript number, if it is one.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64) // ±Inf beyond the range, as JavaScript
		return f, true
	}
	return 0, false
}

// truthy is JavaScript's truthiness of a JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true // objects, arrays, infinite numbers
}

// hasAudience is jsonwebtoken's audience match: aud, or one of its elements
// when it is an array, is exactly the audience.
func hasAudience(aud any, audience string) bool {
	if list, ok := aud.([]any); ok {
		for _, a := range list {
			if a == any(audience) {
				return true
			}
		}
		return false
	}
	return aud == any(audience)
}

// jsDate is new Date(sec * 1000) as JSON: an ISO string with milliseconds (a
// signed six-digit year outside 0000-9999), or null beyond JavaScript's range
// of dates.
func jsDate(sec float64) any {
	ms := sec * 1000
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		return nil
	}
	tm := time.UnixMilli(int64(math.Trunc(ms))).UTC()
	var year string
	switch y := tm.Year(); {
	case y < 0:
		year = fmt.Sprintf("-%06d", -y)
	case y > 9999:
		year = fmt.Sprintf("+%06d", y)
	default:
		year = fmt.Sprintf("%04d", y)
	}
	return year + tm.Format("-01-02T15:04:05.000Z")
}

func tokenError(msg string, data map[string]any) *pinion.Error {
	if data == nil {
		data = map[string]any{"name": "JsonWebTokenError"}
	}
	return pinion.NotAuthenticated("%s", msg).WithData(data)
}

func expired(exp float64) *pinion.Error {
	return pinion.NotAuthenticated("jwt expired").WithData(map[string]any{
		"name":      "TokenExpiredError",
		"expiredAt": jsDate(exp),
	})
}
