package authentication

import (
	"context"
	"sync"
	"time"

	"github.com/pinionhq/pinion"
)

// Events sent to a real-time connection when its authentication ends without the
// client asking: the token expired, or it was revoked (a logout elsewhere, a
// password change, the user's removal). The connection stays open and anonymous,
// unless Config.ExpiredConnections is "disconnect".
const (
	EventExpired = "authentication expired"
	EventRevoked = "authentication revoked"
	// EventRenewed carries {accessToken}: a fresh token sent before the old one
	// expires, when Config.Renewal is set. The connection now uses it.
	EventRenewed = "authentication renewed"
)

// sessions tracks the real-time connections logged in with a token, so that
// expiry, revocation and changes of the user reach them (Feathers #3508, #2846).
type sessions struct {
	mu     sync.Mutex
	byConn map[*pinion.Connection]*session
	bySub  map[string]map[*pinion.Connection]*session
}

type session struct {
	conn    *pinion.Connection
	sub     string
	issuer  string
	jti     string
	claims  map[string]any
	timer   *time.Timer
	renewal *time.Timer
}

// login records a login made on conn: the connection carries the token and the
// user on every later call, and is tracked until it ends. Its timers are armed
// by arm once the login listeners ran (see loggedIn). It returns nil for a
// connection that ended meanwhile.
func (s *Service) login(conn *pinion.Connection, res *Result) *session {
	return s.replace(nil, conn, res)
}

// replace records a login on conn, as login does; with prev set, only if prev
// is still the connection's session (a renewal must not undo a logout or a
// revocation that came while it signed). It returns nil when it did nothing.
func (s *Service) replace(prev *session, conn *pinion.Connection, res *Result) *session {
	claims := res.Authentication.Payload
	sub, _ := claims["sub"].(string)
	iss, _ := claims["iss"].(string)
	jti, _ := claims["jti"].(string)

	se := &session{conn: conn, sub: sub, issuer: iss, jti: jti, claims: claims}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if conn.Context().Err() != nil {
		return nil // the connection ended meanwhile: nothing to track
	}
	if prev != nil && s.sessions.byConn[conn] != prev {
		return nil
	}
	if s.sessions.byConn == nil {
		s.sessions.byConn = map[*pinion.Connection]*session{}
		s.sessions.bySub = map[string]map[*pinion.Connection]*session{}
	}
	s.dropLocked(conn)
	s.sessions.byConn[conn] = se
	if s.sessions.bySub[sub] == nil {
		s.sessions.bySub[sub] = map[*pinion.Connection]*session{}
	}
	s.sessions.bySub[sub][conn] = se
	conn.SetAuthenticated(&pinion.Authentication{Strategy: "jwt", AccessToken: res.AccessToken, Payload: claims}, res.Entity)
	return se
}

// arm starts the expiry timer of se, and its renewal timer when renewal is
// configured, if se is still its connection's session.
func (s *Service) arm(se *session) {
	if se == nil {
		return
	}
	exp, _ := se.claims["exp"].(float64)
	if exp <= 0 {
		return
	}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if s.sessions.byConn[se.conn] != se {
		return
	}
	at := time.Unix(int64(exp), 0)
	// The session lasts as long as the jwt strategy accepts its token: a
	// login within the leeway is a real one, not an instant expiry.
	end := at.Add(time.Duration(s.cfg.Leeway))
	se.timer = time.AfterFunc(max(time.Until(end), 0), func() {
		s.end(context.Background(), se, EventExpired, "The access token expired")
	})
	if r := time.Duration(s.cfg.Renewal); r > 0 {
		se.renewal = time.AfterFunc(max(time.Until(at.Add(-r)), 0), func() { s.renew(context.Background(), se) })
	}
}

// dropLocked forgets the session of conn. s.sessions.mu is held.
func (s *Service) dropLocked(conn *pinion.Connection) *session {
	se := s.sessions.byConn[conn]
	if se == nil {
		return nil
	}
	if se.timer != nil {
		se.timer.Stop()
	}
	if se.renewal != nil {
		se.renewal.Stop()
	}
	delete(s.sessions.byConn, conn)
	if m := s.sessions.bySub[se.sub]; m != nil {
		delete(m, conn)
		if len(m) == 0 {
			delete(s.sessions.bySub, se.sub)
		}
	}
	return se
}

// registered claims are set by Sign; the rest of a payload is carried over when
// a token is renewed.
var registered = map[string]bool{"iat": true, "exp": true, "aud": true, "iss": true, "sub": true, "jti": true, "nbf": true}

// renew gives the connection of se a fresh access token (new jti, new exp)
// with the same claims, and moves its expiry.
func (s *Service) renew(ctx context.Context, se *session) {
	conn := se.conn
	s.sessions.mu.Lock()
	current := s.sessions.byConn[conn] == se
	s.sessions.mu.Unlock()
	if !current {
		return
	}
	if conn.Context().Err() != nil { // gone without the transport saying so
		s.disconnected(ctx, conn)
		return
	}
	var err error
	extra := map[string]any{}
	for k, v := range se.claims {
		if !registered[k] && k != claimFamily && k != claimWebhook {
			extra[k] = v
		}
	}
	// The claims of WithClaims are computed again, from the user as it is
	// now: a changed email or role shows up in the renewed token.
	user := conn.User()
	if s.claims != nil && se.claims[claimWebhook] != true {
		if user, err = s.Entity(ctx, se.sub); err != nil {
			s.app.Logger().Error("renewing a token", "error", err)
			return
		}
	}
	params := &pinion.Params{Provider: conn.Provider, Connection: conn, RemoteAddr: conn.RemoteAddr,
		Authentication: conn.Authentication(), User: user}
	if extra, err = s.tokenClaims(ctx, user, params, extra); err != nil {
		s.app.Logger().Error("renewing a token", "error", err)
		return
	}
	// The renewed token continues the same login, as the same kind of identity.
	for _, k := range [2]string{claimFamily, claimWebhook} {
		if v, ok := se.claims[k]; ok {
			extra[k] = v
		}
	}
	notBefore, err := s.revocations.ValidAfter(ctx, se.sub)
	if err != nil {
		s.app.Logger().Error("renewing a token", "error", err)
		return
	}
	issued, err := s.tokens.Sign(TypeAccess, se.sub, time.Duration(s.cfg.JWTOptions.ExpiresIn), extra, notBefore)
	if err != nil {
		s.app.Logger().Error("renewing a token", "error", err)
		return
	}
	res := &Result{
		AccessToken:    issued.Token,
		Authentication: pinion.Authentication{Strategy: "jwt", AccessToken: issued.Token, Payload: issued.Claims},
		Entity:         user,
	}
	next := s.replace(se, conn, res)
	if next == nil {
		return // logged out or revoked meanwhile
	}
	s.arm(next)
	conn.Send(EventRenewed, map[string]any{"accessToken": issued.Token})
}

// logout ends the session of conn at the client's request.
func (s *Service) logout(conn *pinion.Connection) {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	s.dropLocked(conn)
	conn.SetAuthenticated(nil, nil)
	s.app.LeaveAll(conn)
}

// end de-authenticates the connection of se, if se is still its session, on
// the server's initiative, and tells the client with event; with
// ExpiredConnections "disconnect" it closes the connection.
func (s *Service) end(ctx context.Context, se *session, event, message string) {
	conn := se.conn
	s.sessions.mu.Lock()
	if s.sessions.byConn[conn] != se {
		s.sessions.mu.Unlock()
		return // ended already, or replaced by a newer login
	}
	s.dropLocked(conn)
	conn.SetAuthenticated(nil, nil)
	s.app.LeaveAll(conn)
	s.sessions.mu.Unlock()
	params := &pinion.Params{Provider: conn.Provider, Connection: conn}
	res := &Result{Authentication: pinion.Authentication{Strategy: "jwt", Payload: se.claims}, entityKey: s.cfg.Entity}
	s.notify(ctx, s.listeners(false), res, params)
	if s.cfg.ExpiredConnections == "disconnect" {
		conn.Close()
		return
	}
	conn.Send(event, map[string]any{"message": message})
}

// endMatching ends every session for which match reports true.
func (s *Service) endMatching(ctx context.Context, match func(*session) bool, event, message string) {
	s.sessions.mu.Lock()
	var ended []*session
	for _, se := range s.sessions.byConn {
		if match(se) {
			ended = append(ended, se)
		}
	}
	s.sessions.mu.Unlock()
	for _, se := range ended {
		s.end(ctx, se, event, message)
	}
}

// revoked ends the sessions that a revocation voids: one token, every token
// of a login, or every token of a subject issued before validAfter.
func (s *Service) revoked(ctx context.Context, r Revocation) {
	s.endMatching(ctx, func(se *session) bool {
		if r.JTI != "" { // a token, or a whole login (see logins.go)
			return (se.jti == r.JTI || loginOf(se.claims) == r.JTI) && se.issuer == r.Issuer
		}
		iat, _ := se.claims["iat"].(float64)
		return se.sub == r.Subject && int64(iat) < r.ValidAfter.Unix()
	}, EventRevoked, "The access token was revoked")
}

// refreshUser gives the connections of subject its current record.
func (s *Service) refreshUser(ctx context.Context, subject string) {
	s.sessions.mu.Lock()
	var conns []*pinion.Connection
	for c := range s.sessions.bySub[subject] {
		conns = append(conns, c)
	}
	s.sessions.mu.Unlock()
	if len(conns) == 0 {
		return
	}
	user, err := s.Entity(ctx, subject)
	if err != nil {
		return
	}
	for _, c := range conns {
		c.SetUser(user)
	}
}

// disconnected forgets the session of a closed connection.
func (s *Service) disconnected(ctx context.Context, conn *pinion.Connection) {
	s.sessions.mu.Lock()
	s.dropLocked(conn)
	s.sessions.mu.Unlock()
}

// Revocation describes a revoked token (JTI set) or a subject cut-off.
type Revocation struct {
	Issuer, JTI string
	Subject     string
	ValidAfter  time.Time
}

// Notifier is implemented by revocation stores shared between instances: they
// report revocations made elsewhere, so live connections here end too.
type Notifier interface {
	OnRevocation(func(ctx context.Context, r Revocation))
}
