// Package authentication is Pinion's authentication service, compatible with
// Feathers': POST /authentication logs in with a strategy and answers an access
// token (an HS256 JWT as jsonwebtoken makes it), DELETE /authentication logs out.
//
// Beyond Feathers, logout really revokes the token, changing a password or
// removing the user voids every earlier token, and failed logins are throttled.
// The Authenticate hook protects services; the local subpackage holds the
// password strategy and the hashPassword hook.
package authentication

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pinionhq/pinion"
)

// Service is the authentication service, registered at "authentication".
type Service struct {
	app         *pinion.App
	cfg         Config
	tokens      *Tokens
	revocations Revocations
	throttle    Throttler
	refresh     RefreshTokens
	tickets     TicketStore
	entities    entityCache
	claims      claimsFunc // see WithClaims
	stateChosen bool       // the application said where the state lives (see checkState)

	sessions      sessions
	counters      counters // see Stats
	path          string   // where the service is registered
	cookieOrigins []string // origins allowed to use the cookie, besides the server's own

	mu         sync.RWMutex
	strategies map[string]Strategy
	order      []string
	onLogin    []LoginListener
	onLogout   []LoginListener
}

// LoginListener is told about logins and logouts made through a transport
// (params.Provider set); params.Connection is set for sockets. Channels use it to
// move a connection between "anonymous" and "authenticated".
type LoginListener func(ctx context.Context, result *Result, params *pinion.Params)

// Option configures the Service.
type Option func(*Service)

// WithRevocations sets where revoked tokens are kept (see WithStore for the
// default).
func WithRevocations(r Revocations) Option {
	return func(s *Service) { s.revocations, s.stateChosen = r, true }
}

// WithThrottle sets where failed logins are counted (see WithStore for the
// default).
func WithThrottle(t Throttler) Option {
	return func(s *Service) { s.throttle, s.stateChosen = t, true }
}

// WithRefreshTokens sets where refresh tokens are kept (see WithStore for the
// default).
func WithRefreshTokens(r RefreshTokens) Option {
	return func(s *Service) { s.refresh, s.stateChosen = r, true }
}

// WithCookieOrigins lists the origins, besides the server's own, whose pages may
// use the httpOnly cookie (unsafe requests and socket handshakes).
func WithCookieOrigins(origins ...string) Option {
	return func(s *Service) { s.cookieOrigins = origins }
}

// WithTickets sets where spent tickets are remembered (see WithStore for the
// default).
func WithTickets(t TicketStore) Option {
	return func(s *Service) { s.tickets, s.stateChosen = t, true }
}

// New returns the service. The configuration must hold a resolved secret (see
// Config.ResolveSecret). The jwt strategy is registered already.
func New(app *pinion.App, cfg Config, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Secret) < MinSecretLength {
		return nil, fmt.Errorf("authentication: the secret must be at least %d bytes long", MinSecretLength)
	}
	mem := NewMemoryStore()
	s := &Service{
		app:         app,
		cfg:         cfg,
		tokens:      NewTokens(cfg.Secret, cfg.JWTOptions, time.Duration(cfg.Leeway)),
		revocations: mem,
		throttle:    mem,
		refresh:     mem,
		tickets:     mem,
		strategies:  map[string]Strategy{},
	}
	s.entities.ttl = time.Duration(cfg.EntityCache)
	for _, o := range opts {
		o(s)
	}
	s.Register("jwt", &JWT{s: s})
	if cfg.Refresh.Enabled {
		s.Register("refresh", &RefreshStrategy{s: s})
		if !slices.Contains(s.cfg.AuthStrategies, "refresh") {
			s.cfg.AuthStrategies = append(slices.Clone(s.cfg.AuthStrategies), "refresh")
		}
	}
	return s, nil
}

// Config returns the configuration.
func (s *Service) Config() Config { return s.cfg }

// Tokens returns the token signer and verifier.
func (s *Service) Tokens() *Tokens { return s.tokens }

// App returns the application.
func (s *Service) App() *pinion.App { return s.app }

// Register adds a strategy under name, replacing one of the same name.
func (s *Service) Register(name string, st Strategy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.strategies[name]; !ok {
		s.order = append(s.order, name)
	}
	s.strategies[name] = st
}

// Strategy returns the strategy registered under name, or nil.
func (s *Service) Strategy(name string) Strategy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.strategies[name]
}

// OnLogin registers fn for successful logins made through a transport.
func (s *Service) OnLogin(fn LoginListener) {
	s.mu.Lock()
	s.onLogin = append(s.onLogin, fn)
	s.mu.Unlock()
}

// OnLogout registers fn for logouts made through a transport.
func (s *Service) OnLogout(fn LoginListener) {
	s.mu.Lock()
	s.onLogout = append(s.onLogout, fn)
	s.mu.Unlock()
}

// From returns the authentication service set up on app, or nil. The Authenticate
// hook finds its service this way, like Feathers' app.defaultAuthentication().
func From(app *pinion.App) *Service {
	s, _ := app.Get(appKeyName).(*Service)
	return s
}

const appKeyName = "pinion/authentication"

// Setup implements pinion.Setuper: it makes the service the app's default and
// keeps the entity cache in step with the entity service. It fails when the
// entity service keeps its records beyond the process while the service's
// state would not (see WithStore).
func (s *Service) Setup(ctx context.Context, app *pinion.App, path string) error {
	if s.cfg.Entity != "" && app.Service(s.cfg.Service) == nil {
		return fmt.Errorf("authentication: the entity service %q does not exist", s.cfg.Service)
	}
	if err := s.checkState(app); err != nil {
		return err
	}
	s.path = path
	app.Set(appKeyName, s)
	silence(app, path)
	app.OnEvent(s.watchEntities)
	app.OnDisconnect(s.disconnected)
	if n, ok := s.revocations.(Notifier); ok {
		n.OnRevocation(s.revoked)
	}
	return nil
}

// silence keeps the service at path from emitting service events: its results
// (login results, tickets) are credentials, which must reach neither channels
// nor other instances. Logins are announced by OnLogin and OnLogout instead.
func silence(app *pinion.App, path string) {
	self := app.Service(path)
	if self == nil {
		return
	}
	self.Hooks(pinion.Hooks{After: pinion.HookMap{pinion.All: {func(ctx context.Context, hc *pinion.HookContext) error {
		hc.Event = ""
		return nil
	}}}})
}

// watchEntities keeps the entity cache in step with the entity service, and
// revokes every token of a user whose password changed or who was removed.
func (s *Service) watchEntities(ctx context.Context, e pinion.Event) {
	if e.Path != s.cfg.Service {
		return
	}
	switch e.Name {
	case "updated", "patched", "removed":
	default:
		return
	}
	var id string
	if recs := pinion.Records(e.Data); len(recs) == 1 {
		v, _ := recs[0].Get(s.entityID())
		id = pinion.IDString(v)
	}
	s.entities.invalidate(id)
	if e.Name != "removed" {
		s.refreshUser(ctx, id)
	}
	revoke := e.Name == "removed"
	if e.Context != nil && (e.Name == "updated" || e.Name == "patched") {
		revoke = setsField(e.Context.Data, s.cfg.Local.PasswordField)
	}
	if revoke && id != "" {
		if err := s.RevokeSubject(ctx, id); err != nil {
			s.app.Logger().ErrorContext(ctx, "revoking the tokens of a user", "user", id, "error", err)
		}
	}
}

// setsField reports whether the data of an update or patch sets field: a key
// of a map, a field a typed patch writes, a non-empty field of a struct.
func setsField(data any, field string) bool {
	if p, ok := data.(interface{ Has(string) bool }); ok {
		return p.Has(field)
	}
	for _, r := range pinion.Records(data) {
		if r.Has(field) {
			return true
		}
	}
	return false
}

func (s *Service) entityID() string {
	if s.cfg.EntityID != "" {
		return s.cfg.EntityID
	}
	return "_id"
}

// Create logs in: POST /authentication. The strategy named in data checks the
// credentials; unless it returned a token already (jwt), a new access token is
// signed for the entity with the claims in params.Payload and those of
// WithClaims.
func (s *Service) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	req, err := requestOf(data)
	if err != nil {
		s.counters.login("other", err)
		return nil, err
	}
	res, err := s.create(ctx, req, params)
	s.counters.login(s.strategyLabel(req.Strategy()), err)
	return res, err
}

func (s *Service) create(ctx context.Context, req Request, params *pinion.Params) (any, error) {
	if len(s.cfg.AuthStrategies) == 0 {
		return nil, pinion.NotAuthenticated("No authentication strategies allowed for creating a JWT (`authStrategies`)")
	}
	res, err := s.Authenticate(ctx, req, params, s.cfg.AuthStrategies...)
	if err != nil {
		return nil, err
	}
	refresh := s.cfg.Refresh.Enabled && (res.Authentication.Strategy == "local" || res.Authentication.Strategy == "refresh")
	if res.AccessToken == "" {
		if res.family == "" {
			res.family = uuid.NewString() // a new login
		}
		claims, err := s.tokenClaims(ctx, res.Entity, params, params.Payload)
		if err != nil {
			return nil, err
		}
		// Only a strategy marks its identities (webhook); a hook's payload
		// cannot make a local user look like one.
		delete(claims, claimWebhook)
		maps.Copy(claims, res.claims)
		// The token names its login, so that logging out with it ends every
		// token and session that came from the same login.
		claims[claimFamily] = res.family
		issued, err := s.IssueAccess(ctx, res.Entity, claims)
		if err != nil {
			return nil, err
		}
		res.AccessToken = issued.Token
		res.Authentication.Payload = issued.Claims
	}
	if refresh {
		if err := s.issueRefresh(ctx, res); err != nil {
			return nil, err
		}
	}
	auth := res.Authentication
	params.Authentication = &auth // hooks after the method see what the strategy found
	s.loggedIn(ctx, res, params)
	return res, nil
}

// Remove logs out: DELETE /authentication[/<token>]. It re-authenticates the
// caller's credentials, revokes the token for the rest of its life, and answers
// like a jwt login.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	auth := params.Authentication
	if id != nil && (auth == nil || id != auth.AccessToken) {
		return nil, pinion.NotAuthenticated("Invalid access token")
	}
	var req Request
	if auth != nil {
		req = Request{"strategy": auth.Strategy, "accessToken": auth.AccessToken}
	}
	res, err := s.Authenticate(ctx, req, params, s.cfg.AuthStrategies...)
	if err != nil {
		return nil, err
	}
	// The caller's own connection is logged out first, so that the revocation
	// does not also end it as if someone else had.
	if c := params.Connection; c != nil {
		if a := c.Authentication(); a != nil && a.AccessToken == res.AccessToken {
			s.logout(c)
		}
	}
	if err := s.revoke(ctx, res.Authentication.Payload); err != nil {
		return nil, err
	}
	if err := s.endLogin(ctx, res.Authentication.Payload); err != nil {
		return nil, err
	}
	s.notify(ctx, s.listeners(false), res, params)
	return res, nil
}

// loggedIn records a login on the caller's connection, if any, then runs the
// login listeners, then arms the session's timers: an expiry never comes
// before the channels the listeners join.
func (s *Service) loggedIn(ctx context.Context, res *Result, params *pinion.Params) {
	var se *session
	if params.Connection != nil {
		se = s.login(params.Connection, res)
	}
	s.notify(ctx, s.listeners(true), res, params)
	s.arm(se)
}

func (s *Service) listeners(login bool) []LoginListener {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if login {
		return slices.Clone(s.onLogin)
	}
	return slices.Clone(s.onLogout)
}

func (s *Service) notify(ctx context.Context, fns []LoginListener, res *Result, params *pinion.Params) {
	if params.Provider == "" {
		return
	}
	for _, fn := range fns {
		fn(ctx, res, params)
	}
}

func requestOf(data any) (Request, error) {
	switch d := data.(type) {
	case map[string]any:
		return Request(d), nil
	case Request:
		return d, nil
	case nil:
		return Request{}, nil
	}
	return nil, pinion.BadRequest("Authentication data must be an object")
}

// Authenticate runs the strategy named in req, if it is among allowed, and returns
// its result. It is what the Authenticate hook calls for every protected call.
func (s *Service) Authenticate(ctx context.Context, req Request, params *pinion.Params, allowed ...string) (*Result, error) {
	name := req.Strategy()
	if name == "" {
		return nil, pinion.NotAuthenticated("Invalid authentication information (no `strategy` set)")
	}
	st := s.Strategy(name)
	if st == nil || !slices.Contains(allowed, name) {
		return nil, pinion.NotAuthenticated("Invalid authentication information (strategy not allowed in authStrategies)")
	}
	if params == nil {
		params = &pinion.Params{}
	}
	res, err := st.Authenticate(ctx, req, params)
	if err != nil {
		return nil, err
	}
	res.entityKey = s.cfg.Entity
	return res, nil
}

// authenticateParams authenticates the credentials a transport put in params.
// The common case, a jwt, goes straight to the jwt strategy: every protected
// call takes this path.
func (s *Service) authenticateParams(ctx context.Context, p *pinion.Params, allowed []string) (*Result, error) {
	a := p.Authentication
	if a.Strategy == "jwt" && slices.Contains(allowed, "jwt") {
		if j, ok := s.Strategy("jwt").(*JWT); ok {
			res, err := j.authenticate(ctx, a.AccessToken)
			if err != nil {
				return nil, err
			}
			res.entityKey = s.cfg.Entity
			return res, nil
		}
	}
	return s.Authenticate(ctx, Request{"strategy": a.Strategy, "accessToken": a.AccessToken}, p, allowed...)
}

// Parse finds credentials in an HTTP request (or socket handshake) with the
// strategies that can parse: the jwt strategy's Authorization header first,
// then the httpOnly cookie when that flow is enabled. A request with an
// Authorization header is never authenticated by the cookie, whatever the
// header holds: CheckCookieRequest lets such requests through because a
// cross-site page cannot send them with the cookie. Transports call Parse; it
// verifies nothing.
func (s *Service) Parse(r *http.Request) *pinion.Authentication {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, name := range s.order {
		if p, ok := s.strategies[name].(Parser); ok {
			if a := p.Parse(r); a != nil {
				return a
			}
		}
	}
	if r.Header.Get("Authorization") != "" {
		return nil
	}
	return s.fromCookie(r)
}

// IssueAccess signs an access token for entity, with extra claims.
func (s *Service) IssueAccess(ctx context.Context, entity map[string]any, claims map[string]any) (Issued, error) {
	var subject string
	var notBefore time.Time
	if s.cfg.Entity != "" {
		if entity == nil {
			return Issued{}, pinion.NotAuthenticated("Could not get local entity")
		}
		subject = pinion.IDString(entity[s.entityID()])
		if subject == "" {
			return Issued{}, pinion.NotAuthenticated("Can not set subject from %s.%s", s.cfg.Entity, s.entityID())
		}
		var err error
		if notBefore, err = s.revocations.ValidAfter(ctx, subject); err != nil {
			return Issued{}, fmt.Errorf("authentication: %w", err)
		}
	}
	return s.tokens.Sign(TypeAccess, subject, time.Duration(s.cfg.JWTOptions.ExpiresIn), claims, notBefore)
}

// VerifyAccess verifies an access token and checks it has not been revoked.
func (s *Service) VerifyAccess(ctx context.Context, token string) (map[string]any, error) {
	claims, err := s.tokens.Verify(token, TypeAccess)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevoked(ctx, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

var errRevoked = pinion.NotAuthenticated("Token has been revoked").WithData(map[string]any{"name": "TokenRevokedError"})

// checkRevoked refuses the claims of a token that was revoked: itself (a
// logout), its login (a logout with any token of the same login), or every
// token of its subject (a password change, a removal). It also refuses the
// marks of a strategy that is not registered (a webhook identity while the
// webhook strategy is off), which only a holder of the secret could forge.
func (s *Service) checkRevoked(ctx context.Context, claims map[string]any) error {
	if claims[claimWebhook] == true && s.Strategy("webhook") == nil {
		return pinion.NotAuthenticated("Invalid token: webhook identities are not accepted here")
	}
	iss, _ := claims["iss"].(string)
	jti, _ := claims["jti"].(string)
	family, _ := claims[claimFamily].(string)
	for _, key := range [2]string{jti, family} {
		if key == "" {
			continue
		}
		revoked, err := s.revocations.Revoked(ctx, iss, key)
		if err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
		if revoked {
			return errRevoked
		}
	}
	if sub, _ := claims["sub"].(string); sub != "" {
		after, err := s.revocations.ValidAfter(ctx, sub)
		if err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
		iat, _ := claims["iat"].(float64)
		if !after.IsZero() && int64(iat) < after.Unix() {
			return errRevoked
		}
	}
	return nil
}

func (s *Service) revoke(ctx context.Context, claims map[string]any) error {
	iss, _ := claims["iss"].(string)
	jti, _ := claims["jti"].(string)
	exp, _ := claims["exp"].(float64)
	if jti == "" {
		return pinion.BadRequest("This token has no jti and cannot be revoked")
	}
	if err := s.revocations.Revoke(ctx, iss, jti, time.Unix(int64(exp), 0)); err != nil {
		return fmt.Errorf("authentication: revoking: %w", err)
	}
	s.counters.add(&s.counters.revocations, "token")
	s.revoked(ctx, Revocation{Issuer: iss, JTI: jti})
	return nil
}

// RevokeSubject voids every token issued to the entity subject until now. Password
// changes and removals call it.
func (s *Service) RevokeSubject(ctx context.Context, subject string) error {
	// iat has second precision: every token issued up to now has iat <= now, so
	// tokens are valid from the next whole second, and IssueAccess dates new
	// tokens no earlier than that. A second revocation within the same second
	// must still void the tokens issued after the first, so the cut-off always
	// moves past the previous one.
	validAfter := time.Now().Truncate(time.Second).Add(time.Second)
	prev, err := s.revocations.ValidAfter(ctx, subject)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	if !prev.Before(validAfter) {
		validAfter = prev.Add(time.Second)
	}
	keep := time.Duration(s.cfg.JWTOptions.ExpiresIn) + time.Duration(s.cfg.Leeway) + time.Minute
	if err := s.revocations.RevokeSubject(ctx, subject, validAfter, keep); err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	s.counters.add(&s.counters.revocations, "subject")
	s.entities.invalidate(subject)
	s.revoked(ctx, Revocation{Subject: subject, ValidAfter: validAfter})
	return nil
}

// Entity returns the external form of the entity with id (the user as clients
// see it), from the cache when possible.
func (s *Service) Entity(ctx context.Context, id string) (map[string]any, error) {
	if u, ok := s.entities.get(id); ok {
		return u, nil
	}
	gen := s.entities.generation()
	svc := s.app.Service(s.cfg.Service)
	if svc == nil {
		return nil, pinion.NotAuthenticated("Could not find entity service")
	}
	hc, err := svc.Call(ctx, pinion.MethodGet, id, nil, &pinion.Params{Authenticated: true})
	if err != nil {
		if errors.Is(err, pinion.NotFound("")) {
			return nil, pinion.NotAuthenticated("The user of this token no longer exists")
		}
		return nil, err
	}
	recs := pinion.Records(hc.External())
	if len(recs) != 1 {
		return nil, fmt.Errorf("authentication: the %s service returned %T, not a record", s.cfg.Service, hc.External())
	}
	u := recs[0].Map() // a struct's JSON fields; the cache keeps maps

	s.entities.put(id, u, gen)
	return u, nil
}

// entityCache keeps recently loaded entities. Every change through the entity
// service invalidates the changed entity; a load that overlapped an invalidation
// is not stored, so a stale record never outlives the change.
type entityCache struct {
	ttl time.Duration

	mu   sync.RWMutex
	gen  uint64
	byID map[string]cachedEntity
}

type cachedEntity struct {
	entity map[string]any
	until  time.Time
}

const maxCachedEntities = 1 << 16

func (c *entityCache) get(id string) (map[string]any, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.byID[id]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.until) {
		return nil, false
	}
	return e.entity, true
}

func (c *entityCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *entityCache) put(id string, u map[string]any, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byID == nil || len(c.byID) >= maxCachedEntities {
		c.byID = make(map[string]cachedEntity)
	}
	c.byID[id] = cachedEntity{entity: u, until: time.Now().Add(c.ttl)}
}

func (c *entityCache) invalidate(id string) {
	c.mu.Lock()
	c.gen++
	delete(c.byID, id)
	c.mu.Unlock()
}

// Throttler returns where failed logins are counted.
func (s *Service) Throttler() Throttler { return s.throttle }
