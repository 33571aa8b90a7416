package mongodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/services/mongodb"
	"github.com/pinionhq/pinion/services/mongodb/mongodbtest"
)

func TestMain(m *testing.M) { mongodbtest.Main(m) }

var ctx = context.Background()

func TestAdapter(t *testing.T) {
	db := mongodbtest.DB(t)
	n := 0
	adaptertest.Run(t, "_id", func(t testing.TB, opts adapter.Options) any {
		n++
		return mongodb.New(db.Collection(fmt.Sprintf("people%d", n)), mongodb.Options{Options: opts})
	})
}

func TestDuplicateKeyIsConflict(t *testing.T) {
	db := mongodbtest.DB(t)
	app := pinion.New()
	users := app.Use("users", mongodb.New(db.Collection("users"), mongodb.Options{
		Indexes: []mongo.IndexModel{{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)}},
	}))
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Create(ctx, map[string]any{"email": "a@b.c"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := users.Create(ctx, map[string]any{"email": "a@b.c"}, nil)
	fe := pinion.ToError(err, false)
	b, _ := json.Marshal(fe)
	if fe.Code != 409 || strings.Contains(string(b), "E11000") {
		t.Fatalf("got %s", b)
	}
	if want := `{"name":"Conflict","message":"Duplicate value for 'email'","code":409,"className":"conflict","data":{"field":"email"}}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestObjectIDs(t *testing.T) {
	db := mongodbtest.DB(t)
	s := mongodb.New(db.Collection("messages"), mongodb.Options{Options: adapter.Options{Fields: adapter.Fields{"userId": adapter.ObjectID}}})
	user := bson.NewObjectID()
	created, err := s.Create(ctx, map[string]any{"text": "hi", "userId": user}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := created.(map[string]any)["_id"].(bson.ObjectID)
	// REST gives hex strings: for the id, for ObjectID fields, inside $in too.
	got, err := s.Get(ctx, id.Hex(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"_id":"`+id.Hex()+`"`) {
		t.Errorf("ObjectId JSON: %s", b)
	}
	res, err := s.Find(ctx, &pinion.Params{Query: map[string]any{"userId": map[string]any{"$in": []any{user.Hex()}}}})
	if err != nil || len(res.([]map[string]any)) != 1 {
		t.Errorf("$in with hex: %v %v", res, err)
	}
	for _, bad := range []any{map[string]any{"a": 1}, true, []any{1}} {
		_, err := s.Get(ctx, bad, nil)
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 400 || !strings.HasPrefix(fe.Message, "Invalid id '") {
			t.Errorf("id %v: %v", bad, err)
		}
	}
	if _, err := s.Find(ctx, &pinion.Params{Query: map[string]any{"userId": "nothex"}}); err == nil {
		t.Error("a non-hex ObjectID field value must be a BadRequest")
	}
}

func TestDriverErrorsAreHidden(t *testing.T) {
	db := mongodbtest.DB(t)
	s := mongodb.New(db.Collection("x"), mongodb.Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Find(cctx, nil)
	if err == nil {
		t.Fatal("want an error from a cancelled context")
	}
	fe := pinion.ToError(err, false)
	if fe.Code >= 500 && fe.Message != "Internal server error" {
		t.Errorf("driver detail reached the client: %q", fe.Message)
	}
}

func seeded(b *testing.B) *mongodb.Service {
	db := mongodbtest.DB(b)
	s := mongodb.New(db.Collection("messages"), mongodb.Options{Options: adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 50}}})
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"text": fmt.Sprintf("message %d", i), "createdAt": float64(i)}
	}
	if _, err := s.Create(ctx, items, nil); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	s := seeded(b)
	res, _ := s.Find(ctx, nil)
	id := res.(*pinion.Page).Data[0]["_id"].(bson.ObjectID).Hex()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, id, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	s := seeded(b)
	params := &pinion.Params{Query: map[string]any{"$sort": map[string]any{"createdAt": "-1"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Find(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}
