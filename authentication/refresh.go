package authentication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pinionhq/pinion"
)

// RefreshRecord is a refresh token as the server keeps it. Tokens rotated from
// one login form a family; the access token issued with each one is remembered,
// so that a detected reuse can revoke it too.
type RefreshRecord struct {
	JTI       string
	Family    string
	Subject   string
	Issuer    string
	Expires   time.Time
	AccessJTI string
	AccessExp time.Time
}

// Errors of RefreshTokens.UseRefresh.
var (
	ErrRefreshUnknown = errors.New("unknown refresh token")
	ErrRefreshReused  = errors.New("refresh token used twice")
)

// RefreshTokens stores refresh tokens by jti.
type RefreshTokens interface {
	SaveRefresh(ctx context.Context, r RefreshRecord) error
	// UseRefresh marks the token used and returns it; a token used before
	// answers ErrRefreshReused (with its record), an unknown one ErrRefreshUnknown.
	UseRefresh(ctx context.Context, jti string) (RefreshRecord, error)
	// RevokeFamily voids every token of a family and returns them.
	RevokeFamily(ctx context.Context, family string) ([]RefreshRecord, error)
}

// RefreshStrategy is the "refresh" strategy: {strategy: "refresh",
// refreshToken} answers a new access token and a new refresh token; the old one
// is spent. Presenting a spent one again means it was stolen (or the client is
// broken): the whole family and its access tokens are revoked.
type RefreshStrategy struct{ s *Service }

// Authenticate implements Strategy.
func (r *RefreshStrategy) Authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error) {
	res, err := r.authenticate(ctx, req, params)
	o := "success"
	switch {
	case err == nil:
	case errors.Is(err, errReused):
		o = "reused"
	case errors.Is(err, pinion.NotAuthenticated("")):
		o = "invalid"
	default:
		o = "error"
	}
	r.s.counters.add(&r.s.counters.refreshes, o)
	return res, err
}

// errReused marks the error of a refresh token presented twice, for Stats.
var errReused = errors.New("refresh token reused")

func (r *RefreshStrategy) authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error) {
	s := r.s
	token := req.String("refreshToken")
	if token == "" {
		return nil, pinion.NotAuthenticated("No refresh token")
	}
	claims, err := s.tokens.Verify(token, TypeRefresh)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevoked(ctx, claims); err != nil {
		return nil, err
	}
	jti, _ := claims["jti"].(string)
	rec, err := s.refresh.UseRefresh(ctx, jti)
	switch {
	case errors.Is(err, ErrRefreshReused):
		if err := s.endLogin(ctx, map[string]any{claimFamily: rec.Family, "iss": rec.Issuer}); err != nil {
			return nil, err
		}
		return nil, pinion.NotAuthenticated("Refresh token reuse detected: every token of this session was revoked").
			WithData(map[string]any{"name": "TokenReuseError"}).Wrap(errReused)
	case errors.Is(err, ErrRefreshUnknown):
		return nil, pinion.NotAuthenticated("Invalid refresh token")
	case err != nil:
		return nil, fmt.Errorf("authentication: %w", err)
	}
	entity, err := s.Entity(ctx, rec.Subject)
	if err != nil {
		return nil, err
	}
	return &Result{Authentication: pinion.Authentication{Strategy: "refresh"}, Entity: entity, family: rec.Family}, nil
}

// issueRefresh adds a refresh token to a login result, in the result's family
// (a new one for a fresh login).
func (s *Service) issueRefresh(ctx context.Context, res *Result) error {
	sub, _ := res.Authentication.Payload["sub"].(string)
	family := res.family
	notBefore, err := s.revocations.ValidAfter(ctx, sub)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	issued, err := s.tokens.Sign(TypeRefresh, sub, time.Duration(s.cfg.Refresh.ExpiresIn), nil, notBefore)
	if err != nil {
		return err
	}
	jti, _ := issued.Claims["jti"].(string)
	iss, _ := issued.Claims["iss"].(string)
	exp, _ := issued.Claims["exp"].(float64)
	accessJTI, _ := res.Authentication.Payload["jti"].(string)
	accessExp, _ := res.Authentication.Payload["exp"].(float64)
	err = s.refresh.SaveRefresh(ctx, RefreshRecord{
		JTI: jti, Family: family, Subject: sub, Issuer: iss, Expires: time.Unix(int64(exp), 0),
		AccessJTI: accessJTI, AccessExp: time.Unix(int64(accessExp), 0),
	})
	if err != nil {
		return fmt.Errorf("authentication: storing a refresh token: %w", err)
	}
	if res.Extra == nil {
		res.Extra = map[string]any{}
	}
	res.Extra["refreshToken"] = issued.Token
	return nil
}

// revokeFamily voids a family's refresh tokens and the access tokens issued
// with them.
func (s *Service) revokeFamily(ctx context.Context, family string) error {
	recs, err := s.refresh.RevokeFamily(ctx, family)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	for _, r := range recs {
		if r.AccessJTI == "" {
			continue
		}
		if err := s.revocations.Revoke(ctx, r.Issuer, r.AccessJTI, r.AccessExp); err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
		s.counters.add(&s.counters.revocations, "token")
		s.revoked(ctx, Revocation{Issuer: r.Issuer, JTI: r.AccessJTI})
	}
	return nil
}
