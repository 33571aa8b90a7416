package authentication_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
)

// The Feathers guide's "Setup the JWT payload": the logged-in user's email
// in the token, from the user the local strategy found.
func ExampleWithClaims() {
	type User struct {
		ID    int    `json:"_id"`
		Email string `json:"email"`
	}
	emailInToken := authentication.WithClaims(func(ctx context.Context, u User, params *pinion.Params) (map[string]any, error) {
		return map[string]any{"email": u.Email}, nil
	})

	app := pinion.New()
	cfg := authentication.DefaultConfig()
	cfg.Secret = "an-example-secret-of-at-least-32-bytes"
	if _, err := authentication.Install(app, cfg, emailInToken); err != nil {
		panic(err)
	}
	app.Use("users", memory.New(memory.Options{Options: adapter.Options{ID: "_id"}}),
		pinion.WithProtected("password"),
		pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{"create": {local.HashPassword("password")}}}))
	ctx := context.Background()
	if err := app.Setup(ctx); err != nil {
		panic(err)
	}

	app.Service("users").Create(ctx, map[string]any{"email": "ada@example.com", "password": "correct horse"}, nil)
	res, err := app.Service("authentication").Create(ctx,
		map[string]any{"strategy": "local", "email": "ada@example.com", "password": "correct horse"}, &pinion.Params{})
	if err != nil {
		panic(err)
	}
	// What a client sees when it decodes its token.
	token := res.(*authentication.Result).AccessToken
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	var claims map[string]any
	json.Unmarshal(b, &claims)
	fmt.Println(claims["email"], claims["sub"])
	// Output: ada@example.com 0
}
