package rest

import (
	"net/http"

	"github.com/pinionhq/pinion"
)

// BearerToken reads the Authorization header into params.Authentication as
// Feathers does (see pinion.BearerToken), without verifying it: the authenticate
// hook does that.
func BearerToken(r *http.Request) *pinion.Authentication {
	token, ok := pinion.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil
	}
	return &pinion.Authentication{Strategy: "jwt", AccessToken: token}
}
