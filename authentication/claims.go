package authentication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pinionhq/pinion"
)

// DefaultMaxClaimsSize is the default of Config.MaxClaimsSize.
const DefaultMaxClaimsSize = 1024

// claimsFunc is what WithClaims keeps: the claims of an access token for the
// user (its external form) of a login.
type claimsFunc func(ctx context.Context, user map[string]any, params *pinion.Params) (map[string]any, error)

// reserved are the claims Pinion sets itself: the registered ones, the
// login's family and the webhook mark. A claims function may not return them:
// a token's identity, lifetime and revocation keys are never the
// application's to choose.
var reserved = []string{"iss", "aud", "sub", "jti", "exp", "iat", "nbf", "typ", claimFamily, claimWebhook}

// WithClaims adds claims computed from the authenticated user to every access
// token the service signs for a user, as Feathers' getPayload does: the
// user's email, role or tenant, read by other services from the token without
// a lookup. fn runs after the strategy succeeded (local, webhook, refresh, a
// ticket) and before the token is signed, and again for every renewal
// (Config.Renewal) and refresh, with the user as it is then: a changed email
// or role shows up in the next token. A jwt login answers the token it was
// given, as Feathers does, so it keeps the claims of that token.
//
// U is the user type: map[string]any, or a struct the user's external form
// (what the users service answers, protected fields gone) is decoded into.
// params are the login's (Provider, Connection, Headers); for a renewal, the
// connection's.
//
// fn must not return a claim Pinion sets (iss, aud, sub, jti, exp, iat, nbf,
// typ, fam, webhook): such a login fails with a 500 and a log line naming
// the claim. The claims, with those of params.Payload, are bounded by
// Config.MaxClaimsSize. An error of fn fails the login; a *pinion.Error
// (Forbidden, say) reaches the client as it is.
func WithClaims[U any](fn func(ctx context.Context, user U, params *pinion.Params) (map[string]any, error)) Option {
	return func(s *Service) {
		s.claims = func(ctx context.Context, user map[string]any, params *pinion.Params) (map[string]any, error) {
			if m, ok := any(user).(U); ok {
				return fn(ctx, m, params)
			}
			var u U
			b, err := json.Marshal(user)
			if err == nil {
				err = json.Unmarshal(b, &u)
			}
			if err != nil {
				return nil, fmt.Errorf("authentication: decoding the user for the token's claims into %T: %w", u, err)
			}
			return fn(ctx, u, params)
		}
	}
}

// tokenClaims returns the application's claims of an access token for user:
// base (a hook's params.Payload, or a renewed token's claims) then those of
// the claims function, if any. It refuses reserved claims and claims larger
// than Config.MaxClaimsSize.
func (s *Service) tokenClaims(ctx context.Context, user map[string]any, params *pinion.Params, base map[string]any) (map[string]any, error) {
	claims := make(map[string]any, len(base)+2)
	maps.Copy(claims, base)
	if s.claims != nil && user != nil {
		extra, err := s.claims(ctx, user, params)
		if err != nil {
			var fe *pinion.Error
			if errors.As(err, &fe) {
				return nil, err
			}
			return nil, fmt.Errorf("authentication: the claims function failed: %w", err)
		}
		var refused []string
		for k := range extra {
			if slices.Contains(reserved, k) {
				refused = append(refused, k)
			}
		}
		if len(refused) > 0 {
			slices.Sort(refused)
			word := "claim"
			if len(refused) > 1 {
				word = "claims"
			}
			for i, k := range refused {
				refused[i] = strconv.Quote(k)
			}
			return nil, fmt.Errorf("authentication: the claims function returned the %s %s, which Pinion sets itself (reserved: %s)",
				word, strings.Join(refused, ", "), strings.Join(reserved, ", "))
		}
		maps.Copy(claims, extra)
	}
	if len(claims) == 0 {
		return claims, nil
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("authentication: the token's claims are not JSON: %w", err)
	}
	if limit := s.cfg.MaxClaimsSize; len(b) > limit {
		return nil, fmt.Errorf("authentication: the token's own claims take %d bytes of JSON, more than maxClaimsSize (%d): a token travels with every request, keep it small", len(b), limit)
	}
	return claims, nil
}
