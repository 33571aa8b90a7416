package ferretdb

import (
	"reflect"
	"testing"
	"time"
)

// TestDecode decodes SJSON as FerretDB 1.24 writes it (the examples of its
// package sjson), every type included.
func TestDecode(t *testing.T) {
	doc := `{"$s":{"$k":["_id","s","d","i","l","b","t","o","a","bin","re","ts","n"],"p":{
		"_id":{"t":"objectId"},"s":{"t":"string"},"d":{"t":"double"},"i":{"t":"int"},"l":{"t":"long"},
		"b":{"t":"bool"},"t":{"t":"date"},"o":{"t":"object","$s":{"$k":["x"],"p":{"x":{"t":"int"}}}},
		"a":{"t":"array","i":[{"t":"string"},{"t":"null"},{"t":"array","i":[]}]},
		"bin":{"t":"binData","s":0},"re":{"t":"regex","o":"i"},"ts":{"t":"timestamp"},"n":{"t":"null"}}},
		"_id":"65f0c0ffee0000000000beef","s":"text","d":1.5,"i":42,"l":9007199254740993,"b":true,
		"t":1714979289123,"o":{"x":1},"a":["y",null,[]],"bin":"AQID","re":"^a","ts":7,"n":null}`
	got, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"_id": "65f0c0ffee0000000000beef", "s": "text", "d": 1.5, "i": 42.0, "l": float64(9007199254740993),
		"b": true, "t": time.UnixMilli(1714979289123).UTC(), "o": map[string]any{"x": 1.0}, "a": []any{"y", nil, []any{}},
		"bin": []byte{1, 2, 3}, "re": "/^a/i", "ts": 7.0, "n": nil}
	if !reflect.DeepEqual(got.Data, want) {
		t.Errorf("got  %#v\nwant %#v", got.Data, want)
	}
	// What changed on the way is said: a long beyond float64's integers, the
	// regular expression, the timestamp.
	if len(got.Notes) != 3 {
		t.Errorf("notes: %q", got.Notes)
	}
	for _, bad := range []string{`{}`, `{"$s":{"$k":["a"],"p":{}},"a":1}`, `{"$s":{"$k":["a"],"p":{"a":{"t":"decimal"}}},"a":1}`, `[]`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}
