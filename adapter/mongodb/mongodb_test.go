package mongodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/adaptertest"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
)

func TestMain(m *testing.M) { mongodbtest.Main(m) }

var ctx = context.Background()

type M = map[string]any

func TestAdapter(t *testing.T) {
	db := mongodbtest.DB(t)
	var n atomic.Int64
	adaptertest.Run(t, "_id", func(t testing.TB, opts adapter.Options) any {
		coll := db.Collection(fmt.Sprintf("people%d", n.Add(1)))
		return mongodb.New(coll, mongodb.Options{Options: opts})
	})
}

func TestTypedAdapter(t *testing.T) {
	db := mongodbtest.DB(t)
	var n atomic.Int64
	coll := func() *mongo.Collection { return db.Collection(fmt.Sprintf("typed%d", n.Add(1))) }
	t.Run("ObjectId", func(t *testing.T) {
		adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[bson.ObjectID], bson.ObjectID] {
			return mongodb.Typed[adaptertest.Person[bson.ObjectID], bson.ObjectID](coll(), mongodb.Options{Options: opts})
		})
	})
	t.Run("string", func(t *testing.T) {
		adaptertest.RunTyped(t, func(t testing.TB, opts adapter.Options) pinion.TypedService[adaptertest.Person[string], string] {
			return mongodb.Typed[adaptertest.Person[string], string](coll(), mongodb.Options{Options: opts})
		})
	})
}

// service returns a service on a fresh collection, set up on an app as
// "things", with every multi method allowed.
func service(t *testing.T, opts mongodb.Options) (*pinion.Service, *mongodb.Service) {
	t.Helper()
	if opts.Multi == nil {
		opts.Multi = []pinion.Method{"create", "patch", "remove"}
	}
	impl := mongodb.New(mongodbtest.DB(t).Collection("things"), opts)
	app := pinion.New()
	svc := app.Use("things", impl)
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	return svc, impl
}

func create(t *testing.T, svc *pinion.Service, data M) M {
	t.Helper()
	res, err := svc.Create(ctx, data, nil)
	if err != nil {
		t.Fatalf("create %v: %v", data, err)
	}
	return res.(M)
}

func get(t *testing.T, svc *pinion.Service, id any) M {
	t.Helper()
	res, err := svc.Get(ctx, id, nil)
	if err != nil {
		t.Fatalf("get %v: %v", id, err)
	}
	return res.(M)
}

// wantError checks the JSON a client sees in production.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", want)
	}
	b, _ := json.Marshal(pinion.ToError(err, false))
	if string(b) != want {
		t.Errorf("error %s\n want %s", b, want)
	}
}

func TestDuplicateKeyIsConflict(t *testing.T) {
	const conflict = `{"name":"Conflict","message":"Duplicate value for '%s'","code":409,"className":"conflict","data":{"field":"%s"}}`
	email := fmt.Sprintf(conflict, "email", "email")
	nick := fmt.Sprintf(conflict, "org, nick", "org, nick")
	for _, tc := range []struct {
		name string
		call func(svc *pinion.Service, ann, bob any) (any, error)
		want string
	}{
		{"create", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Create(ctx, M{"email": "ann@example.com"}, nil)
		}, email},
		{"create multi", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Create(ctx, []any{M{"email": "new@example.com"}, M{"email": "new@example.com"}}, nil)
		}, email},
		{"patch", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Patch(ctx, bob, M{"email": "ann@example.com"}, nil)
		}, email},
		{"patch multi", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Patch(ctx, nil, M{"email": "same@example.com"}, nil)
		}, email},
		{"update", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Update(ctx, bob, M{"email": "ann@example.com"}, nil)
		}, email},
		{"compound index", func(svc *pinion.Service, ann, bob any) (any, error) {
			return svc.Patch(ctx, bob, M{"org": "o", "nick": "n"}, nil)
		}, nick},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := service(t, mongodb.Options{Indexes: []mongo.IndexModel{
				{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)},
				{Keys: bson.D{{Key: "org", Value: 1}, {Key: "nick", Value: 1}}, Options: options.Index().SetUnique(true).SetName("org_nick")},
			}})
			ann := create(t, svc, M{"email": "ann@example.com", "org": "o", "nick": "n"})
			bob := create(t, svc, M{"email": "bob@example.com", "org": "o", "nick": "b"})
			_, err := tc.call(svc, ann["_id"], bob["_id"])
			wantError(t, err, tc.want)
			if got := get(t, svc, bob["_id"]); got["email"] != "bob@example.com" || got["nick"] != "b" {
				t.Errorf("bob is now %v", got)
			}
		})
	}
}

func TestObjectIDs(t *testing.T) {
	svc, _ := service(t, mongodb.Options{Options: adapter.Options{Fields: adapter.Fields{"userId": adapter.ObjectID}}})
	user, other := bson.NewObjectID(), bson.NewObjectID()
	a := create(t, svc, M{"name": "a", "userId": user})
	create(t, svc, M{"name": "b", "userId": other})
	id, ok := a["_id"].(bson.ObjectID)
	if !ok {
		t.Fatalf("_id is %T, want a bson.ObjectID", a["_id"])
	}

	// REST gives hex strings: as the id, for ObjectId fields, inside $in and $nin.
	got := get(t, svc, id.Hex())
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"_id":"`+id.Hex()+`"`) || !strings.Contains(string(b), `"userId":"`+user.Hex()+`"`) {
		t.Errorf("ObjectIds in JSON: %s", b)
	}
	for _, tc := range []struct {
		query M
		want  string
	}{
		{M{"userId": user.Hex()}, "a"},
		{M{"userId": M{"$in": []any{user.Hex()}}}, "a"},
		{M{"userId": M{"$nin": []any{user.Hex()}}}, "b"},
		{M{"userId": M{"$ne": user.Hex()}}, "b"},
		{M{"_id": M{"$in": []any{id.Hex()}}}, "a"},
		{M{"_id": id.Hex()}, "a"},
	} {
		res, err := svc.Find(ctx, &pinion.Params{Query: tc.query})
		if err != nil {
			t.Fatalf("%v: %v", tc.query, err)
		}
		if list := res.([]M); len(list) != 1 || list[0]["name"] != tc.want {
			t.Errorf("%v found %v, want %s", tc.query, list, tc.want)
		}
	}
	_, err := svc.Find(ctx, &pinion.Params{Query: M{"userId": "nothex"}})
	wantError(t, err, `{"name":"BadRequest","message":"Invalid value for 'userId': \"nothex\" is not an ObjectId","code":400,"className":"bad-request","data":{"field":"userId","type":"ObjectId"}}`)

	for _, bad := range []any{M{"a": 1.0}, true, []any{1.0}} {
		_, err := svc.Get(ctx, bad, nil)
		b, _ := json.Marshal(bad)
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 400 || fe.Message != "Invalid id '"+string(b)+"'" {
			t.Errorf("get %s: %v, want BadRequest \"Invalid id '%s'\"", b, err, b)
		}
	}
	_, err = svc.Get(ctx, "not-an-object-id", nil)
	wantError(t, err, `{"name":"NotFound","message":"No record found for id 'not-an-object-id'","code":404,"className":"not-found"}`)
	_, err = svc.Get(ctx, 123456789.0, nil)
	wantError(t, err, `{"name":"NotFound","message":"No record found for id '123456789'","code":404,"className":"not-found"}`)

	// A hex _id in create data is stored as an ObjectId.
	hex := bson.NewObjectID().Hex()
	c := create(t, svc, M{"_id": hex, "name": "c"})
	if oid, ok := c["_id"].(bson.ObjectID); !ok || oid.Hex() != hex {
		t.Errorf("created _id %#v, want the ObjectId %s", c["_id"], hex)
	}
	if oid, ok := get(t, svc, hex)["_id"].(bson.ObjectID); !ok || oid.Hex() != hex {
		t.Errorf("stored _id is not the ObjectId %s", hex)
	}
}

func TestPatch(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	doug := create(t, svc, M{"name": "Doug", "age": 32.0, "tags": []any{"a"}})
	id := doug["_id"]

	_, err := svc.Patch(ctx, id, M{"$rename": M{"name": "nick"}}, nil)
	wantError(t, err, `{"name":"BadRequest","message":"Invalid patch operator $rename","code":400,"className":"bad-request"}`)
	if got := get(t, svc, id); got["name"] != "Doug" {
		t.Errorf("after a refused $rename: %v", got)
	}

	res, err := svc.Patch(ctx, id, M{
		"$inc":      M{"age": 1.0},
		"$addToSet": M{"tags": "b"},
		"$set":      M{"_id": bson.NewObjectID(), "city": "Oslo"},
		"_id":       bson.NewObjectID().Hex(),
		"$max":      M{"best": 5.0},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := M{"_id": id, "name": "Doug", "age": 33.0, "tags": []any{"a", "b"}, "city": "Oslo", "best": 5.0}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("patched %v\n   want %v", res, want)
	}
	if got := get(t, svc, id); !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v\n  want %v", got, want)
	}

	// Data the database refuses is the client's mistake, without the server's text.
	_, err = svc.Patch(ctx, id, M{"$inc": M{"name": 1.0}}, nil)
	wantError(t, err, `{"name":"BadRequest","message":"The database refused the patch: TypeMismatch","code":400,"className":"bad-request"}`)
	_, err = svc.Patch(ctx, id, M{"city": "Rome", "$unset": M{"city": ""}}, nil)
	wantError(t, err, `{"name":"BadRequest","message":"The database refused the patch: ConflictingUpdateOperators","code":400,"className":"bad-request"}`)

	// Nothing to write reads the record, and the query still applies.
	if res, err := svc.Patch(ctx, id, M{"_id": "x"}, nil); err != nil || !reflect.DeepEqual(res, want) {
		t.Errorf("empty patch: %v, %v", res, err)
	}
	_, err = svc.Patch(ctx, id, M{}, &pinion.Params{Query: M{"name": "Dave"}})
	wantError(t, err, fmt.Sprintf(`{"name":"NotFound","message":"No record found for id '%s'","code":404,"className":"not-found"}`, pinion.IDString(id)))
}

func TestUpdate(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	doug := create(t, svc, M{"name": "Doug", "age": 32.0})
	id := doug["_id"]
	res, err := svc.Update(ctx, pinion.IDString(id), M{"_id": bson.NewObjectID(), "name": "Dougler"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (M{"_id": id, "name": "Dougler"}); !reflect.DeepEqual(res, want) || !reflect.DeepEqual(get(t, svc, id), want) {
		t.Errorf("updated %v, want %v", res, want)
	}
	_, err = svc.Update(ctx, id, M{"$set": M{"name": "x"}}, nil)
	wantError(t, err, `{"name":"BadRequest","message":"Invalid field name '$set': update replaces the whole record; patch takes update operators","code":400,"className":"bad-request"}`)
}

// TestSelectOnModifiedResults checks $select on the results of patch, update
// and remove, which are projected in Go (FerretDB cannot project findAndModify),
// dotted paths included.
func TestSelectOnModifiedResults(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	sel := &pinion.Params{Query: M{"$select": []any{"name", "address.city"}}}
	doug := create(t, svc, M{"name": "Doug", "age": 32.0, "address": M{"city": "Oslo", "zip": "0150"}})
	id := doug["_id"]
	want := M{"_id": id, "name": "Doug", "address": M{"city": "Oslo"}}
	for _, tc := range []struct {
		method string
		call   func() (any, error)
	}{
		{"get", func() (any, error) { return svc.Get(ctx, id, sel) }},
		{"find", func() (any, error) {
			res, err := svc.Find(ctx, sel)
			if err != nil {
				return nil, err
			}
			return res.([]M)[0], nil
		}},
		{"create", func() (any, error) {
			return svc.Create(ctx, M{"name": "Doug", "age": 1.0, "address": M{"city": "Oslo", "zip": "1"}}, sel)
		}},
		{"patch", func() (any, error) { return svc.Patch(ctx, id, M{"age": 33.0}, sel) }},
		{"patch multi", func() (any, error) {
			res, err := svc.Patch(ctx, nil, M{"age": 34.0}, &pinion.Params{Query: M{"_id": id, "$select": []any{"name", "address.city"}}})
			if err != nil {
				return nil, err
			}
			return res.([]M)[0], nil
		}},
		{"update", func() (any, error) {
			return svc.Update(ctx, id, M{"name": "Doug", "age": 35.0, "address": M{"city": "Oslo", "zip": "0150"}}, sel)
		}},
		{"remove", func() (any, error) { return svc.Remove(ctx, id, sel) }},
	} {
		res, err := tc.call()
		if err != nil {
			t.Fatalf("%s: %v", tc.method, err)
		}
		rec := res.(M)
		if tc.method == "create" {
			rec["_id"] = id // a new record
		}
		if !reflect.DeepEqual(rec, want) {
			t.Errorf("%s answered %v, want %v", tc.method, rec, want)
		}
	}
}

// TestCreate checks that create answers what get would read, without reading
// it back: the stored types, the id, no aliasing of the data given.
func TestCreate(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	at := time.Date(2026, 11, 22, 10, 5, 55, 123456789, time.FixedZone("CET", 3600))
	data := M{"name": "Ann", "n": 7, "big": int64(1) << 40, "at": at, "address": M{"city": "Oslo"}, "tags": []any{"x"}, "nil": nil}
	res, err := svc.Create(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.(M)
	stored := get(t, svc, rec["_id"])
	if !reflect.DeepEqual(rec, stored) {
		t.Errorf("created %#v\n stored %#v", rec, stored)
	}
	if got, ok := rec["at"].(time.Time); !ok || !got.Equal(at.Truncate(time.Millisecond)) || got.Location() != time.UTC {
		t.Errorf("at = %v, want %v in UTC, to the millisecond", rec["at"], at)
	}
	rec["address"].(M)["city"] = "Rome"
	if data["address"].(M)["city"] != "Oslo" {
		t.Error("the created record aliases the data given")
	}
	if _, ok := data["_id"]; ok {
		t.Error("create changed the data given")
	}

	list, err := svc.Create(ctx, []map[string]any{{"name": "B"}, {"name": "C"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := list.([]M); len(l) != 2 || l[0]["name"] != "B" || l[1]["_id"] == nil {
		t.Errorf("created %v", list)
	}
}

// TestDates checks that dates round-trip as time.Time and compare in queries,
// from Go values and from REST strings through Fields.
func TestDates(t *testing.T) {
	svc, _ := service(t, mongodb.Options{Options: adapter.Options{Fields: adapter.Fields{"at": adapter.Date}}})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	create(t, svc, M{"name": "early", "at": at})
	late := create(t, svc, M{"name": "late"})
	if _, err := svc.Patch(ctx, late["_id"], M{"at": at.Add(time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []M{
		{"at": M{"$gt": at}},
		{"at": M{"$gt": at.Format(time.RFC3339)}},
		{"at": M{"$gt": fmt.Sprint(at.UnixMilli())}},
	} {
		res, err := svc.Find(ctx, &pinion.Params{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		list := res.([]M)
		if len(list) != 1 || list[0]["name"] != "late" {
			t.Fatalf("%v found %v", q, list)
		}
		if got, ok := list[0]["at"].(time.Time); !ok || !got.Equal(at.Add(time.Hour)) {
			t.Errorf("at = %#v, want a time.Time", list[0]["at"])
		}
	}
}

func TestCustomID(t *testing.T) {
	svc, _ := service(t, mongodb.Options{Options: adapter.Options{ID: "id"}})
	a := create(t, svc, M{"name": "a"})
	id, ok := a["id"].(string)
	if _, err := bson.ObjectIDFromHex(id); !ok || err != nil {
		t.Fatalf("generated id %#v, want an ObjectId's hex", a["id"])
	}
	if _, ok := a["_id"].(bson.ObjectID); !ok {
		t.Errorf("_id = %#v, want an ObjectId", a["_id"])
	}
	// The hex id stays a string in queries: it is not an ObjectId here.
	res, err := svc.Find(ctx, &pinion.Params{Query: M{"id": id}})
	if err != nil || len(res.([]M)) != 1 {
		t.Errorf("find by id: %v, %v", res, err)
	}
	if _, err := svc.Patch(ctx, id, M{"id": "other", "name": "b"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, id, M{"id": "other", "name": "c"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := get(t, svc, id); got["name"] != "c" || got["id"] != id {
		t.Errorf("after patch and update: %v", got)
	}
	create(t, svc, M{"id": "given", "name": "g"})
	removed, err := svc.Remove(ctx, nil, &pinion.Params{Query: M{"name": "g"}})
	if err != nil || len(removed.([]M)) != 1 {
		t.Fatalf("remove multi: %v, %v", removed, err)
	}
	if res, _ := svc.Find(ctx, nil); len(res.([]M)) != 1 {
		t.Errorf("left %v, want only a", res)
	}

	// A numeric custom id, declared so, takes REST's strings.
	nums, _ := service(t, mongodb.Options{Options: adapter.Options{ID: "id", Fields: adapter.Fields{"id": adapter.Number}}})
	create(t, nums, M{"id": 5.0, "name": "five"})
	if got := get(t, nums, "5"); got["name"] != "five" {
		t.Errorf("get \"5\": %v", got)
	}
}

func TestSetup(t *testing.T) {
	_, impl := service(t, mongodb.Options{Indexes: []mongo.IndexModel{
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)},
	}})
	specs, err := impl.Collection().Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
		if s.Name == "email_1" && (s.Unique == nil || !*s.Unique) {
			t.Error("email_1 is not unique")
		}
	}
	if !strings.Contains(strings.Join(names, ","), "email_1") {
		t.Errorf("indexes %v, want email_1", names)
	}
	// Setting up again (a restart) is fine.
	if err := impl.Setup(ctx, nil, "things"); err != nil {
		t.Error(err)
	}

	if os.Getenv(mongodbtest.EnvURL) == "" {
		// FerretDB has no TTL indexes: Setup says so rather than go without.
		ttl := mongodb.New(impl.Collection(), mongodb.Options{Indexes: []mongo.IndexModel{
			{Keys: bson.D{{Key: "expiresAt", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)},
		}})
		if err := ttl.Setup(ctx, nil, "things"); err == nil || !strings.Contains(err.Error(), "expireAfterSeconds") {
			t.Errorf("a TTL index on FerretDB: %v, want an error", err)
		}
	}
}

func TestDriverErrorsAreHidden(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := svc.Find(cctx, nil)
	if err == nil {
		t.Fatal("want an error from a cancelled context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
	wantError(t, err, `{"name":"GeneralError","message":"Internal server error","code":500,"className":"general-error"}`)
}
