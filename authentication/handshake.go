package authentication

import (
	"context"
	"net/http"

	"github.com/pinionhq/pinion"
)

// Handshake logs a new real-time connection in with the credentials it brought:
// the socket.io auth payload ({token} or {accessToken}; browsers cannot set
// headers on a WebSocket), a single-use {ticket}, or what Parse finds in the
// handshake request (the Authorization header as Feathers reads it, or the
// httpOnly cookie when enabled). No credentials leave the
// connection anonymous; bad ones refuse it with the Feathers error.
//
// It is the Handshake option of the socket.io transport.
func (s *Service) Handshake(ctx context.Context, conn *pinion.Connection, r *http.Request, auth map[string]any) error {
	if ticket, ok := auth["ticket"].(string); ok {
		return s.LoginWithTicket(ctx, conn, ticket)
	}
	a := s.handshakeCredentials(r, auth)
	if a == nil {
		return nil
	}
	if FromCookie(a) && crossSite(r, s.cookieOrigins) {
		// A page on another site could otherwise open a socket as the user.
		return pinion.Forbidden("Cross-site socket refused: connections authenticated by cookie must come from an allowed origin")
	}
	params := &pinion.Params{
		Provider:   conn.Provider,
		Connection: conn,
		Headers:    r.Header,
		RemoteAddr: conn.RemoteAddr,
	}
	data := map[string]any{"strategy": a.Strategy, "accessToken": a.AccessToken}
	svc := s.app.Service(s.path)
	if svc == nil {
		_, err := s.Create(ctx, data, params)
		return err
	}
	_, err := svc.Create(ctx, data, params)
	return err
}

func (s *Service) handshakeCredentials(r *http.Request, auth map[string]any) *pinion.Authentication {
	for _, key := range []string{"token", "accessToken"} {
		if t, ok := auth[key].(string); ok && t != "" {
			return &pinion.Authentication{Strategy: "jwt", AccessToken: t}
		}
	}
	return s.Parse(r)
}
