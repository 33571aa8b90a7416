package schema_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pinionhq/pinion/schema"
)

type point struct {
	X  int `json:"x"`
	ID int `json:"id" readOnly:"true"`
}

type shape struct {
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
	Center point     `json:"center"`
	Anchor *point    `json:"anchor"`
	Points []point   `json:"points"`
	Tags   []string  `json:"tags"`
}

// Nested structs are decoded member by member, from JSON and from maps
// alike: unknown members are refused and problems are named by their path.
func TestDecodeNested(t *testing.T) {
	st := schema.For[shape]()
	for _, tc := range []struct {
		name string
		json string
		m    map[string]any
		want []schema.Problem
	}{
		{"unknown member", `{"center":{"x":1,"y":2}}`, map[string]any{"center": map[string]any{"x": 1.0, "y": 2.0}},
			[]schema.Problem{{Path: "/center/y", Message: "is not a field"}}},
		{"wrong type inside", `{"anchor":{"x":"one"}}`, map[string]any{"anchor": map[string]any{"x": "one"}},
			[]schema.Problem{{Path: "/anchor/x", Message: "must be an integer"}}},
		{"a struct in a list", `{"points":[{"x":1},{"z":1}]}`, map[string]any{"points": []any{map[string]any{"x": 1.0}, map[string]any{"z": 1.0}}},
			[]schema.Problem{{Path: "/points/1/z", Message: "is not a field"}}},
		{"a list element", `{"tags":["a",2]}`, map[string]any{"tags": []any{"a", 2.0}},
			[]schema.Problem{{Path: "/tags/1", Message: "must be a string"}}},
		{"not an object", `{"center":[1]}`, map[string]any{"center": []any{1.0}},
			[]schema.Problem{{Path: "/center", Message: "must be an object"}}},
		{"not a list", `{"points":{"x":1}}`, map[string]any{"points": map[string]any{"x": 1.0}},
			[]schema.Problem{{Path: "/points", Message: "must be an array"}}},
	} {
		for _, from := range []string{"JSON", "map"} {
			var s shape
			var err error
			if from == "JSON" {
				_, err = st.DecodeJSON([]byte(tc.json), reflect.ValueOf(&s), schema.Decoding{})
			} else {
				_, err = st.DecodeMap(tc.m, reflect.ValueOf(&s), schema.Decoding{})
			}
			var se *schema.Error
			if !errors.As(err, &se) || !reflect.DeepEqual(se.Problems, tc.want) {
				t.Errorf("%s from %s: %v, want %v", tc.name, from, err, tc.want)
			}
		}
	}
}

func TestDecodeNestedValues(t *testing.T) {
	st := schema.For[shape]()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC)
	want := shape{Name: "s", At: at, Center: point{X: 1}, Anchor: &point{X: 2}, Points: []point{{X: 3}, {X: 4}}, Tags: []string{"a"}}
	js := `{"name":"s","at":"2026-01-02T03:04:05.006Z","center":{"x":1,"id":9},"anchor":{"x":2},"points":[{"x":3},{"x":4,"id":9}],"tags":["a"]}`
	m := map[string]any{"name": "s", "at": "2026-01-02T03:04:05.006Z", "center": map[string]any{"x": 1.0, "id": 9.0},
		"anchor": map[string]any{"x": 2.0}, "points": []any{map[string]any{"x": 3.0}, map[string]any{"x": 4.0, "id": 9.0}}, "tags": []any{"a"}}
	// A client's read-only members are dropped at every depth.
	var fromJSON, fromMap shape
	if _, err := st.DecodeJSON([]byte(js), reflect.ValueOf(&fromJSON), schema.Decoding{External: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DecodeMap(m, reflect.ValueOf(&fromMap), schema.Decoding{External: true}); err != nil {
		t.Fatal(err)
	}
	for _, got := range []shape{fromJSON, fromMap} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	// Stored records may hold more than the struct: IgnoreUnknown skips it,
	// nested too; nulls are zero values.
	var stored shape
	_, err := st.DecodeMap(map[string]any{"center": map[string]any{"x": 5, "extra": true}, "anchor": nil, "points": nil, "more": 1},
		reflect.ValueOf(&stored), schema.Decoding{IgnoreUnknown: true})
	if err != nil || stored.Center.X != 5 || stored.Anchor != nil || stored.Points != nil {
		t.Errorf("stored: %+v, %v", stored, err)
	}
	var nulls shape
	if _, err := st.DecodeJSON([]byte(`{"anchor":null,"points":null,"center":null}`), reflect.ValueOf(&nulls), schema.Decoding{}); err != nil {
		t.Errorf("nulls: %v", err)
	}
}

func TestCopies(t *testing.T) {
	type withMap struct {
		M map[string]any `json:"m"`
	}
	type withAny struct {
		A []any `json:"a"`
	}
	type withBytes struct {
		B []byte `json:"b"`
	}
	type node struct {
		Kids []node `json:"kids"`
		Next *node  `json:"next"`
	}
	type nested struct {
		Inner []withMap `json:"inner"`
	}
	for _, tc := range []struct {
		st   *schema.Struct
		want bool
	}{
		{schema.For[shape](), true},
		{schema.For[node](), true},
		{schema.For[withMap](), false},
		{schema.For[withAny](), false},
		{schema.For[withBytes](), false},
		{schema.For[nested](), false},
	} {
		if got := tc.st.Copies(); got != tc.want {
			t.Errorf("%s: Copies() = %v, want %v", tc.st.Type, got, tc.want)
		}
	}
}
