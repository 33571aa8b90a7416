package authentication

import (
	"context"
	"net/http"

	"github.com/pinionhq/pinion"
)

// JWT is the "jwt" strategy: it accepts an access token issued before (by Pinion
// or by a Feathers server sharing the secret) and loads its user.
type JWT struct{ s *Service }

// Authenticate implements Strategy. The answer carries the same token back, as
// Feathers does, so reAuthenticate keeps the client's token.
func (j *JWT) Authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error) {
	token, ok := req["accessToken"].(string)
	if !ok && truthy(req["accessToken"]) {
		// Feathers passes any truthy accessToken on to jsonwebtoken.
		return nil, tokenError("jwt must be a string", nil)
	}
	return j.authenticate(ctx, token)
}

func (j *JWT) authenticate(ctx context.Context, token string) (*Result, error) {
	if token == "" {
		return nil, pinion.NotAuthenticated("No access token")
	}
	claims, err := j.s.VerifyAccess(ctx, token)
	if err != nil {
		return nil, err
	}
	res := &Result{
		AccessToken:    token,
		Authentication: pinion.Authentication{Strategy: "jwt", AccessToken: token, Payload: claims},
	}
	if j.s.cfg.Entity == "" {
		return res, nil
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return nil, pinion.NotAuthenticated("The token has no subject")
	}
	if claims[claimWebhook] == true { // an identity vouched for by the webhook, without a local record
		res.Entity = map[string]any{j.s.entityID(): sub}
		return res, nil
	}
	if res.Entity, err = j.s.Entity(ctx, sub); err != nil {
		return nil, err
	}
	return res, nil
}

// Parse implements Parser: the Authorization header, as "Bearer <token>",
// "JWT <token>" or a bare token.
func (j *JWT) Parse(r *http.Request) *pinion.Authentication {
	token, ok := pinion.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil
	}
	return &pinion.Authentication{Strategy: "jwt", AccessToken: token}
}
