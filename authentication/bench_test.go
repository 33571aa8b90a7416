package authentication_test

import (
	"context"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// BenchmarkAuthenticateHook is the authenticate hook on a warm path: the token
// was verified before and the user is cached, as on every call of a session.
func BenchmarkAuthenticateHook(b *testing.B) {
	f := newApp(b)
	f.signup(b, "a@b.c", "secret-pw")
	token := f.login(b, "a@b.c", "secret-pw")
	hook := authentication.Authenticate("jwt")
	next := func(context.Context) error { return nil }
	auth := &pinion.Authentication{Strategy: "jwt", AccessToken: token}
	hc := &pinion.HookContext{App: f.app, Params: &pinion.Params{}}
	b.ReportAllocs()
	for b.Loop() {
		*hc.Params = pinion.Params{Provider: "rest", Authentication: auth}
		if err := hook(ctx, hc, next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is a local login: one bcrypt comparison at cost 10 dominates.
func BenchmarkLogin(b *testing.B) {
	f := newApp(b, func(c *authentication.Config) {
		c.Local.HashSize = 10
		c.Throttle.PerAccount = 0
		c.Throttle.PerAddress = 0
	})
	f.signup(b, "a@b.c", "secret-pw")
	svc := f.app.Service("authentication")
	data := map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Create(ctx, data, &pinion.Params{}); err != nil {
			b.Fatal(err)
		}
	}
}
