package authentication

import (
	"context"

	"github.com/pinionhq/pinion"
)

// Paths of the services Install registers.
const (
	Path        = "authentication"
	TicketsPath = "authentication/tickets"
)

// loginSchema and resultSchema document POST /authentication.
const (
	loginSchema = `{"oneOf": [
		{"type": "object", "required": ["strategy", "email", "password"], "properties": {
			"strategy": {"const": "local"}, "email": {"type": "string"}, "password": {"type": "string", "maxLength": 72}}},
		{"type": "object", "required": ["strategy", "accessToken"], "properties": {
			"strategy": {"const": "jwt"}, "accessToken": {"type": "string"}}},
		{"type": "object", "required": ["strategy", "refreshToken"], "properties": {
			"strategy": {"const": "refresh"}, "refreshToken": {"type": "string"}}}
	]}`
	resultSchema = `{"type": "object", "required": ["accessToken", "authentication"], "properties": {
		"accessToken": {"type": "string"},
		"refreshToken": {"type": "string"},
		"authentication": {"type": "object", "properties": {"strategy": {"type": "string"}, "payload": {"type": "object"}}},
		"user": {"type": "object"}
	}}`
)

// Install sets authentication up on app in one call, as a generated Feathers
// app has it:
//
//   - the authentication service at "authentication": create logs in
//     (POST /authentication), remove logs out;
//   - the strategies: jwt always, local when authStrategies lists it, the
//     webhook when webhook.url is set, refresh when refresh is enabled;
//   - single-use tickets at "authentication/tickets", for authenticated
//     callers;
//   - the channels: a connection moves from pinion.Anonymous to
//     pinion.Authenticated when it logs in, and back when it logs out or its
//     token ends; events go to authenticated connections, unless app.Publish
//     says otherwise.
//
// cfg needs a secret (see Config.ResolveSecret). Protect services with the
// Authenticate hook.
//
// Revocations, login counters, refresh tokens and spent tickets must outlive
// a restart when the users do: give the store of the app's data with
// WithStore (authentication/sqlitestore, authentication/mongostore). Without
// one, they are kept in memory only when the users service is in memory
// (adapter/memory) or WithMemoryStore asks for it; otherwise the app's Setup
// fails, saying so.
func Install(app *pinion.App, cfg Config, opts ...Option) (*Service, error) {
	s, err := New(app, cfg, opts...)
	if err != nil {
		return nil, err
	}
	for _, name := range s.cfg.AuthStrategies {
		if name == "local" {
			s.Register("local", NewLocal(s))
		}
	}
	if s.cfg.Webhook.URL != "" {
		s.Register("webhook", s.NewWebhook())
	}
	// Its answers are credentials: the store of idempotency keys must not
	// keep them, and a login may simply run again.
	app.Use(Path, s, pinion.WithMethods(pinion.MethodCreate, pinion.MethodRemove), pinion.WithHooks(s.Hooks()), pinion.WithoutIdempotency(),
		pinion.WithDocs(pinion.Docs{
			Summary:     "Log in (create) and out (remove)",
			Description: "POST logs in with a strategy and answers an access token; DELETE, with the token, logs out and revokes every token of the login.",
			Secured:     []pinion.Method{pinion.MethodRemove},
			Operations:  map[pinion.Method]string{pinion.MethodCreate: "Log in", pinion.MethodRemove: "Log out (revokes the login's tokens)"},
			// A login refused, and one throttled after too many failures.
			Failures: map[pinion.Method][]int{pinion.MethodCreate: {401, 429}},
			Data:     loginSchema, Result: resultSchema,
		}))
	app.Use(TicketsPath, s.TicketService(), pinion.WithoutIdempotency(), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {Authenticate("jwt")}},
	}), pinion.WithDocs(pinion.Docs{
		Summary:    "Single-use tickets for /stream and socket handshakes",
		Secured:    []pinion.Method{pinion.All},
		Operations: map[pinion.Method]string{pinion.MethodCreate: "Get a ticket"},
		Data:       `{"type": "object"}`,
		Result:     `{"type": "object", "required": ["ticket", "expiresAt"], "properties": {"ticket": {"type": "string"}, "expiresAt": {"type": "string", "format": "date-time"}}}`,
	}))
	s.OnLogin(func(ctx context.Context, res *Result, params *pinion.Params) {
		if conn := params.Connection; conn != nil {
			app.Channel(pinion.Anonymous).Leave(conn)
			app.Channel(pinion.Authenticated).Join(conn)
		}
	})
	// After a logout, an expiry or a revocation the connection has left every
	// channel; it stays connected as an anonymous one.
	s.OnLogout(func(ctx context.Context, res *Result, params *pinion.Params) {
		if conn := params.Connection; conn != nil {
			app.Channel(pinion.Anonymous).Join(conn)
		}
	})
	app.DefaultPublisher(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel(pinion.Authenticated)}
	})
	return s, nil
}
