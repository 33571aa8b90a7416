// Package storetest is the conformance suite for stores of the authentication
// service's state: revocations, failed-login counters, refresh tokens and spent
// tickets (authentication.Revocations, Throttler, RefreshTokens and
// TicketStore). authentication.MemoryStore, mongostore and sqlitestore run it,
// so that a deployment behaves the same on each of them:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (storetest.Store, storetest.Store) {
//			a, b := twoInstancesOnOneDatabase(t)
//			return a, b
//		})
//	}
//
// The factory returns two stores on the same state, as two instances of a
// deployment would have (a store that is not shared returns itself twice).
// What one writes the other must see: throttle counters, refresh tokens and
// tickets at once, revocations within a few seconds (stores that mirror them in
// memory poll for them), and a store that is an authentication.Notifier must
// report the other's revocations.
//
// Besides the answers of each method, the suite checks what races must not
// break: concurrent failures all counted, a refresh token or a ticket used by
// exactly one of many concurrent callers, on one instance or across two.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinionhq/pinion/authentication"
)

// Store is what the authentication service asks of a shared store.
type Store interface {
	authentication.Revocations
	authentication.Throttler
	authentication.RefreshTokens
	authentication.TicketStore
}

// Factory returns two stores on one new, empty state (the same store twice
// when it is not shared). Their cleanup is the factory's (t.Cleanup).
type Factory func(t *testing.T) (a, b Store)

// Options adjust the suite to a store's known limits.
type Options struct {
	// Skip names subtests ("races/failures") that the store is known to fail,
	// each with the reason, which the test log shows: a known gap stays
	// visible instead of passing quietly.
	Skip map[string]string
}

// Run runs the suite; opts, if given, names known gaps.
func Run(t *testing.T, newStores Factory, opts ...Options) {
	s := suite{factory: newStores, skip: map[string]string{}}
	for _, o := range opts {
		for k, v := range o.Skip {
			s.skip[k] = v
		}
	}
	t.Run("revocations", s.revocations)
	t.Run("subjects", s.subjects)
	t.Run("throttle", s.throttle)
	t.Run("refresh", s.refresh)
	t.Run("tickets", s.tickets)
	t.Run("races", s.races)
	t.Run("shared", s.shared)
}

type suite struct {
	factory Factory
	skip    map[string]string
}

// skipKnown skips t when the store declared it a known gap.
func (s suite) skipKnown(t *testing.T) {
	t.Helper()
	name := t.Name()
	for k, reason := range s.skip {
		if strings.HasSuffix(name, "/"+k) {
			t.Skipf("known gap of this store: %s", reason)
		}
	}
}

var ctx = context.Background()

// unique names keys per test, so that a store shared by mistake between tests
// shows up as a failure rather than passing by luck.
var counter atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), counter.Add(1))
}

// eventually waits up to 5 s for cond; the optional state says what there
// was instead.
func eventually(t *testing.T, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, s := range state {
				what += " (" + s() + ")"
			}
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (s suite) revocations(t *testing.T) {
	a, _ := s.factory(t)
	jti := unique("jti")
	if ok, err := a.Revoked(ctx, "feathers", jti); err != nil || ok {
		t.Fatalf("an unknown token is revoked: %v %v", ok, err)
	}
	must(t, a.Revoke(ctx, "feathers", jti, time.Now().Add(time.Hour)))
	if ok, err := a.Revoked(ctx, "feathers", jti); err != nil || !ok {
		t.Fatalf("a revoked token is not: %v %v", ok, err)
	}
	if ok, _ := a.Revoked(ctx, "other-issuer", jti); ok {
		t.Error("the same jti of another issuer is revoked")
	}
	if ok, _ := a.Revoked(ctx, "feathers", jti+"x"); ok {
		t.Error("another jti is revoked")
	}
	// Revoking twice is harmless.
	must(t, a.Revoke(ctx, "feathers", jti, time.Now().Add(time.Hour)))
	if ok, _ := a.Revoked(ctx, "feathers", jti); !ok {
		t.Error("revoked twice, then not revoked")
	}
	// A revocation is kept only while the token could be valid (plus a minute
	// of clock tolerance): one for a token long expired no longer counts.
	old := unique("jti")
	must(t, a.Revoke(ctx, "feathers", old, time.Now().Add(-time.Hour)))
	if ok, _ := a.Revoked(ctx, "feathers", old); ok {
		t.Error("the revocation of a token expired an hour ago still counts")
	}
}

func (s suite) subjects(t *testing.T) {
	a, _ := s.factory(t)
	sub := unique("user")
	if v, err := a.ValidAfter(ctx, sub); err != nil || !v.IsZero() {
		t.Fatalf("an unknown subject has a cut-off: %v %v", v, err)
	}
	cut := time.Now().Truncate(time.Second).Add(time.Second)
	must(t, a.RevokeSubject(ctx, sub, cut, time.Hour))
	if v, _ := a.ValidAfter(ctx, sub); !v.Equal(cut) {
		t.Fatalf("cut-off %v, want %v", v, cut)
	}
	// An older cut-off never replaces a newer one.
	must(t, a.RevokeSubject(ctx, sub, cut.Add(-time.Minute), time.Hour))
	if v, _ := a.ValidAfter(ctx, sub); !v.Equal(cut) {
		t.Errorf("an older cut-off replaced the newer: %v, want %v", v, cut)
	}
	later := cut.Add(time.Minute)
	must(t, a.RevokeSubject(ctx, sub, later, time.Hour))
	if v, _ := a.ValidAfter(ctx, sub); !v.Equal(later) {
		t.Errorf("a newer cut-off did not replace the older: %v, want %v", v, later)
	}
	if v, _ := a.ValidAfter(ctx, sub+"x"); !v.IsZero() {
		t.Errorf("another subject has a cut-off: %v", v)
	}
	// A cut-off is kept for keep only.
	gone := unique("user")
	must(t, a.RevokeSubject(ctx, gone, time.Now().Add(-2*time.Hour).Truncate(time.Second), time.Hour))
	if v, _ := a.ValidAfter(ctx, gone); !v.IsZero() {
		t.Errorf("a cut-off past its keep still counts: %v", v)
	}
}

func (s suite) throttle(t *testing.T) {
	a, _ := s.factory(t)
	key := unique("account")
	wait := func(limit int, window time.Duration) time.Duration {
		t.Helper()
		d, err := a.Wait(ctx, key, limit, window)
		must(t, err)
		return d
	}
	if d := wait(1, time.Minute); d != 0 {
		t.Fatalf("a key that never failed waits %v", d)
	}
	for range 3 {
		must(t, a.Fail(ctx, key, time.Minute))
	}
	if d := wait(3, time.Minute); d <= 0 || d > time.Minute {
		t.Errorf("3 failures, limit 3: wait %v, want within (0, 1m]", d)
	}
	if d := wait(4, time.Minute); d != 0 {
		t.Errorf("3 failures, limit 4: wait %v, want 0", d)
	}
	if d, _ := a.Wait(ctx, key+"x", 1, time.Minute); d != 0 {
		t.Errorf("another key waits %v", d)
	}
	must(t, a.Reset(ctx, key))
	if d := wait(1, time.Minute); d != 0 {
		t.Errorf("after a reset: wait %v", d)
	}
	must(t, a.Reset(ctx, unique("never-failed"))) // resetting nothing is fine

	// A window that has passed starts again from one failure.
	short := 300 * time.Millisecond
	for range 2 {
		must(t, a.Fail(ctx, key, short))
	}
	if d := wait(2, short); d <= 0 {
		t.Fatalf("2 failures in a window of %v: no wait", short)
	}
	time.Sleep(short + 50*time.Millisecond)
	if d := wait(2, short); d != 0 {
		t.Errorf("the window has passed: wait %v", d)
	}
	must(t, a.Fail(ctx, key, short))
	if d := wait(2, short); d != 0 {
		t.Errorf("one failure in a new window counted as more: wait %v", d)
	}
	if d := wait(1, short); d <= 0 {
		t.Error("the failure that opened a new window was not counted")
	}
}

// sameInstant compares times at second precision, which tokens have.
func sameInstant(a, b time.Time) bool { return a.Unix() == b.Unix() }

func (s suite) refresh(t *testing.T) {
	a, _ := s.factory(t)
	family, other := unique("family"), unique("family")
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	accessExp := time.Now().Add(time.Minute).Truncate(time.Second)
	r1 := authentication.RefreshRecord{JTI: unique("r"), Family: family, Subject: "user-1", Issuer: "feathers",
		Expires: exp, AccessJTI: unique("a"), AccessExp: accessExp}
	r2 := authentication.RefreshRecord{JTI: unique("r"), Family: family, Subject: "user-1", Issuer: "feathers", Expires: exp}
	r3 := authentication.RefreshRecord{JTI: unique("r"), Family: other, Subject: "user-2", Issuer: "feathers", Expires: exp}
	for _, r := range []authentication.RefreshRecord{r1, r2, r3} {
		must(t, a.SaveRefresh(ctx, r))
	}
	check := func(what string, got, want authentication.RefreshRecord) {
		t.Helper()
		if got.JTI != want.JTI || got.Family != want.Family || got.Subject != want.Subject || got.Issuer != want.Issuer ||
			got.AccessJTI != want.AccessJTI || !sameInstant(got.Expires, want.Expires) ||
			(!want.AccessExp.IsZero() && !sameInstant(got.AccessExp, want.AccessExp)) {
			t.Errorf("%s: %+v, want %+v", what, got, want)
		}
	}
	got, err := a.UseRefresh(ctx, r1.JTI)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	check("first use", got, r1)
	got, err = a.UseRefresh(ctx, r1.JTI)
	if !errors.Is(err, authentication.ErrRefreshReused) {
		t.Fatalf("second use: %v, want ErrRefreshReused", err)
	}
	check("second use (the record of the reused token)", got, r1)
	if _, err := a.UseRefresh(ctx, unique("nope")); !errors.Is(err, authentication.ErrRefreshUnknown) {
		t.Fatalf("unknown token: %v, want ErrRefreshUnknown", err)
	}
	recs, err := a.RevokeFamily(ctx, family)
	must(t, err)
	if len(recs) != 2 {
		t.Fatalf("the family has %d tokens, want 2: %+v", len(recs), recs)
	}
	for _, r := range recs {
		switch r.JTI {
		case r1.JTI:
			check("family member", r, r1)
		case r2.JTI:
			check("family member", r, r2)
		default:
			t.Errorf("a token of another family: %+v", r)
		}
	}
	if _, err := a.UseRefresh(ctx, r2.JTI); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Errorf("a token of a revoked family: %v, want ErrRefreshReused", err)
	}
	if recs, err := a.RevokeFamily(ctx, unique("no-family")); err != nil || len(recs) != 0 {
		t.Errorf("an unknown family: %v %v", recs, err)
	}
	// The other family is untouched.
	if got, err := a.UseRefresh(ctx, r3.JTI); err != nil {
		t.Errorf("a token of another family: %v", err)
	} else {
		check("another family", got, r3)
	}
}

func (s suite) tickets(t *testing.T) {
	a, _ := s.factory(t)
	jti := unique("ticket")
	exp := time.Now().Add(30 * time.Second)
	must(t, a.UseTicket(ctx, jti, exp))
	if err := a.UseTicket(ctx, jti, exp); !errors.Is(err, authentication.ErrTicketUsed) {
		t.Fatalf("second use: %v, want ErrTicketUsed", err)
	}
	must(t, a.UseTicket(ctx, unique("ticket"), exp))
}

// races checks that concurrent callers, on one instance or spread over two,
// cannot count less or spend twice.
func (s suite) races(t *testing.T) {
	a, b := s.factory(t)
	const n = 16
	pick := func(i int) Store {
		if i%2 == 0 {
			return a
		}
		return b
	}
	run := func(fn func(i int) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = fn(i)
			}()
		}
		close(start)
		wg.Wait()
		return errs
	}

	t.Run("failures", func(t *testing.T) {
		s.skipKnown(t)
		key := unique("account")
		for _, err := range run(func(i int) error { return pick(i).Fail(ctx, key, time.Minute) }) {
			must(t, err)
		}
		if d, _ := a.Wait(ctx, key, n, time.Minute); d <= 0 {
			t.Errorf("%d concurrent failures counted as fewer", n)
		}
		if d, _ := b.Wait(ctx, key, n+1, time.Minute); d != 0 {
			t.Errorf("%d concurrent failures counted as more", n)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		s.skipKnown(t)
		r := authentication.RefreshRecord{JTI: unique("r"), Family: unique("family"), Subject: "u", Issuer: "feathers",
			Expires: time.Now().Add(time.Hour)}
		must(t, a.SaveRefresh(ctx, r))
		won := 0
		for _, err := range run(func(i int) error { _, err := pick(i).UseRefresh(ctx, r.JTI); return err }) {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, authentication.ErrRefreshReused):
				t.Errorf("use: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent uses of one refresh token succeeded, want 1", won, n)
		}
	})
	t.Run("tickets", func(t *testing.T) {
		s.skipKnown(t)
		jti := unique("ticket")
		won := 0
		for _, err := range run(func(i int) error { return pick(i).UseTicket(ctx, jti, time.Now().Add(time.Minute)) }) {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, authentication.ErrTicketUsed):
				t.Errorf("use: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent uses of one ticket succeeded, want 1", won, n)
		}
	})
	t.Run("cut-offs", func(t *testing.T) {
		s.skipKnown(t)
		sub := unique("user")
		base := time.Now().Truncate(time.Second)
		for _, err := range run(func(i int) error {
			return pick(i).RevokeSubject(ctx, sub, base.Add(time.Duration(i)*time.Second), time.Hour)
		}) {
			must(t, err)
		}
		want := base.Add((n - 1) * time.Second)
		var va, vb time.Time
		eventually(t, "both instances holding the latest of concurrent cut-offs", func() bool {
			va, _ = a.ValidAfter(ctx, sub)
			vb, _ = b.ValidAfter(ctx, sub)
			return va.Equal(want) && vb.Equal(want)
		}, func() string {
			return fmt.Sprintf("the instances hold cut-offs %v and %v after the base, want %v", va.Sub(base), vb.Sub(base), want.Sub(base))
		})
	})
}

// shared checks that what one instance writes the other sees.
func (s suite) shared(t *testing.T) {
	a, b := s.factory(t)
	var heard chan authentication.Revocation
	if n, ok := b.(authentication.Notifier); ok && Store(a) != b {
		heard = make(chan authentication.Revocation, 16)
		n.OnRevocation(func(_ context.Context, r authentication.Revocation) {
			select {
			case heard <- r:
			default:
			}
		})
	}
	jti := unique("jti")
	must(t, a.Revoke(ctx, "feathers", jti, time.Now().Add(time.Hour)))
	eventually(t, "the other instance learning of a revocation", func() bool { ok, _ := b.Revoked(ctx, "feathers", jti); return ok })
	if heard != nil {
		timeout := time.After(5 * time.Second)
		for found := false; !found; {
			select {
			case r := <-heard:
				found = r.JTI == jti && r.Issuer == "feathers"
			case <-timeout:
				t.Fatal("the other instance's Notifier did not report the revocation")
			}
		}
	}
	sub := unique("user")
	cut := time.Now().Truncate(time.Second).Add(time.Second)
	must(t, a.RevokeSubject(ctx, sub, cut, time.Hour))
	// An older cut-off written on the other instance never wins.
	must(t, b.RevokeSubject(ctx, sub, cut.Add(-time.Minute), time.Hour))
	eventually(t, "the other instance learning a cut-off", func() bool { v, _ := b.ValidAfter(ctx, sub); return v.Equal(cut) })
	if v, _ := a.ValidAfter(ctx, sub); !v.Equal(cut) {
		t.Errorf("an older cut-off from the other instance replaced the newer: %v", v)
	}

	key := unique("account")
	for range 3 {
		must(t, a.Fail(ctx, key, time.Minute))
	}
	if d, _ := b.Wait(ctx, key, 3, time.Minute); d <= 0 {
		t.Error("the other instance does not see failures")
	}
	must(t, b.Reset(ctx, key))
	if d, _ := a.Wait(ctx, key, 3, time.Minute); d != 0 {
		t.Error("a reset on the other instance does not hold here")
	}

	r := authentication.RefreshRecord{JTI: unique("r"), Family: unique("family"), Subject: "u", Issuer: "feathers",
		Expires: time.Now().Add(time.Hour)}
	must(t, a.SaveRefresh(ctx, r))
	if _, err := b.UseRefresh(ctx, r.JTI); err != nil {
		t.Fatalf("a refresh token saved on one instance, used on the other: %v", err)
	}
	if _, err := a.UseRefresh(ctx, r.JTI); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Errorf("reuse across instances: %v, want ErrRefreshReused", err)
	}
	ticket := unique("ticket")
	must(t, a.UseTicket(ctx, ticket, time.Now().Add(time.Minute)))
	if err := b.UseTicket(ctx, ticket, time.Now().Add(time.Minute)); !errors.Is(err, authentication.ErrTicketUsed) {
		t.Errorf("a ticket spent on one instance, spent again on the other: %v", err)
	}
}
