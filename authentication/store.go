package authentication

import (
	"context"
	"sync"
	"time"
)

// Revocations remembers what makes a validly signed token unacceptable: a logout
// (one token, by issuer and jti) and a password change or removal of the user
// (every token issued to the subject before a moment). Entries are kept only as
// long as a token they concern could still be valid.
//
// The authentication service consults it on every jwt authentication, so
// implementations answer from memory; MongoStore shares entries between
// instances.
type Revocations interface {
	// Revoke voids the token (issuer, jti) until exp.
	Revoke(ctx context.Context, issuer, jti string, exp time.Time) error
	// Revoked reports whether (issuer, jti) was revoked.
	Revoked(ctx context.Context, issuer, jti string) (bool, error)
	// RevokeSubject voids every token of subject issued before validAfter, which
	// is a whole second: token iat has second precision.
	RevokeSubject(ctx context.Context, subject string, validAfter time.Time, keep time.Duration) error
	// ValidAfter returns the moment before which subject's tokens are void, or
	// the zero time.
	ValidAfter(ctx context.Context, subject string) (time.Time, error)
}

// Throttle counts failed logins per key (an account, an address) in a window.
type Throttler interface {
	// Wait reports how long key must wait before trying again, 0 if it may try
	// now: it has failed limit times within window.
	Wait(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error)
	// Fail records a failed attempt of key.
	Fail(ctx context.Context, key string, window time.Duration) error
	// Reset forgets the failures of key (after a successful login).
	Reset(ctx context.Context, key string) error
}

// MemoryStore keeps revocations and login counters in this process. It is the
// store of single-instance and in-memory deployments, and the cache that
// MongoStore keeps in front of the database.
type MemoryStore struct {
	now func() time.Time

	mu       sync.RWMutex
	tokens   map[tokenKey]time.Time // → exp
	subjects map[string]subjectCutoff
	failures map[string]window
	refresh  map[string]*refreshEntry
	tickets  map[string]time.Time
	purged   time.Time
}

type refreshEntry struct {
	RefreshRecord
	used bool
}

type subjectCutoff struct{ validAfter, until time.Time }

type window struct {
	start, until time.Time
	count        int
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		now:      time.Now,
		tokens:   map[tokenKey]time.Time{},
		subjects: map[string]subjectCutoff{},
		failures: map[string]window{},
		refresh:  map[string]*refreshEntry{},
		tickets:  map[string]time.Time{},
	}
}

// tokenKey names a revoked token; a struct key costs no allocation to look up.
type tokenKey struct{ issuer, jti string }

// Revoke implements Revocations.
func (m *MemoryStore) Revoke(_ context.Context, issuer, jti string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[tokenKey{issuer, jti}] = exp
	m.purge()
	return nil
}

// Revoked implements Revocations.
func (m *MemoryStore) Revoked(_ context.Context, issuer, jti string) (bool, error) {
	m.mu.RLock()
	exp, ok := m.tokens[tokenKey{issuer, jti}]
	m.mu.RUnlock()
	return ok && m.now().Before(exp.Add(time.Minute)), nil
}

// RevokeSubject implements Revocations. A later cut-off replaces an earlier one.
func (m *MemoryStore) RevokeSubject(_ context.Context, subject string, validAfter time.Time, keep time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.subjects[subject]; !ok || validAfter.After(c.validAfter) {
		m.subjects[subject] = subjectCutoff{validAfter: validAfter, until: validAfter.Add(keep)}
	}
	m.purge()
	return nil
}

// ValidAfter implements Revocations.
func (m *MemoryStore) ValidAfter(_ context.Context, subject string) (time.Time, error) {
	m.mu.RLock()
	c, ok := m.subjects[subject]
	m.mu.RUnlock()
	if !ok || m.now().After(c.until) {
		return time.Time{}, nil
	}
	return c.validAfter, nil
}

// purge drops expired entries, at most once a minute. m.mu is held.
func (m *MemoryStore) purge() {
	now := m.now()
	if now.Sub(m.purged) < time.Minute {
		return
	}
	m.purged = now
	for k, exp := range m.tokens {
		if now.After(exp.Add(time.Minute)) {
			delete(m.tokens, k)
		}
	}
	for k, c := range m.subjects {
		if now.After(c.until) {
			delete(m.subjects, k)
		}
	}
	for k, w := range m.failures {
		if now.After(w.until) {
			delete(m.failures, k)
		}
	}
	for k, r := range m.refresh {
		if now.After(r.Expires) {
			delete(m.refresh, k)
		}
	}
	for k, exp := range m.tickets {
		if now.After(exp.Add(time.Minute)) {
			delete(m.tickets, k)
		}
	}
}

// Wait implements Throttler.
func (m *MemoryStore) Wait(_ context.Context, key string, limit int, win time.Duration) (time.Duration, error) {
	m.mu.RLock()
	w, ok := m.failures[key]
	m.mu.RUnlock()
	if !ok || w.count < limit {
		return 0, nil
	}
	if left := w.start.Add(win).Sub(m.now()); left > 0 {
		return left, nil
	}
	return 0, nil
}

// Fail implements Throttler.
func (m *MemoryStore) Fail(_ context.Context, key string, win time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.failures[key]
	if now.Sub(w.start) >= win {
		w = window{start: now, until: now.Add(win)}
	}
	w.count++
	m.failures[key] = w
	m.purge()
	return nil
}

// Reset implements Throttler.
func (m *MemoryStore) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.failures, key)
	m.mu.Unlock()
	return nil
}

// SaveRefresh implements RefreshTokens.
func (m *MemoryStore) SaveRefresh(_ context.Context, r RefreshRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh[r.JTI] = &refreshEntry{RefreshRecord: r}
	m.purge()
	return nil
}

// UseRefresh implements RefreshTokens.
func (m *MemoryStore) UseRefresh(_ context.Context, jti string) (RefreshRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.refresh[jti]
	if !ok {
		return RefreshRecord{}, ErrRefreshUnknown
	}
	if e.used {
		return e.RefreshRecord, ErrRefreshReused
	}
	e.used = true
	return e.RefreshRecord, nil
}

// RevokeFamily implements RefreshTokens.
func (m *MemoryStore) RevokeFamily(_ context.Context, family string) ([]RefreshRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RefreshRecord
	for _, e := range m.refresh {
		if e.Family == family {
			e.used = true
			out = append(out, e.RefreshRecord)
		}
	}
	return out, nil
}

// UseTicket implements TicketStore.
func (m *MemoryStore) UseTicket(_ context.Context, jti string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, used := m.tickets[jti]; used {
		return ErrTicketUsed
	}
	m.tickets[jti] = exp
	m.purge()
	return nil
}
