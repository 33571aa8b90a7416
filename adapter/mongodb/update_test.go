package mongodb

import (
	"errors"
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

type M = map[string]any

func TestModifier(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		data any
		want bson.D
		err  string // the BadRequest message, if the data is refused
	}{
		{name: "plain fields are $set", data: M{"a": 1.0, "b": "x"},
			want: bson.D{{Key: "$set", Value: M{"a": 1.0, "b": "x"}}}},
		{name: "an explicit $set merges and wins", data: M{"a": 1.0, "b": 2.0, "$set": M{"b": 3.0, "c": 4.0}},
			want: bson.D{{Key: "$set", Value: M{"a": 1.0, "b": 3.0, "c": 4.0}}}},
		{name: "operators pass through, in name order", data: M{
			"$unset": M{"a": ""}, "$inc": M{"n": 1.0}, "$push": M{"l": "x"}, "$addToSet": M{"s": "y"},
			"$pull": M{"l": "z"}, "$pullAll": M{"l": []any{"z"}}, "$pop": M{"l": 1.0}, "$min": M{"lo": 0.0},
			"$max": M{"hi": 9.0}, "$mul": M{"n": 2.0}, "$currentDate": M{"at": true}, "b": true,
		}, want: bson.D{
			{Key: "$set", Value: M{"b": true}},
			{Key: "$addToSet", Value: M{"s": "y"}}, {Key: "$currentDate", Value: M{"at": true}},
			{Key: "$inc", Value: M{"n": 1.0}}, {Key: "$max", Value: M{"hi": 9.0}},
			{Key: "$min", Value: M{"lo": 0.0}}, {Key: "$mul", Value: M{"n": 2.0}},
			{Key: "$pop", Value: M{"l": 1.0}}, {Key: "$pull", Value: M{"l": "z"}},
			{Key: "$pullAll", Value: M{"l": []any{"z"}}}, {Key: "$push", Value: M{"l": "x"}},
			{Key: "$unset", Value: M{"a": ""}},
		}},
		{name: "the id never changes", data: M{"_id": "x", "a": 1.0, "$set": M{"_id": "y"}, "$inc": M{"_id": 1.0}, "$unset": M{"_id.sub": ""}},
			want: bson.D{{Key: "$set", Value: M{"a": 1.0}}}},
		{name: "nor a custom id, nor _id", id: "id", data: M{"id": 5.0, "_id": "x", "$unset": M{"id": "", "other": ""}},
			want: bson.D{{Key: "$unset", Value: M{"other": ""}}}},
		{name: "bson.M from Go", data: bson.M{"a": 1.0, "$inc": bson.M{"n": 1.0}},
			want: bson.D{{Key: "$set", Value: M{"a": 1.0}}, {Key: "$inc", Value: M{"n": 1.0}}}},
		{name: "nothing to write", data: M{"_id": "x", "$unset": M{}}, want: bson.D{}},
		{name: "$rename is refused", data: M{"$rename": M{"a": "b"}}, err: "Invalid patch operator $rename"},
		{name: "unknown operators are refused", data: M{"$where": "1"}, err: "Invalid patch operator $where"},
		{name: "operators take objects", data: M{"$inc": 1.0}, err: "Invalid patch operator $inc: expected an object of fields"},
		{name: "$set takes an object", data: M{"$set": []any{}}, err: "Invalid patch operator $set: expected an object of fields"},
		{name: "data is an object", data: []any{M{}}, err: "Data must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(nil, Options{Options: adapter.Options{ID: tc.id}})
			orig := deepCopy(tc.data)
			got, err := s.modifier(tc.data)
			if tc.err != "" {
				var fe *pinion.Error
				if !errors.As(err, &fe) || fe.Code != 400 || fe.Message != tc.err {
					t.Fatalf("err = %v, want BadRequest %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.data, orig) {
				t.Errorf("the data was changed: %v, was %v", tc.data, orig)
			}
		})
	}
}

func TestReplacement(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		data any
		want bson.D
		err  string
	}{
		{name: "_id is dropped, fields in name order", data: M{"_id": "x", "b": 1.0, "a": 2.0},
			want: bson.D{{Key: "a", Value: 2.0}, {Key: "b", Value: 1.0}}},
		{name: "a custom id is kept", id: "id", data: M{"id": "other", "_id": "x", "a": 1.0},
			want: bson.D{{Key: "id", Value: "the-id"}, {Key: "a", Value: 1.0}}},
		{name: "operators are refused", data: M{"$set": M{"a": 1.0}},
			err: "Invalid field name '$set': update replaces the whole record; patch takes update operators"},
		{name: "data is an object", data: "x", err: "Data must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(nil, Options{Options: adapter.Options{ID: tc.id}})
			got, err := s.replacement(tc.data, "the-id")
			if tc.err != "" {
				var fe *pinion.Error
				if !errors.As(err, &fe) || fe.Code != 400 || fe.Message != tc.err {
					t.Fatalf("err = %v, want BadRequest %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case bson.M:
		return bson.M(deepCopy(map[string]any(x)).(map[string]any))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
