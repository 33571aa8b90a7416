// Package mongostore keeps the authentication service's shared state in MongoDB:
// revoked tokens and per-user cut-offs (so a logout on one instance holds on all)
// and failed-login counters (so throttling holds across instances).
//
// Revocations are checked on every authenticated call, so each instance mirrors
// them in memory and polls the collection for entries written by other instances
// (every second by default). Expired entries are purged by the instances
// themselves: FerretDB has no TTL indexes; on MongoDB a TTL index is created too.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/authentication"
)

// Store implements authentication.Revocations, authentication.Throttler,
// authentication.RefreshTokens and authentication.TicketStore.
type Store struct {
	revocations *mongo.Collection
	attempts    *mongo.Collection
	refresh     *mongo.Collection
	refreshUses *mongo.Collection
	tickets     *mongo.Collection
	mem         *authentication.MemoryStore
	interval    time.Duration
	logger      *slog.Logger

	mu       sync.Mutex
	notify   []func(context.Context, authentication.Revocation)
	lastSeen time.Time
	purged   time.Time
	stop     context.CancelFunc
	done     chan struct{}
}

// Options configure a Store.
type Options struct {
	// SyncInterval is how often revocations written by other instances are read
	// (default 1s): the longest a logout elsewhere may take to reach this instance.
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// New returns a store on the "revocations", "login_attempts", "refresh_tokens",
// "used_refresh_tokens" and "used_tickets" collections of db.
// Call Start before use.
func New(db *mongo.Database, opts Options) *Store {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Store{
		revocations: db.Collection("revocations"),
		attempts:    db.Collection("login_attempts"),
		refresh:     db.Collection("refresh_tokens"),
		refreshUses: db.Collection("used_refresh_tokens"),
		tickets:     db.Collection("used_tickets"),
		mem:         authentication.NewMemoryStore(),
		interval:    opts.SyncInterval,
		logger:      opts.Logger,
	}
}

// Start loads the current revocations, creates the indexes and starts the sync.
func (s *Store) Start(ctx context.Context) error {
	s.refreshIndexes(ctx)
	for _, c := range []*mongo.Collection{s.revocations, s.attempts, s.refresh, s.refreshUses, s.tickets} {
		_, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys:    bson.D{{Key: "until", Value: 1}},
			Options: options.Index().SetExpireAfterSeconds(0),
		})
		if err != nil {
			// FerretDB has no TTL indexes; purge() removes expired entries instead.
			s.logger.Debug("no TTL index; expired entries are purged by Pinion", "collection", c.Name(), "error", err)
		}
	}
	if err := s.sync(ctx); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.done = cancel, make(chan struct{})
	go s.loop(runCtx)
	return nil
}

// Close stops the sync.
func (s *Store) Close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
}

func (s *Store) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.sync(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("syncing revocations", "error", err)
			}
		}
	}
}

type entry struct {
	ID         string    `bson:"_id"`
	Kind       string    `bson:"kind"`
	Issuer     string    `bson:"iss,omitempty"`
	JTI        string    `bson:"jti,omitempty"`
	Subject    string    `bson:"sub,omitempty"`
	ValidAfter time.Time `bson:"validAfter,omitempty"`
	Until      time.Time `bson:"until"`
	At         time.Time `bson:"at"`
}

// overlap re-reads a little of the past on every sync, so entries written by
// instances with a slightly late clock are not missed. Applying one twice is
// harmless.
const overlap = 5 * time.Second

func (s *Store) sync(ctx context.Context) error {
	s.mu.Lock()
	since := s.lastSeen.Add(-overlap)
	s.mu.Unlock()
	cur, err := s.revocations.Find(ctx, bson.M{"at": bson.M{"$gte": since}})
	if err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	var entries []entry
	if err := cur.All(ctx, &entries); err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	latest := since
	for _, e := range entries {
		s.apply(ctx, e)
		if e.At.After(latest) {
			latest = e.At
		}
	}
	s.mu.Lock()
	if latest.After(s.lastSeen) {
		s.lastSeen = latest
	}
	purge := time.Since(s.purged) > time.Minute
	if purge {
		s.purged = time.Now()
	}
	s.mu.Unlock()
	if purge {
		now := time.Now()
		if _, err := s.revocations.DeleteMany(ctx, bson.M{"until": bson.M{"$lt": now}}); err != nil {
			return fmt.Errorf("mongostore: purging revocations: %w", err)
		}
		for _, c := range []*mongo.Collection{s.attempts, s.refresh, s.refreshUses, s.tickets} {
			if _, err := c.DeleteMany(ctx, bson.M{"until": bson.M{"$lt": now}}); err != nil {
				return fmt.Errorf("mongostore: purging %s: %w", c.Name(), err)
			}
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, e entry) {
	var r authentication.Revocation
	switch e.Kind {
	case "jti":
		s.mem.Revoke(ctx, e.Issuer, e.JTI, e.Until)
		r = authentication.Revocation{Issuer: e.Issuer, JTI: e.JTI}
	case "sub":
		s.mem.RevokeSubject(ctx, e.Subject, e.ValidAfter, e.Until.Sub(e.ValidAfter))
		r = authentication.Revocation{Subject: e.Subject, ValidAfter: e.ValidAfter}
	default:
		return
	}
	s.mu.Lock()
	fns := s.notify
	s.mu.Unlock()
	for _, fn := range fns {
		fn(ctx, r)
	}
}

// OnRevocation implements authentication.Notifier: fn hears of every revocation
// this store learns, including those other instances wrote, so their live
// connections here end too.
func (s *Store) OnRevocation(fn func(context.Context, authentication.Revocation)) {
	s.mu.Lock()
	s.notify = append(s.notify, fn)
	s.mu.Unlock()
}

// Revoke implements authentication.Revocations.
func (s *Store) Revoke(ctx context.Context, issuer, jti string, exp time.Time) error {
	e := entry{ID: "jti:" + issuer + ":" + jti, Kind: "jti", Issuer: issuer, JTI: jti, Until: exp, At: time.Now()}
	if _, err := s.revocations.ReplaceOne(ctx, bson.M{"_id": e.ID}, e, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	s.apply(ctx, e)
	return nil
}

// Revoked implements authentication.Revocations, from memory.
func (s *Store) Revoked(ctx context.Context, issuer, jti string) (bool, error) {
	return s.mem.Revoked(ctx, issuer, jti)
}

// RevokeSubject implements authentication.Revocations. The stored cut-off only
// ever moves forward, whichever instance writes last: the replacement matches
// only an older cut-off, and when a newer one is stored the upsert's insert
// fails on the duplicate _id, which leaves the newer one in place.
func (s *Store) RevokeSubject(ctx context.Context, subject string, validAfter time.Time, keep time.Duration) error {
	id := "sub:" + subject
	e := entry{ID: id, Kind: "sub", Subject: subject, ValidAfter: validAfter, Until: validAfter.Add(keep), At: time.Now()}
	_, err := s.revocations.ReplaceOne(ctx, bson.M{"_id": id, "validAfter": bson.M{"$lt": validAfter}}, e, options.Replace().SetUpsert(true))
	switch {
	case err == nil:
		s.apply(ctx, e)
		return nil
	case !mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("mongostore: %w", err)
	}
	var newer entry
	if err := s.revocations.FindOne(ctx, bson.M{"_id": id}).Decode(&newer); err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	s.apply(ctx, newer)
	return nil
}

// ValidAfter implements authentication.Revocations, from memory.
func (s *Store) ValidAfter(ctx context.Context, subject string) (time.Time, error) {
	return s.mem.ValidAfter(ctx, subject)
}

type attempt struct {
	ID    string    `bson:"_id"`
	Count int       `bson:"count"`
	Start time.Time `bson:"start"`
	Until time.Time `bson:"until"`
}

// Wait implements authentication.Throttler.
func (s *Store) Wait(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	var a attempt
	err := s.attempts.FindOne(ctx, bson.M{"_id": key}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mongostore: %w", err)
	}
	if a.Count < limit {
		return 0, nil
	}
	if left := time.Until(a.Start.Add(window)); left > 0 {
		return left, nil
	}
	return 0, nil
}

// Fail implements authentication.Throttler: it counts within the current window,
// or starts a new one. Concurrent failures of one key all count on MongoDB:
// the increment is one atomic update, and a window is (re)started only by an
// upsert that matches no current window, whose insert fails on the duplicate
// _id when another caller got there first, which sends this one back to the
// increment. (FerretDB applies $inc in its own process, so concurrent
// increments there can still be lost.)
func (s *Store) Fail(ctx context.Context, key string, window time.Duration) error {
	for range 8 {
		now := time.Now()
		res, err := s.attempts.UpdateOne(ctx,
			bson.M{"_id": key, "start": bson.M{"$gt": now.Add(-window)}},
			bson.M{"$inc": bson.M{"count": 1}})
		if err != nil {
			return fmt.Errorf("mongostore: %w", err)
		}
		if res.MatchedCount > 0 {
			return nil
		}
		a := attempt{ID: key, Count: 1, Start: now, Until: now.Add(window)}
		_, err = s.attempts.ReplaceOne(ctx, bson.M{"_id": key, "start": bson.M{"$lte": now.Add(-window)}}, a, options.Replace().SetUpsert(true))
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("mongostore: %w", err)
		}
		// Another caller opened the window meanwhile: count in it.
	}
	return fmt.Errorf("mongostore: counting a failure of %q: too much contention", key)
}

// Reset implements authentication.Throttler.
func (s *Store) Reset(ctx context.Context, key string) error {
	if _, err := s.attempts.DeleteOne(ctx, bson.M{"_id": key}); err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	return nil
}
