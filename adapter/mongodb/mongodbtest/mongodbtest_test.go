package mongodbtest_test

import (
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

func TestMain(m *testing.M) { mongodbtest.Main(m) }

func TestDB(t *testing.T) {
	var name string
	t.Run("uses", func(t *testing.T) {
		db, other := mongodbtest.DB(t), mongodbtest.DB(t)
		if db.Name() == other.Name() {
			t.Fatalf("two tests share %s", db.Name())
		}
		name = db.Name()
		if _, err := db.Collection("c").InsertOne(t.Context(), bson.M{"a": 1}); err != nil {
			t.Fatal(err)
		}
	})
	names, err := mongodbtest.Client(t).ListDatabaseNames(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, name) {
		t.Errorf("%s was not dropped after its test", name)
	}
}
