package authentication

import (
	"context"
	"maps"

	"github.com/pinionhq/pinion"
)

// Authenticate returns an around hook that lets a call through only with valid
// credentials for one of strategies (usually "jwt"):
//
//	pinion.Hooks{Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}}}
//
// External calls without credentials fail with 401 "Not authenticated". Internal
// calls (no provider) pass, so services can call each other freely; so do calls
// whose params are already Authenticated. On success params.User is the user and
// params.Authentication holds the verified payload.
func Authenticate(strategies ...string) pinion.AroundHook {
	if len(strategies) == 0 {
		panic("authentication: the Authenticate hook needs at least one allowed strategy")
	}
	return func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error {
		p := hc.Params
		if p.Authenticated {
			return next(ctx)
		}
		if p.Authentication == nil {
			if p.Provider != "" {
				return pinion.NotAuthenticated("Not authenticated")
			}
			return next(ctx)
		}
		s := From(hc.App)
		if s == nil {
			return pinion.NotAuthenticated("Could not find a valid authentication service")
		}
		res, err := s.authenticateParams(ctx, p, strategies)
		if err != nil {
			return err
		}
		auth := res.Authentication
		p.Authentication = &auth
		// The entity is shared with the cache; hooks get their own copy to change.
		p.User = maps.Clone(res.Entity)
		p.Authenticated = true
		return next(ctx)
	}
}
