package authentication

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
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
	exp    time.Time
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
func (t *Tokens) Verify(token, typ string) (map[string]any, error) {
	typ = t.header(typ)
	now := t.now()
	t.mu.RLock()
	v, ok := t.verified[token]
	t.mu.RUnlock()
	if ok {
		if v.typ != typ {
			return nil, tokenError("invalid token type", nil)
		}
		if now.After(v.exp.Add(t.leeway)) {
			return nil, expired(v.exp)
		}
		return v.claims, nil
	}
	claims, exp, err := t.parse(token, typ, now)
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

func (t *Tokens) parse(token, typ string, now time.Time) (map[string]any, time.Time, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(t.leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if t.audience != "" {
		opts = append(opts, jwt.WithAudience(t.audience))
	}
	if t.issuer != "" {
		opts = append(opts, jwt.WithIssuer(t.issuer))
	}
	errType := errors.New("invalid token type")
	tok, err := jwt.NewParser(opts...).Parse(token, func(tok *jwt.Token) (any, error) {
		if h, _ := tok.Header["typ"].(string); h != typ {
			return nil, errType
		}
		return t.secret, nil
	})
	if err != nil {
		if errors.Is(err, errType) {
			return nil, time.Time{}, tokenError("invalid token type", nil)
		}
		return nil, time.Time{}, mapError(err, tok, t)
	}
	claims := tok.Claims.(jwt.MapClaims)
	exp, _ := claims.GetExpirationTime()
	// A token dated in the future would outlive every revocation of its
	// subject (those void tokens issued before a moment). jsonwebtoken does
	// not check iat; Pinion does, allowing the leeway and the few seconds
	// Sign itself may date a token ahead (see notBefore).
	if iat, err := claims.GetIssuedAt(); err != nil || (iat != nil && iat.After(now.Add(t.leeway+maxIssuedAhead))) {
		return nil, time.Time{}, tokenError("jwt issued in the future", nil)
	}
	return claims, exp.Time, nil
}

// mapError turns a golang-jwt error into the NotAuthenticated error Feathers sends
// for the same problem (wire spec §5.4).
func mapError(err error, tok *jwt.Token, t *Tokens) *pinion.Error {
	switch {
	case tok != nil && tok.Method != nil && tok.Method.Alg() == "none":
		return tokenError("jwt signature is required", nil)
	case tok != nil && tok.Method != nil && tok.Method.Alg() != "HS256":
		return tokenError("invalid algorithm", nil)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return tokenError("jwt malformed", nil)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return tokenError("invalid signature", nil)
	case errors.Is(err, jwt.ErrTokenExpired):
		if exp, e := tok.Claims.GetExpirationTime(); e == nil && exp != nil {
			return expired(exp.Time)
		}
		return tokenError("jwt expired", nil)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		data := map[string]any{"name": "NotBeforeError"}
		if nbf, e := tok.Claims.GetNotBefore(); e == nil && nbf != nil {
			data["date"] = nbf.UTC().Format(time.RFC3339Nano)
		}
		return pinion.NotAuthenticated("jwt not active").WithData(data)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return tokenError("jwt audience invalid. expected: "+t.audience, nil)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return tokenError("jwt issuer invalid. expected: "+t.issuer, nil)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// golang-jwt reports every missing claim alike; jsonwebtoken reports a
		// missing aud or iss as an invalid one.
		switch msg := err.Error(); {
		case strings.Contains(msg, "aud claim"):
			return tokenError("jwt audience invalid. expected: "+t.audience, nil)
		case strings.Contains(msg, "iss claim"):
			return tokenError("jwt issuer invalid. expected: "+t.issuer, nil)
		}
		return tokenError("jwt must have an expiration time (exp)", nil)
	}
	return tokenError("invalid token", nil)
}

func tokenError(msg string, data map[string]any) *pinion.Error {
	if data == nil {
		data = map[string]any{"name": "JsonWebTokenError"}
	}
	return pinion.NotAuthenticated("%s", msg).WithData(data)
}

func expired(exp time.Time) *pinion.Error {
	return pinion.NotAuthenticated("jwt expired").WithData(map[string]any{
		"name":      "TokenExpiredError",
		"expiredAt": exp.UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}
