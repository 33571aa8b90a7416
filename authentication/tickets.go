package authentication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pinionhq/pinion"
)

// ErrTicketUsed is what a TicketStore answers for a ticket presented twice.
var ErrTicketUsed = errors.New("ticket already used")

// TicketStore remembers spent tickets until they expire, so that each ticket
// works once, on any instance.
type TicketStore interface {
	UseTicket(ctx context.Context, jti string, exp time.Time) error
}

// TicketService is the service at "authentication/tickets": an authenticated
// create answers a single-use ticket, {ticket, expiresAt}, for a plain
// WebSocket stream (GET /stream?t=…) or a socket.io handshake ({auth: {ticket}}),
// where a long-lived token would end up in URLs and logs. Protect it with
// Authenticate("jwt").
type TicketService struct{ s *Service }

// TicketService returns the ticket service of s.
func (s *Service) TicketService() *TicketService { return &TicketService{s: s} }

// Setup implements pinion.Setuper: a ticket is a credential, so creating one
// emits no service event.
func (t *TicketService) Setup(ctx context.Context, app *pinion.App, path string) error {
	silence(app, path)
	return nil
}

// Create implements pinion.Creator.
func (t *TicketService) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	s := t.s
	sub := pinion.IDString(params.User[s.entityID()])
	if sub == "" {
		return nil, pinion.NotAuthenticated("Not authenticated")
	}
	claims := map[string]any{}
	if params.Authentication != nil {
		// The ticket, and the session it opens, belong to the caller's login:
		// logging out ends them with it.
		if family := loginOf(params.Authentication.Payload); family != "" {
			claims[claimFamily] = family
		}
	}
	if ByWebhook(params.Authentication) {
		claims[claimWebhook] = true // the ticket's user has no local record
	}
	issued, err := s.tokens.Sign(TypeTicket, sub, time.Duration(s.cfg.Tickets.ExpiresIn), claims, time.Time{})
	if err != nil {
		return nil, err
	}
	exp, _ := issued.Claims["exp"].(float64)
	return map[string]any{
		"ticket":    issued.Token,
		"expiresAt": time.Unix(int64(exp), 0).UTC().Format(time.RFC3339),
	}, nil
}

// RedeemTicket checks a ticket (type, signature, expiry, single use, the
// user's revocations) and spends it. The answer is a login of the ticket's user
// with a fresh access token, for the connection the ticket opens.
func (s *Service) RedeemTicket(ctx context.Context, ticket string) (*Result, error) {
	return s.redeem(ctx, ticket, &pinion.Params{})
}

// redeem is RedeemTicket for the login described by params (the claims of
// WithClaims see them).
func (s *Service) redeem(ctx context.Context, ticket string, params *pinion.Params) (*Result, error) {
	if ticket == "" {
		return nil, pinion.NotAuthenticated("No ticket")
	}
	claims, err := s.tokens.Verify(ticket, TypeTicket)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevoked(ctx, claims); err != nil {
		return nil, err
	}
	jti, _ := claims["jti"].(string)
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	sub, _ := claims["sub"].(string)
	if jti == "" || sub == "" {
		return nil, pinion.NotAuthenticated("Invalid ticket")
	}
	// A ticket is short-lived by construction; one that claims a longer life
	// was not made by this configuration.
	if life := time.Duration(exp-iat) * time.Second; iat <= 0 || life > time.Duration(s.cfg.Tickets.ExpiresIn) {
		return nil, pinion.NotAuthenticated("Invalid ticket: it lives longer than tickets may")
	}
	if err := s.tickets.UseTicket(ctx, jti, time.Unix(int64(exp), 0)); err != nil {
		if errors.Is(err, ErrTicketUsed) {
			return nil, pinion.NotAuthenticated("Ticket already used")
		}
		return nil, fmt.Errorf("authentication: %w", err)
	}
	var entity map[string]any
	webhook := claims[claimWebhook] == true
	if webhook {
		entity = map[string]any{s.entityID(): sub}
	} else if entity, err = s.Entity(ctx, sub); err != nil {
		return nil, err
	}
	extra, err := s.tokenClaims(ctx, entity, params, nil)
	if err != nil {
		return nil, err
	}
	if family, _ := claims[claimFamily].(string); family != "" {
		extra[claimFamily] = family
	}
	if webhook {
		extra[claimWebhook] = true
	}
	issued, err := s.IssueAccess(ctx, entity, extra)
	if err != nil {
		return nil, err
	}
	return &Result{
		AccessToken:    issued.Token,
		Authentication: pinion.Authentication{Strategy: "ticket", AccessToken: issued.Token, Payload: issued.Claims},
		Entity:         entity,
		entityKey:      s.cfg.Entity,
	}, nil
}

// LoginWithTicket redeems a ticket and logs conn in with it, as a socket
// login: login listeners run, so the connection joins its channels. It is the
// login of the plain WebSocket stream.
func (s *Service) LoginWithTicket(ctx context.Context, conn *pinion.Connection, ticket string) error {
	params := &pinion.Params{Provider: conn.Provider, Connection: conn, RemoteAddr: conn.RemoteAddr}
	res, err := s.redeem(ctx, ticket, params)
	if err != nil {
		return err
	}
	s.loggedIn(ctx, res, params)
	return nil
}
