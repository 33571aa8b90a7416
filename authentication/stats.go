package authentication

import (
	"errors"
	"maps"
	"sync"

	"github.com/pinionhq/pinion"
)

// Stats are the service's counters since it started, for metrics. They
// count what this instance did, not what it heard of from others (a
// revocation made elsewhere that reaches it through a shared store is not
// counted again).
type Stats struct {
	// Logins counts the logins (authentication create, on any transport, the
	// socket handshake's included) by strategy and outcome. A strategy that
	// is not registered counts as "other", so that clients cannot invent
	// label values.
	Logins map[LoginKey]uint64
	// Throttled counts the login attempts refused with 429 by the counter
	// that refused them: "account" or "address".
	Throttled map[string]uint64
	// Revocations counts the revocations written to the store by kind:
	// "token" (a logout's token, or an access token voided with its refresh
	// family), "login" (every token of one login, at logout or refresh token
	// reuse) and "subject" (every token of a user: a password change, a
	// removal).
	Revocations map[string]uint64
	// Refreshes counts the uses of refresh tokens by outcome: "success",
	// "reused" (a spent token presented again: its family is revoked),
	// "invalid" and "error".
	Refreshes map[string]uint64
}

// LoginKey is a strategy and an outcome: "success", "failure" (wrong
// credentials, a bad or revoked token: 401), "invalid" (a malformed request:
// 400), "throttled" (429), "unavailable" (503: the database did not answer)
// or "error" (anything else).
type LoginKey struct{ Strategy, Outcome string }

type counters struct {
	mu          sync.Mutex
	logins      map[LoginKey]uint64
	throttled   map[string]uint64
	revocations map[string]uint64
	refreshes   map[string]uint64
}

func (c *counters) add(m *map[string]uint64, key string) {
	c.mu.Lock()
	if *m == nil {
		*m = map[string]uint64{}
	}
	(*m)[key]++
	c.mu.Unlock()
}

func (c *counters) login(strategy string, err error) {
	k := LoginKey{strategy, outcome(err)}
	c.mu.Lock()
	if c.logins == nil {
		c.logins = map[LoginKey]uint64{}
	}
	c.logins[k]++
	c.mu.Unlock()
}

// outcome classifies the error of a login.
func outcome(err error) string {
	if err == nil {
		return "success"
	}
	var fe *pinion.Error
	if !errors.As(err, &fe) {
		return "error"
	}
	switch fe.Status() {
	case 401, 403:
		return "failure"
	case 400:
		return "invalid"
	case 429:
		return "throttled"
	case 503:
		return "unavailable"
	}
	return "error"
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	c := &s.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Logins:      maps.Clone(c.logins),
		Throttled:   maps.Clone(c.throttled),
		Revocations: maps.Clone(c.revocations),
		Refreshes:   maps.Clone(c.refreshes),
	}
}

// strategyLabel is name when it is a registered strategy, else "other".
func (s *Service) strategyLabel(name string) string {
	if name != "" && s.Strategy(name) != nil {
		return name
	}
	return "other"
}
