package authentication_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// socket is a fake real-time connection that records what it is sent.
type socket struct {
	conn   *pinion.Connection
	mu     sync.Mutex
	events []string
	closed bool
}

func newSocket(id string) *socket {
	s := &socket{}
	s.conn = pinion.NewConnection(pinion.ConnectionOptions{
		ID: id, Provider: pinion.ProviderSocketIO,
		Send: func(event string, data any) {
			s.mu.Lock()
			s.events = append(s.events, event)
			s.mu.Unlock()
		},
		Close: func() { s.mu.Lock(); s.closed = true; s.mu.Unlock() },
	})
	return s
}

func (s *socket) got(event string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.events, event)
}

func (s *socket) wait(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// socketLogin logs conn in with a token, as the socket transport does.
func (f *fixture) socketLogin(t *testing.T, s *socket, token string) {
	t.Helper()
	_, err := f.app.Service("authentication").Create(ctx, map[string]any{"strategy": "jwt", "accessToken": token},
		&pinion.Params{Provider: pinion.ProviderSocketIO, Connection: s.conn})
	if err != nil {
		t.Fatal(err)
	}
	if s.conn.User() == nil || s.conn.Authentication().AccessToken != token {
		t.Fatal("the connection did not record the login")
	}
	f.app.Channel("authenticated").Join(s.conn)
}

func TestExpiryDeauthenticates(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) {
		c.JWTOptions.ExpiresIn = authentication.Duration(time.Second)
		c.Leeway = 0
	})
	var logouts int
	f.auth.OnLogout(func(context.Context, *authentication.Result, *pinion.Params) { logouts++ })
	f.signup(t, "a@b.c", "secret-pw")
	s := newSocket("s1")
	f.socketLogin(t, s, f.login(t, "a@b.c", "secret-pw"))
	s.wait(t, func() bool { return s.got(authentication.EventExpired) }, "the expiry event")
	if s.conn.User() != nil || s.conn.Authentication() != nil || f.app.Channel("authenticated").Has(s.conn) || s.closed {
		t.Fatalf("after expiry: user=%v closed=%v", s.conn.User(), s.closed)
	}
	if logouts != 1 {
		t.Errorf("logout listeners ran %d times", logouts)
	}
}

// A token past its exp but within the leeway logs in and expires at once; the
// expiry must come after the login listeners' channel joins, not before them.
func TestLoginWithinLeewayExpiresAfterListeners(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) {
		c.JWTOptions.ExpiresIn = authentication.Duration(time.Second)
		c.Leeway = authentication.Duration(5 * time.Second)
	})
	f.auth.OnLogin(func(ctx context.Context, res *authentication.Result, p *pinion.Params) {
		if p.Connection == nil {
			return // a REST login
		}
		time.Sleep(50 * time.Millisecond) // a slow listener
		f.app.Channel("authenticated").Join(p.Connection)
	})
	f.signup(t, "a@b.c", "secret-pw")
	token := f.login(t, "a@b.c", "secret-pw")
	time.Sleep(1100 * time.Millisecond)
	s := newSocket("s1")
	if _, err := f.app.Service("authentication").Create(ctx, map[string]any{"strategy": "jwt", "accessToken": token},
		&pinion.Params{Provider: pinion.ProviderSocketIO, Connection: s.conn}); err != nil {
		t.Fatal(err)
	}
	s.wait(t, func() bool { return s.got(authentication.EventExpired) }, "the expiry event")
	if s.conn.User() != nil || f.app.Channel("authenticated").Has(s.conn) {
		t.Fatal("an expired login stayed in the authenticated channel")
	}
}

func TestExpiryCanDisconnect(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) {
		c.JWTOptions.ExpiresIn = authentication.Duration(time.Second)
		c.Leeway = 0
		c.ExpiredConnections = "disconnect"
	})
	f.signup(t, "a@b.c", "secret-pw")
	s := newSocket("s1")
	f.socketLogin(t, s, f.login(t, "a@b.c", "secret-pw"))
	s.wait(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.closed }, "the disconnect")
}

func TestRevocationReachesConnections(t *testing.T) {
	f := newApp(t)
	user := f.signup(t, "a@b.c", "secret-pw")
	id := pinion.IDString(user["_id"])
	t1, t2 := f.login(t, "a@b.c", "secret-pw"), f.login(t, "a@b.c", "secret-pw")
	s1, s2 := newSocket("s1"), newSocket("s2")
	f.socketLogin(t, s1, t1)
	f.socketLogin(t, s2, t2)

	// Logout elsewhere (REST) with t1 ends s1's session only.
	if r := f.do(t, "DELETE", "/authentication", t1, nil); r.status != 200 {
		t.Fatalf("logout: %v", r.body)
	}
	if !s1.got(authentication.EventRevoked) || s1.conn.User() != nil {
		t.Fatal("s1 still authenticated after its token was revoked")
	}
	if s2.got(authentication.EventRevoked) || s2.conn.User() == nil {
		t.Fatal("s2 lost its session")
	}

	// A change of the user reaches the connection.
	if r := f.do(t, "PATCH", "/users/"+id, t2, map[string]any{"name": "New Name"}); r.status != 200 {
		t.Fatalf("patch: %v", r.body)
	}
	if s2.conn.User()["name"] != "New Name" {
		t.Fatalf("connection user not refreshed: %v", s2.conn.User())
	}

	// A password change ends every session of the user.
	if r := f.do(t, "PATCH", "/users/"+id, t2, map[string]any{"password": "changed-password"}); r.status != 200 {
		t.Fatalf("password change: %v", r.body)
	}
	if !s2.got(authentication.EventRevoked) || s2.conn.User() != nil {
		t.Fatal("s2 still authenticated after a password change")
	}
}

func TestRemovalEndsSessions(t *testing.T) {
	f := newApp(t)
	user := f.signup(t, "a@b.c", "secret-pw")
	s := newSocket("s1")
	f.socketLogin(t, s, f.login(t, "a@b.c", "secret-pw"))
	if _, err := f.app.Service("users").Remove(ctx, user["_id"], nil); err != nil {
		t.Fatal(err)
	}
	if !s.got(authentication.EventRevoked) || s.conn.User() != nil {
		t.Fatal("a removed user's connection is still authenticated")
	}
}

func TestSocketLogoutAndDisconnect(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) {
		c.JWTOptions.ExpiresIn = authentication.Duration(time.Second)
		c.Leeway = 0
	})
	var logouts atomic.Int32
	f.auth.OnLogout(func(context.Context, *authentication.Result, *pinion.Params) { logouts.Add(1) })
	f.signup(t, "a@b.c", "secret-pw")
	s := newSocket("s1")
	token := f.login(t, "a@b.c", "secret-pw")
	f.socketLogin(t, s, token)
	_, err := f.app.Service("authentication").Remove(ctx, nil, &pinion.Params{
		Provider: pinion.ProviderSocketIO, Connection: s.conn, Authentication: s.conn.Authentication(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.conn.User() != nil || f.app.Channel("authenticated").Has(s.conn) {
		t.Fatal("logout kept the session")
	}
	// The client asked: it is not told its token was revoked, and the logout
	// listeners run once.
	if s.got(authentication.EventRevoked) || logouts.Load() != 1 {
		t.Fatalf("own logout: events %v, logout listeners run %d times", s.events, logouts.Load())
	}
	// A disconnected connection's timer is gone: no expiry event after it.
	other := newSocket("s2")
	f.socketLogin(t, other, f.login(t, "a@b.c", "secret-pw"))
	f.app.Disconnected(ctx, other.conn)
	time.Sleep(1500 * time.Millisecond)
	if other.got(authentication.EventExpired) || s.got(authentication.EventExpired) {
		t.Fatal("an expiry event reached a connection that was gone or logged out")
	}
}

func TestHandshake(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	token := f.login(t, "a@b.c", "secret-pw")
	for name, tc := range map[string]struct {
		header string
		auth   map[string]any
		ok     bool
		user   bool
	}{
		"auth payload token":       {auth: map[string]any{"token": token}, ok: true, user: true},
		"auth payload accessToken": {auth: map[string]any{"accessToken": token}, ok: true, user: true},
		"authorization header":     {header: "Bearer " + token, ok: true, user: true},
		"nothing":                  {ok: true},
		"bad token":                {auth: map[string]any{"token": "nope"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSocket(name)
			req := newRequest(tc.header)
			err := f.auth.Handshake(ctx, s.conn, req, tc.auth)
			if (err == nil) != tc.ok || (s.conn.User() != nil) != tc.user {
				t.Fatalf("err=%v user=%v", err, s.conn.User())
			}
		})
	}
}
