package adaptertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
)

// IdempotencyStores are two stores on one database, as two instances have
// them, and a way to get a store again after a restart.
type IdempotencyStores struct {
	A, B    pinion.IdempotencyStore
	Restart func(t testing.TB) pinion.IdempotencyStore
}

// RunIdempotency checks an IdempotencyStore: a key is claimed once across
// instances, even by claims at once; its record answers the other claims;
// finished keys survive a restart; released, expired and abandoned keys are
// claimed again.
func RunIdempotency(t *testing.T, open func(t testing.TB) IdempotencyStores) {
	ctx := context.Background()
	const ttl, lease = time.Hour, time.Hour
	key := func(t testing.TB) string { return fmt.Sprintf("%064x", len(t.Name())*7919) + t.Name() }
	t.Run("claimed once across instances, then answered", func(t *testing.T) {
		s := open(t)
		k := key(t)
		if _, ok, err := s.A.Claim(ctx, k, "t1", "fp1", ttl, lease); err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		rec, ok, err := s.B.Claim(ctx, k, "t2", "fp2", ttl, lease)
		if err != nil || ok || rec.Fingerprint != "fp1" || rec.Done {
			t.Fatalf("a claim of a held key on another instance: %+v %v %v", rec, ok, err)
		}
		if err := s.A.Finish(ctx, k, "t1", []byte(`{"id":1}`)); err != nil {
			t.Fatal(err)
		}
		rec, ok, err = s.B.Claim(ctx, k, "t3", "fp1", ttl, lease)
		if err != nil || ok || !rec.Done || string(rec.Result) != `{"id":1}` {
			t.Fatalf("a claim of a finished key: %+v %v %v", rec, ok, err)
		}
		again := s.Restart(t)
		rec, ok, err = again.Claim(ctx, k, "t4", "fp1", ttl, lease)
		if err != nil || ok || !rec.Done || string(rec.Result) != `{"id":1}` {
			t.Fatalf("after a restart: %+v %v %v", rec, ok, err)
		}
		if err := again.Release(ctx, k, "t1"); err != nil {
			t.Fatal(err)
		}
		if rec, ok, _ := again.Claim(ctx, k, "t4", "fp1", ttl, lease); ok || !rec.Done {
			t.Errorf("release freed a finished key: %+v %v", rec, ok)
		}
	})
	t.Run("claims at once", func(t *testing.T) {
		s := open(t)
		k := key(t)
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for i := range 16 {
			st := s.A
			if i%2 == 1 {
				st = s.B
			}
			wg.Go(func() {
				_, ok, err := st.Claim(ctx, k, fmt.Sprint("t", i), "fp", ttl, lease)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%d claims won, want 1", won)
		}
	})
	t.Run("released, expired and abandoned keys are claimed again", func(t *testing.T) {
		s := open(t)
		for _, tc := range []struct {
			name       string
			ttl, lease time.Duration
			finish     bool
			release    bool
			want       bool
		}{
			{"released", ttl, lease, false, true, true},
			{"held", ttl, lease, false, false, false},
			{"expired", 0, lease, true, false, true},
			{"abandoned (pending past the lease)", ttl, 0, false, false, true},
			{"finished, past the lease", ttl, 0, true, false, false},
		} {
			k := key(t) + tc.name
			if _, ok, err := s.A.Claim(ctx, k, "t1", "fp", tc.ttl, tc.lease); err != nil || !ok {
				t.Fatalf("%s: first claim %v %v", tc.name, ok, err)
			}
			if tc.finish {
				if err := s.A.Finish(ctx, k, "t1", []byte("1")); err != nil {
					t.Fatal(err)
				}
			}
			if tc.release {
				if err := s.A.Release(ctx, k, "t1"); err != nil {
					t.Fatal(err)
				}
			}
			_, ok, err := s.B.Claim(ctx, k, "t2", "fp2", tc.ttl, tc.lease)
			if err != nil || ok != tc.want {
				t.Errorf("%s: claimed again %v (%v), want %v", tc.name, ok, err, tc.want)
			}
		}
	})
	t.Run("a claim taken over can neither finish nor release its successor's", func(t *testing.T) {
		s := open(t)
		k := key(t)
		if _, ok, err := s.A.Claim(ctx, k, "old", "fp", ttl, 0); err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		if _, ok, err := s.B.Claim(ctx, k, "new", "fp", ttl, 0); err != nil || !ok {
			t.Fatalf("the takeover of an abandoned claim: %v %v", ok, err)
		}
		if err := s.A.Release(ctx, k, "old"); err != nil {
			t.Fatal(err)
		}
		if err := s.A.Finish(ctx, k, "old", []byte(`"old"`)); err != nil {
			t.Fatal(err)
		}
		rec, ok, err := s.B.Claim(ctx, k, "third", "fp", ttl, lease)
		if err != nil || ok || rec.Done {
			t.Fatalf("after the old claim's release and finish: %+v claimed %v (%v), want the new claim pending", rec, ok, err)
		}
		if err := s.B.Finish(ctx, k, "new", []byte(`"new"`)); err != nil {
			t.Fatal(err)
		}
		if rec, _, _ := s.A.Claim(ctx, k, "fourth", "fp", ttl, lease); string(rec.Result) != `"new"` {
			t.Errorf("result %s, want the new claim's", rec.Result)
		}
	})
}
