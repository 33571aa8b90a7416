package authentication

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
)

// Failed logins are counted per account and per client host within a window
// (Throttle). The per-account limit stops password guessing
// from many addresses, at a price: anyone can lock an account for the window
// with a few wrong passwords. Known clients soften that: a host that logged in
// to an account successfully within Throttle.KnownClients is not locked out
// of it by the failures of others. It gets a counter of its own for that
// account, with the same limit, so it can still guess no more than anyone.

// attempt is one login attempt and the counters it is checked against.
type attempt struct {
	th     Throttler
	cfg    Throttle
	known  bool // the host logged in to the account recently
	keys   []counter
	client string // the known-client key of account and host, or ""
}

type counter struct {
	key   string
	limit int
}

// attempt checks the counters of an attempt on username from the caller's
// host, and answers 429 when one of them is at its limit.
func (l *LocalStrategy) attempt(ctx context.Context, username string, params *pinion.Params) (*attempt, error) {
	t := l.auth.Config().Throttle
	a := &attempt{th: l.auth.Throttler(), cfg: t}
	if t.PerAccount == 0 && t.PerAddress == 0 {
		a.th = nil
		return a, nil
	}
	// One account, one counter, however the client spells it.
	account := strings.ToLower(strings.TrimSpace(username))
	// Sockets report "ip:port", and every new socket has a new port: the
	// counters are per host.
	host := params.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host != "" && t.KnownClients > 0 {
		a.client = "known:" + account + "|" + host
		wait, err := a.th.Wait(ctx, a.client, 1, time.Duration(t.KnownClients))
		if err != nil {
			return nil, fmt.Errorf("local: login throttle: %w", err)
		}
		a.known = wait > 0
	}
	if t.PerAccount > 0 {
		key := "account:" + account
		if a.known {
			key += "|" + host
		}
		a.keys = append(a.keys, counter{key, t.PerAccount})
	}
	if t.PerAddress > 0 && host != "" {
		a.keys = append(a.keys, counter{"address:" + host, t.PerAddress})
	}
	for _, c := range a.keys {
		wait, err := a.th.Wait(ctx, c.key, c.limit, time.Duration(t.Window))
		if err != nil {
			return nil, fmt.Errorf("local: login throttle: %w", err)
		}
		if wait > 0 {
			scope, _, _ := strings.Cut(c.key, ":")
			l.auth.counters.add(&l.auth.counters.throttled, scope)
			secs := int((wait + time.Second - 1) / time.Second)
			return nil, pinion.TooManyRequests("Too many failed login attempts; try again in %d seconds", secs).
				WithData(map[string]any{"retryAfter": secs}).
				WithHeader("Retry-After", strconv.Itoa(secs))
		}
	}
	return a, nil
}

// fail counts a failed attempt and returns invalid.
func (a *attempt) fail(ctx context.Context, invalid error) error {
	if a.th == nil {
		return invalid
	}
	for _, c := range a.keys {
		if err := a.th.Fail(ctx, c.key, time.Duration(a.cfg.Window)); err != nil {
			return errors.Join(invalid, fmt.Errorf("local: login throttle: %w", err))
		}
	}
	return invalid
}

// succeed forgets the account's failures and remembers the host as a known
// client of the account. The known-client mark is kept in the throttler as
// a counter that one success fills for the KnownClients window: Wait with a
// limit of 1 then reports it.
func (a *attempt) succeed(ctx context.Context) {
	if a.th == nil {
		return
	}
	if len(a.keys) > 0 && a.cfg.PerAccount > 0 {
		// A known client resets only its own counter: the failures others
		// made on the account keep counting against them.
		a.th.Reset(ctx, a.keys[0].key)
	}
	if a.client != "" {
		a.th.Reset(ctx, a.client)
		a.th.Fail(ctx, a.client, time.Duration(a.cfg.KnownClients))
	}
}
