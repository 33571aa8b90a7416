package e2e

import (
	"context"
	"net"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/services/users"
)

// The Feathers guide's payload (the user's email in the token), written
// with authentication.WithClaims, as the official client sees it: the token
// app.authentication.getAccessToken() keeps after a REST and a socket login
// carries the email (js/claims.test.mjs).
func TestClaimsThroughFeathersClients(t *testing.T) {
	nodeModules(t)
	ctx, cancel := context.WithCancel(context.Background())
	app := pinion.New()
	cfg := authentication.DefaultConfig()
	cfg.Secret = testSecret
	cfg.Local.HashSize = 4
	type user struct {
		Email string `json:"email"`
	}
	claims := authentication.WithClaims(func(ctx context.Context, u user, params *pinion.Params) (map[string]any, error) {
		return map[string]any{"email": u.Email}, nil
	})
	if _, err := authentication.Install(app, cfg, claims); err != nil {
		t.Fatal(err)
	}
	users.Register(app, memory.New(memory.Options{Options: adapter.Options{ID: "_id"}, Unique: []string{"email"}}))
	srv, err := serve.New(app, serve.Options{Setup: ctx})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	runNode(t, "js/claims.test.mjs", map[string]string{"PINION_URL": "http://" + ln.Addr().String()})
}
