package mongodb

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestDocument(t *testing.T) {
	oid := bson.NewObjectID()
	at := time.Date(2026, 11, 22, 10, 5, 55, 123e6, time.FixedZone("CET", 3600))
	dec, _ := bson.ParseDecimal128("1.50")
	for _, tc := range []struct {
		name string
		in   any
		want any
	}{
		{"double", 1.5, 1.5},
		{"int32", int32(7), int32(7)},
		{"int64", int64(1) << 40, int64(1) << 40},
		{"string", "x", "x"},
		{"bool", true, true},
		{"null", nil, nil},
		{"ObjectId", oid, oid},
		{"date in UTC", at, at.UTC()},
		{"bson.DateTime", bson.NewDateTimeFromTime(at), at.UTC()},
		{"embedded document", bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: "c"}}}},
			map[string]any{"a": map[string]any{"b": "c"}}},
		{"bson.M", bson.M{"a": 1.0}, map[string]any{"a": 1.0}},
		{"array", bson.A{"a", bson.M{"b": 1.0}, bson.A{2.0}},
			[]any{"a", map[string]any{"b": 1.0}, []any{2.0}}},
		{"empty array", bson.A{}, []any{}},
		{"Decimal128", dec, "1.50"},
		{"binary", bson.Binary{Data: []byte{1, 2}}, []byte{1, 2}},
		{"regex", bson.Regex{Pattern: "^a", Options: "i"}, "/^a/i"},
		{"timestamp", bson.Timestamp{T: 1700000000}, time.Unix(1700000000, 0).UTC()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := bson.Marshal(bson.D{{Key: "v", Value: tc.in}})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := document(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := doc["v"]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
		})
	}
}

// TestDocumentCopies checks that a decoded document shares no memory with the
// BSON it came from, which the driver reuses.
func TestDocumentCopies(t *testing.T) {
	raw, _ := bson.Marshal(bson.D{{Key: "s", Value: "abc"}, {Key: "b", Value: bson.Binary{Data: []byte("xyz")}}})
	doc, err := document(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = 0
	}
	if doc["s"] != "abc" || string(doc["b"].([]byte)) != "xyz" {
		t.Errorf("the document changed with its BSON: %v", doc)
	}
}

func TestObjectIDJSON(t *testing.T) {
	oid := bson.NewObjectID()
	b, err := json.Marshal(map[string]any{"_id": oid})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"_id":"` + oid.Hex() + `"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func BenchmarkDocument(b *testing.B) {
	raw, _ := bson.Marshal(bson.D{
		{Key: "_id", Value: bson.NewObjectID()},
		{Key: "text", Value: "a message of some length"},
		{Key: "createdAt", Value: time.Now()},
		{Key: "userId", Value: bson.NewObjectID()},
		{Key: "tags", Value: bson.A{"a", "b"}},
		{Key: "user", Value: bson.D{{Key: "name", Value: "Doug"}, {Key: "age", Value: 32.0}}},
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := document(raw); err != nil {
			b.Fatal(err)
		}
	}
}
