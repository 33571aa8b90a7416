package mongodb_test

import (
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

// TestIdempotency runs the stores' checks with two stores on one collection:
// what two instances share is the database, whose unique _id decides claims.
func TestIdempotency(t *testing.T) {
	adaptertest.RunIdempotency(t, func(t testing.TB) adaptertest.IdempotencyStores {
		coll := mongodbtest.DB(t).Collection("keys")
		return adaptertest.IdempotencyStores{A: mongodb.NewIdempotency(coll), B: mongodb.NewIdempotency(coll),
			Restart: func(t testing.TB) pinion.IdempotencyStore { return mongodb.NewIdempotency(coll) }}
	})
}
