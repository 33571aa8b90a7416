package mongostore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/mongostore"
	"github.com/pinionhq/pinion/authentication/storetest"
)

func TestMain(m *testing.M) { mongodbtest.Main(m) }

var ctx = context.Background()

// two returns two stores on one database: two instances of a deployment.
func two(t *testing.T) (*mongostore.Store, *mongostore.Store) {
	db := mongodbtest.DB(t)
	a := mongostore.New(db, mongostore.Options{SyncInterval: 50 * time.Millisecond})
	b := mongostore.New(db, mongostore.Options{SyncInterval: 50 * time.Millisecond})
	for _, s := range []*mongostore.Store{a, b} {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
	}
	return a, b
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRevocationsReachOtherInstances(t *testing.T) {
	a, b := two(t)
	// The test reads the first notification only: later ones (the cut-offs
	// below) must not block b's notifier, whose Close at the end of the test
	// would then wait for ever.
	heard := make(chan authentication.Revocation, 1)
	b.OnRevocation(func(_ context.Context, r authentication.Revocation) {
		select {
		case heard <- r:
		default:
		}
	})
	if err := a.Revoke(ctx, "feathers", "jti-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b learning of a's revocation", func() bool { ok, _ := b.Revoked(ctx, "feathers", "jti-1"); return ok })
	if r := <-heard; r.JTI != "jti-1" {
		t.Errorf("notified of %+v", r)
	}
	cut := time.Now().Truncate(time.Second).Add(time.Second)
	if err := a.RevokeSubject(ctx, "user-1", cut, time.Hour); err != nil {
		t.Fatal(err)
	}
	// An older cut-off never replaces a newer one.
	if err := b.RevokeSubject(ctx, "user-1", cut.Add(-time.Minute), time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b learning the cut-off", func() bool { v, _ := b.ValidAfter(ctx, "user-1"); return v.Equal(cut) })
	if v, _ := a.ValidAfter(ctx, "user-1"); !v.Equal(cut) {
		t.Errorf("a: %v", v)
	}
	// A newer one does.
	later := cut.Add(time.Minute)
	if err := b.RevokeSubject(ctx, "user-1", later, time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a learning the newer cut-off", func() bool { v, _ := a.ValidAfter(ctx, "user-1"); return v.Equal(later) })
}

func TestThrottleAcrossInstances(t *testing.T) {
	a, b := two(t)
	for range 3 {
		if err := a.Fail(ctx, "account:x", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if wait, _ := b.Wait(ctx, "account:x", 3, time.Minute); wait <= 0 {
		t.Fatal("b does not see a's failures")
	}
	if wait, _ := b.Wait(ctx, "account:x", 4, time.Minute); wait != 0 {
		t.Fatal("below the limit")
	}
	b.Reset(ctx, "account:x")
	if wait, _ := a.Wait(ctx, "account:x", 3, time.Minute); wait != 0 {
		t.Fatal("reset not shared")
	}
}

func TestRefreshAndTickets(t *testing.T) {
	a, b := two(t)
	rec := authentication.RefreshRecord{JTI: "r1", Family: "f1", Subject: "u", Issuer: "feathers", Expires: time.Now().Add(time.Hour),
		AccessJTI: "a1", AccessExp: time.Now().Add(time.Minute)}
	if err := a.SaveRefresh(ctx, rec); err != nil {
		t.Fatal(err)
	}
	a.SaveRefresh(ctx, authentication.RefreshRecord{JTI: "r2", Family: "f1", Subject: "u", Expires: time.Now().Add(time.Hour)})
	got, err := b.UseRefresh(ctx, "r1")
	if err != nil || got.Family != "f1" || got.AccessJTI != "a1" {
		t.Fatalf("first use: %+v %v", got, err)
	}
	if _, err := a.UseRefresh(ctx, "r1"); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := a.UseRefresh(ctx, "nope"); !errors.Is(err, authentication.ErrRefreshUnknown) {
		t.Fatalf("unknown: %v", err)
	}
	family, err := b.RevokeFamily(ctx, "f1")
	if err != nil || len(family) != 2 {
		t.Fatalf("family: %v %v", family, err)
	}
	if _, err := a.UseRefresh(ctx, "r2"); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Fatalf("a revoked family member was usable: %v", err)
	}

	exp := time.Now().Add(10 * time.Second)
	if err := a.UseTicket(ctx, "t1", exp); err != nil {
		t.Fatal(err)
	}
	if err := b.UseTicket(ctx, "t1", exp); !errors.Is(err, authentication.ErrTicketUsed) {
		t.Fatalf("a ticket used on another instance: %v", err)
	}
}

// TestStore runs the shared store suite on two stores over one database, two
// instances of a deployment.
// On the embedded FerretDB, concurrent writes of one document are not atomic:
// FerretDB runs an update by finding the documents and then writing them back
// (internal/handler/msg_update.go), where MongoDB matches and writes in one
// step. So concurrent failures may be undercounted ($inc), and of concurrent
// cut-offs of one user an older one may be the one kept (the conditional
// replace). The server's embedded store is SQLite, so this only concerns a
// MONGODB_URL that names a FerretDB.
func TestStore(t *testing.T) {
	var opts storetest.Options
	if mongodbtest.Embedded() {
		opts.Skip = map[string]string{
			"races/failures": "FerretDB's $inc is not atomic: concurrent failures can be undercounted",
			"races/cut-offs": "FerretDB's conditional replace is not atomic: of concurrent cut-offs an older one can win",
		}
	}
	storetest.Run(t, func(t *testing.T) (storetest.Store, storetest.Store) { return two(t) }, opts)
}
