package socketio

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pinionhq/pinion"
)

// decodeOrdered decodes event arguments as decodeArgs does, looking for $sort
// whatever the text.
func decodeOrdered(b []byte) ([]any, error) {
	var args []any
	if err := json.Unmarshal(b, &args); err != nil {
		return nil, err
	}
	if err := orderSort(args, b); err != nil {
		return nil, err
	}
	return args, nil
}

func TestDecodeOrdered(t *testing.T) {
	cases := []struct {
		in   string
		want []any
	}{
		{`["find","messages",{"$sort":{"createdAt":-1,"_id":1},"$limit":2}]`, []any{"find", "messages", map[string]any{
			"$sort":  pinion.Ordered{{Key: "createdAt", Value: -1.0}, {Key: "_id", Value: 1.0}},
			"$limit": 2.0,
		}}},
		// A repeated key keeps its first place and its last value.
		{`[{"$sort":{"b":1,"a":-1,"b":-1}}]`, []any{map[string]any{"$sort": pinion.Ordered{{Key: "b", Value: -1.0}, {Key: "a", Value: -1.0}}}}},
		// Only the query's $sort: data keeps its maps.
		{`["create","m",{"$sort":{"z":1,"y":1}},{}]`, []any{"create", "m", map[string]any{"$sort": map[string]any{"z": 1.0, "y": 1.0}}, map[string]any{}}},
		{`[{"$sort":"x"}]`, []any{map[string]any{"$sort": "x"}}},
		{`[{"$sort":{}}]`, []any{map[string]any{"$sort": pinion.Ordered{}}}},
		{`[]`, []any{}},
	}
	for _, tc := range cases {
		got, err := decodeOrdered([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeOrdered(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `[`, `[1,]`, `{"a":1}`, `[1] [2]`, `[{"$sort":{"a":1}]`} {
		if _, err := decodeOrdered([]byte(bad)); err == nil {
			t.Errorf("decodeOrdered(%q) accepted", bad)
		}
	}
}

// unorder turns every pinion.Ordered back into a map.
func unorder(v any) any {
	switch x := v.(type) {
	case pinion.Ordered:
		m := map[string]any{}
		for _, kv := range x {
			m[kv.Key] = unorder(kv.Value)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = unorder(e)
		}
	case []any:
		for i, e := range x {
			x[i] = unorder(e)
		}
	}
	return v
}

// FuzzDecodeOrdered: whatever encoding/json accepts as an array,
// decodeOrdered accepts with the same meaning, and the reverse.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`["find","m",{"$sort":{"a":1,"b":-1}}]`, `[1,"x",null,{"a":[{}]}]`, `[{"$sort":{"$sort":{"x":1}}}]`, `["\u00e9"]`, `[1e400]`, `[{"$sort":{"a":1,"a":2}}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []any
		wantErr := json.Unmarshal(b, &want)
		got, err := decodeOrdered(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: decodeOrdered error %v, encoding/json error %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(unorder(got), unorder(want)) {
			t.Fatalf("%q: %#v, encoding/json %#v", b, got, want)
		}
	})
}
