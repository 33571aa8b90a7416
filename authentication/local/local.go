// Package local is the "local" authentication strategy (a username, by default
// the email, and a bcrypt password stored on the user) and the HashPassword hook
// that stores passwords as Feathers does, so users move between Feathers and
// Pinion with their passwords.
package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// Strategy is the local strategy.
type Strategy struct {
	auth  *authentication.Service
	cfg   authentication.Local
	dummy []byte // compared against when no user matches, so the answer takes as long
}

// New returns the local strategy of auth; register it with
// auth.Register("local", local.New(auth)).
func New(auth *authentication.Service) *Strategy {
	cfg := auth.Config().Local
	dummy, err := bcrypt.GenerateFromPassword([]byte("pinion-timing-equaliser"), cfg.HashSize)
	if err != nil {
		panic(err) // only for an invalid cost, which Config.Validate rejects
	}
	return &Strategy{auth: auth, cfg: cfg, dummy: dummy}
}

// Authenticate implements authentication.Strategy. Every failure answers the same
// "Invalid login" after the same work: an unknown username still costs a bcrypt
// comparison (Feathers answers early and so tells which emails exist).
func (l *Strategy) Authenticate(ctx context.Context, req authentication.Request, params *pinion.Params) (*authentication.Result, error) {
	username := req.String(l.cfg.UsernameField)
	password := req.String(l.cfg.PasswordField)
	invalid := pinion.NotAuthenticated("%s", l.cfg.ErrorMessage)
	if password == "" || username == "" {
		return nil, invalid
	}
	// bcrypt reads 72 bytes and ignores the rest: a longer password would log
	// in with any tail. Signup refuses it (HashPassword), so does login, before
	// any bcrypt work.
	if len(password) > MaxPasswordLength {
		return nil, pinion.BadRequest("'%s' must be at most %d bytes long", l.cfg.PasswordField, MaxPasswordLength)
	}
	keys := l.throttleKeys(username, params)
	if err := l.checkThrottle(ctx, keys); err != nil {
		return nil, err
	}
	user, err := l.find(ctx, username)
	if err != nil {
		return nil, err
	}
	hash, _ := user[l.cfg.PasswordField].(string)
	if user == nil || hash == "" {
		bcrypt.CompareHashAndPassword(l.dummy, []byte(password))
		return nil, l.fail(ctx, keys, invalid)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, l.fail(ctx, keys, invalid)
	}
	if th := l.throttle(); th != nil && keys[0] != "" {
		th.Reset(ctx, keys[0])
	}
	entity, err := l.auth.Entity(ctx, idOf(user, l.auth.Config().EntityID))
	if err != nil {
		return nil, err
	}
	return &authentication.Result{
		Authentication: pinion.Authentication{Strategy: "local"},
		Entity:         entity,
	}, nil
}

// find looks the user up with an internal call, as Feathers does:
// users.find({query: {email, $limit: 1}}).
func (l *Strategy) find(ctx context.Context, username string) (map[string]any, error) {
	svc := l.auth.App().Service(l.auth.Config().Service)
	if svc == nil {
		return nil, pinion.NotAuthenticated("Could not find entity service")
	}
	res, err := svc.Find(ctx, &pinion.Params{Query: map[string]any{l.cfg.UsernameField: username, "$limit": 1}})
	if err != nil {
		return nil, err
	}
	if recs := pinion.Records(res); len(recs) > 0 {
		return recs[0], nil
	}
	return nil, nil
}

func idOf(user map[string]any, field string) string {
	if field == "" {
		field = "_id"
	}
	return pinion.IDString(user[field])
}

func (l *Strategy) throttle() authentication.Throttler {
	t := l.auth.Config().Throttle
	if t.PerAccount == 0 && t.PerAddress == 0 {
		return nil
	}
	return l.auth.Throttler()
}

// throttleKeys names the counters of an attempt: the account and the address.
func (l *Strategy) throttleKeys(username string, params *pinion.Params) [2]string {
	t := l.auth.Config().Throttle
	var keys [2]string
	if t.PerAccount > 0 {
		// One account, one counter, however the client spells it.
		keys[0] = "account:" + strings.ToLower(strings.TrimSpace(username))
	}
	if t.PerAddress > 0 && params.RemoteAddr != "" {
		// Sockets report "ip:port", and every new socket has a new port:
		// the counter is per host.
		host := params.RemoteAddr
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		keys[1] = "address:" + host
	}
	return keys
}

func (l *Strategy) checkThrottle(ctx context.Context, keys [2]string) error {
	th := l.throttle()
	if th == nil {
		return nil
	}
	t := l.auth.Config().Throttle
	limits := [2]int{t.PerAccount, t.PerAddress}
	for i, key := range keys {
		if key == "" {
			continue
		}
		wait, err := th.Wait(ctx, key, limits[i], time.Duration(t.Window))
		if err != nil {
			return fmt.Errorf("local: login throttle: %w", err)
		}
		if wait > 0 {
			secs := int((wait + time.Second - 1) / time.Second)
			return pinion.TooManyRequests("Too many failed login attempts; try again in %d seconds", secs).
				WithData(map[string]any{"retryAfter": secs}).
				WithHeader("Retry-After", strconv.Itoa(secs))
		}
	}
	return nil
}

func (l *Strategy) fail(ctx context.Context, keys [2]string, invalid error) error {
	th := l.throttle()
	if th == nil {
		return invalid
	}
	window := time.Duration(l.auth.Config().Throttle.Window)
	for _, key := range keys {
		if key != "" {
			if err := th.Fail(ctx, key, window); err != nil {
				return errors.Join(invalid, fmt.Errorf("local: login throttle: %w", err))
			}
		}
	}
	return invalid
}
