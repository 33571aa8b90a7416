package authentication

import (
	"context"
	"fmt"
	"time"
)

// A login is everything that follows from one successful authentication: the
// access token it issued, the tokens renewed or refreshed from it, the tickets
// minted with any of them and the tokens those tickets opened connections
// with. Every such token names the login in its claimFamily claim, so that
// logging out with one of them ends them all, on every transport and every
// instance, the way a password change ends every token of the user.
const claimFamily = "fam"

// loginOf names the login of a token's claims. A token issued elsewhere
// (a Feathers server sharing the secret) names none: it is a login of its own.
func loginOf(claims map[string]any) string {
	if f, _ := claims[claimFamily].(string); f != "" {
		return f
	}
	jti, _ := claims["jti"].(string)
	return jti
}

// A revoked login is kept with the revoked tokens, under its family: token
// ids and login ids are both random UUIDs, so one key space holds both, and
// a check costs no allocation.

// endLogin revokes the login of claims, for as long as any token of it could
// still be valid, ends the live sessions that belong to it, and voids its
// refresh tokens.
func (s *Service) endLogin(ctx context.Context, claims map[string]any) error {
	family := loginOf(claims)
	if family == "" {
		return nil
	}
	iss, _ := claims["iss"].(string)
	if err := s.revocations.Revoke(ctx, iss, family, time.Now().Add(s.longestLife())); err != nil {
		return fmt.Errorf("authentication: revoking a login: %w", err)
	}
	s.counters.add(&s.counters.revocations, "login")
	s.revoked(ctx, Revocation{Issuer: iss, JTI: family})
	if s.cfg.Refresh.Enabled {
		return s.revokeFamily(ctx, family)
	}
	return nil
}

// longestLife bounds the life of any token issued from now on.
func (s *Service) longestLife() time.Duration {
	life := max(time.Duration(s.cfg.JWTOptions.ExpiresIn), time.Duration(s.cfg.Tickets.ExpiresIn))
	if s.cfg.Refresh.Enabled {
		life = max(life, time.Duration(s.cfg.Refresh.ExpiresIn))
	}
	return life + time.Duration(s.cfg.Leeway)
}
