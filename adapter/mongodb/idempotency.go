package mongodb

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/pinionhq/pinion"
)

// Idempotency keeps the idempotency keys of creates (pinion.WithIdempotency)
// in a collection, one document per key (its digest is the _id), so that
// every instance on the database sees them. The _id's uniqueness decides
// concurrent claims: one insert wins, the others read the winner's record.
// An expired or abandoned key is taken over by an update conditioned on its
// state, which again only one claim wins. Expired keys are deleted as they
// are met (FerretDB has no TTL indexes).
type Idempotency struct {
	coll  *mongo.Collection
	swept atomic.Int64 // unix ms of the last sweep of expired keys
}

var _ pinion.IdempotencyStore = (*Idempotency)(nil)

// NewIdempotency returns the store of keys in coll.
func NewIdempotency(coll *mongo.Collection) *Idempotency { return &Idempotency{coll: coll} }

type idemDoc struct {
	Key         string    `bson:"_id"`
	Token       string    `bson:"token"`
	Fingerprint string    `bson:"fingerprint"`
	Done        bool      `bson:"done"`
	Result      string    `bson:"result"`
	Taken       time.Time `bson:"taken"`
	Expires     time.Time `bson:"expires"`
}

// Claim implements pinion.IdempotencyStore.
func (s *Idempotency) Claim(ctx context.Context, key, token, fingerprint string, ttl, lease time.Duration) (pinion.IdempotencyRecord, bool, error) {
	if now, last := time.Now().UnixMilli(), s.swept.Load(); now-last > time.Minute.Milliseconds() && s.swept.CompareAndSwap(last, now) {
		if _, err := s.coll.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: time.UnixMilli(now).UTC()}}}}); err != nil {
			return pinion.IdempotencyRecord{}, false, err
		}
	}
	for range 3 {
		now := time.Now().UTC().Truncate(time.Millisecond)
		doc := idemDoc{Key: key, Token: token, Fingerprint: fingerprint, Taken: now, Expires: now.Add(ttl)}
		_, err := s.coll.InsertOne(ctx, doc)
		if err == nil {
			return pinion.IdempotencyRecord{}, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return pinion.IdempotencyRecord{}, false, err
		}
		res, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}},
			bson.D{{Key: "done", Value: false}, {Key: "taken", Value: bson.D{{Key: "$lte", Value: now.Add(-lease)}}}},
		}}}, bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: token}, {Key: "fingerprint", Value: fingerprint}, {Key: "done", Value: false},
			{Key: "result", Value: ""}, {Key: "taken", Value: now}, {Key: "expires", Value: doc.Expires}}}})
		if err != nil {
			return pinion.IdempotencyRecord{}, false, err
		}
		if res.ModifiedCount == 1 {
			return pinion.IdempotencyRecord{}, true, nil
		}
		var held idemDoc
		err = s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&held)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile: claim again
		}
		if err != nil {
			return pinion.IdempotencyRecord{}, false, err
		}
		return pinion.IdempotencyRecord{Fingerprint: held.Fingerprint, Done: held.Done, Result: []byte(held.Result)}, false, nil
	}
	return pinion.IdempotencyRecord{}, false, errors.New("mongodb: an idempotency key is claimed and released again and again")
}

// Finish implements pinion.IdempotencyStore.
func (s *Idempotency) Finish(ctx context.Context, key, token string, result []byte) error {
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "token", Value: token}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}, {Key: "result", Value: string(result)}}}})
	return err
}

// Release implements pinion.IdempotencyStore.
func (s *Idempotency) Release(ctx context.Context, key, token string) error {
	_, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "token", Value: token}, {Key: "done", Value: false}})
	return err
}
