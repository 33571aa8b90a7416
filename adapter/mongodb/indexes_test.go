package mongodb_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

// tagged declares its indexes in its struct: email unique, room plain.
type tagged struct {
	ID    bson.ObjectID `json:"_id"`
	Email string        `json:"email" index:"unique"`
	Room  string        `json:"room" index:"true"`
	Text  string        `json:"text"`
}

// TestTaggedIndexes checks that the indexes a typed service's struct tags
// declare are created, and used: on MongoDB the query planner's explanation
// of a find on a tagged field is a scan of its index.
func TestTaggedIndexes(t *testing.T) {
	coll := mongodbtest.DB(t).Collection("tagged")
	typed := mongodb.Typed[tagged, bson.ObjectID](coll, mongodb.Options{})
	if err := typed.Inner().(*mongodb.Service).Setup(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{} // name → unique
	for _, s := range specs {
		got[s.Name] = s.Unique != nil && *s.Unique
	}
	for name, unique := range map[string]bool{"email_1": true, "room_1": false} {
		if u, ok := got[name]; !ok || u != unique {
			t.Errorf("index %s: present %v, unique %v; want unique %v (indexes %v)", name, ok, u, unique, got)
		}
	}
	if _, err := typed.Create(ctx, tagged{Email: "a@example.com", Room: "r1"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := typed.Create(ctx, tagged{Email: "a@example.com", Room: "r2"}, nil); err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("a second record with the same email: %v, want a conflict on email", err)
	}
	plan := explain(t, coll, bson.D{{Key: "room", Value: "r1"}})
	if strings.Contains(plan, `"Plan"`) {
		// FerretDB 1.24 on SQLite explains with SQLite's plan, and pushes
		// no filter but _id down: it creates the index, and scans.
		t.Logf("FerretDB does not use secondary indexes (plan %s); the plan is checked on MongoDB (%s)", plan, mongodbtest.EnvURL)
		return
	}
	if !strings.Contains(plan, `"IXSCAN"`) || !strings.Contains(plan, `"room_1"`) {
		t.Errorf("the plan of {room: r1} is no scan of the index room_1: %s", plan)
	}
}

// explain returns the query planner's explanation of a find, as JSON text.
func explain(t *testing.T, coll *mongo.Collection, filter bson.D) string {
	t.Helper()
	var res bson.M
	cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: coll.Name()}, {Key: "filter", Value: filter}}}}
	if err := coll.Database().RunCommand(ctx, cmd).Decode(&res); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res["queryPlanner"])
	return string(b)
}
