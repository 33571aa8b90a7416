package authentication

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/pinionhq/pinion"
)

// Strategy is a way to log in: "local" (username and password), "jwt" (a token
// issued before), or one of your own. Register strategies on the Service; the
// "authStrategies" configuration decides which POST /authentication accepts.
type Strategy interface {
	// Authenticate checks the credentials in req and returns who they identify.
	// Failures are *pinion.Error values (usually NotAuthenticated).
	Authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error)
}

// Parser is implemented by strategies that find credentials in an HTTP request
// or a socket handshake (the jwt strategy reads the Authorization header).
type Parser interface {
	Parse(r *http.Request) *pinion.Authentication
}

// Request is the data of an authentication call, e.g.
// {"strategy": "local", "email": "…", "password": "…"}.
type Request map[string]any

// Strategy returns the "strategy" field.
func (r Request) Strategy() string { return r.String("strategy") }

// String returns the string field key, or "".
func (r Request) String(key string) string {
	s, _ := r[key].(string)
	return s
}

// Result is a successful authentication, sent to clients as
//
//	{"accessToken": …, "authentication": {"strategy", "accessToken"?, "payload"}, "user": {…}}
type Result struct {
	AccessToken    string
	Authentication pinion.Authentication
	// Entity is the authenticated record (the user), in its external form: what
	// the entity service sends to clients (without the password).
	Entity map[string]any
	// Extra holds further top-level fields of the answer (refreshToken,
	// clientData).
	Extra map[string]any

	entityKey string
	family    string         // refresh-token family this login continues
	claims    map[string]any // claims the strategy adds to the issued token
}

// MarshalJSON writes the Feathers authentication result.
func (r *Result) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(r.Extra)+3)
	for k, v := range r.Extra {
		out[k] = v
	}
	if r.AccessToken != "" {
		out["accessToken"] = r.AccessToken
	}
	out["authentication"] = r.Authentication
	key := r.entityKey
	if key == "" {
		key = "user"
	}
	if r.Entity != nil {
		out[key] = r.Entity
	}
	return json.Marshal(out)
}
