package mongodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
)

// offline is a service on a collection of a client that never connects: what
// the error tests need is its name and its indexes.
func offline(t *testing.T, indexes ...mongo.IndexModel) *Service {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return New(c.Database("db").Collection("Users"), Options{Indexes: indexes})
}

func unique(keys bson.D, name string) mongo.IndexModel {
	o := options.Index().SetUnique(true)
	if name != "" {
		o.SetName(name)
	}
	return mongo.IndexModel{Keys: keys, Options: o}
}

func TestParseIndexName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"email_1", []string{"email"}},
		{"created_at_-1", []string{"created_at"}},
		{"orgId_1_email_1", []string{"orgId", "email"}},
		{"body_text", []string{"body"}},
		{"loc_2dsphere_kind_1", []string{"loc", "kind"}},
		{"emails", nil},
		{"unique_email", nil},
		{"", nil},
	} {
		if got := parseIndexName(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("parseIndexName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDuplicateFields(t *testing.T) {
	email := unique(bson.D{{Key: "email", Value: 1}}, "")
	nick := unique(bson.D{{Key: "org", Value: 1}, {Key: "nick", Value: 1}}, "orgnick")
	plain := mongo.IndexModel{Keys: bson.D{{Key: "createdAt", Value: -1}}}
	keyPattern, _ := bson.Marshal(bson.D{{Key: "code", Value: 11000}, {Key: "keyPattern", Value: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}})
	keyValue, _ := bson.Marshal(bson.D{{Key: "code", Value: 11000}, {Key: "keyValue", Value: bson.D{{Key: "login", Value: "x"}}}})
	e11000 := func(msg string, raw bson.Raw) error {
		return mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: msg, Raw: raw}}}
	}
	sqlite := func(index string) error {
		return fmt.Errorf("wrapped: %w", mongo.CommandError{Code: 1, Name: "InternalError",
			Message: "[msg_findandmodify.go:196 …] constraint failed: UNIQUE constraint failed: index '" + index + "' (2067)"})
	}
	for _, tc := range []struct {
		name    string
		indexes []mongo.IndexModel
		err     error
		want    string // the field; "-" when err is no duplicate
	}{
		{"keyPattern of MongoDB", nil, e11000("E11000 duplicate key error collection: db.Users index: a_1_b_1 dup key: { … }", keyPattern), "a, b"},
		{"keyValue of MongoDB", nil, e11000("E11000 …", keyValue), "login"},
		{"default index name in the message", nil, e11000("E11000 duplicate key error collection: db.Users index: email_1 dup key: { email: \"x\" }", nil), "email"},
		{"declared index name in the message", []mongo.IndexModel{email, nick}, e11000("E11000 duplicate key error collection: db.Users index: orgnick dup key: { … }", nil), "org, nick"},
		{"unknown index name", []mongo.IndexModel{email, nick}, e11000("E11000 duplicate key error collection: db.Users index: custom dup key: { … }", nil), ""},
		{"FerretDB insert, one unique index", []mongo.IndexModel{email, plain}, e11000("E11000 duplicate key error collection: db.Users", nil), "email"},
		{"FerretDB insert, two unique indexes", []mongo.IndexModel{email, nick}, e11000("E11000 duplicate key error collection: db.Users", nil), ""},
		{"FerretDB insertMany", []mongo.IndexModel{email}, mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{{WriteError: mongo.WriteError{Code: 11000, Message: "E11000 duplicate key error collection: db.Users"}}}}, "email"},
		{"FerretDB update", []mongo.IndexModel{email, nick}, sqlite("users_1a2b3c4d_orgnick"), "org, nick"},
		{"FerretDB update, default name", nil, sqlite("users_1a2b3c4d_email_1"), "email"},
		{"FerretDB update, reserved table prefix", nil, sqlite("_users_1a2b3c4d_email_1"), "email"},
		{"command error 11000", nil, mongo.CommandError{Code: 11000, Message: "E11000 duplicate key error collection: db.Users index: nick_1 dup key: { … }"}, "nick"},
		{"not a duplicate", []mongo.IndexModel{email}, mongo.CommandError{Code: 2, Name: "BadValue"}, "-"},
		{"not a server error", []mongo.IndexModel{email}, errors.New("UNIQUE constraint failed: index 'users_1a2b3c4d_email_1'"), "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields, ok := offline(t, tc.indexes...).duplicate(tc.err)
			got := strings.Join(fields, ", ")
			if !ok {
				got = "-"
			}
			if got != tc.want {
				t.Errorf("field %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	s := offline(t, unique(bson.D{{Key: "email", Value: 1}}, "email_1"))
	dup := mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "E11000 duplicate key error collection: db.Users"}}}
	for _, tc := range []struct {
		name string
		err  error
		want string // JSON as a client sees it in production
	}{
		{"duplicate", dup,
			`{"name":"Conflict","message":"Duplicate value for 'email'","code":409,"className":"conflict","data":{"field":"email"}}`},
		{"refused data", mongo.CommandError{Code: 14, Name: "TypeMismatch", Message: "Cannot apply $inc to a value of non-numeric type. {_id: ObjectId('…')} has the field 'name' of non-numeric type string"},
			`{"name":"BadRequest","message":"The database refused the patch: TypeMismatch","code":400,"className":"bad-request"}`},
		{"refused write", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 52, Message: "…"}}},
			`{"name":"BadRequest","message":"The database refused the patch: DollarPrefixedFieldName","code":400,"className":"bad-request"}`},
		{"anything else", mongo.CommandError{Code: 13, Name: "Unauthorized", Message: "not authorized on db"},
			`{"name":"GeneralError","message":"Internal server error","code":500,"className":"general-error"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.wrap("patch", tc.err)
			if se := mongo.ServerError(nil); !errors.As(err, &se) {
				t.Errorf("%v does not wrap the driver's error", err)
			}
			b, _ := json.Marshal(pinion.ToError(err, false))
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
	if err := s.wrap("find", context.DeadlineExceeded); pinion.ToError(err, false).Code != 408 {
		t.Errorf("a deadline is %v, want a Timeout", pinion.ToError(err, false))
	}
	if got, want := s.wrap("find", errors.New("boom")).Error(), "mongodb: find Users: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
