package qs

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The expected values were produced by qs 6.17.1:
// qs.parse(input, {allowPrototypes: true}), as Express's extended parser calls it.
var cases = []struct{ in, want string }{
	{"a=1", `{"a":"1"}`},
	{"a=1&b=2", `{"a":"1","b":"2"}`},
	{"a=1&a=2", `{"a":["1","2"]}`},
	{"a=1&a=2&a=3", `{"a":["1","2","3"]}`},
	{"a[]=x&a[]=y", `{"a":["x","y"]}`},
	{"a[0]=x&a[1]=y", `{"a":["x","y"]}`},
	{"a[1]=b&a[3]=c", `{"a":["b","c"]}`},
	{"a[25]=x", `{"a":{"25":"x"}}`},
	{"a[21]=x&a[0]=y", `{"a":{"0":"y","21":"x"}}`},
	{"a[0]=x&a[b]=y", `{"a":{"0":"x","b":"y"}}`},
	{"a[b][c]=1", `{"a":{"b":{"c":"1"}}}`},
	{"a[b][c][d][e][f][g]=1", `{"a":{"b":{"c":{"d":{"e":{"f":{"[g]":"1"}}}}}}}`},
	{"a[b][c][d][e][f]=1", `{"a":{"b":{"c":{"d":{"e":{"f":"1"}}}}}}`},
	{"a", `{"a":""}`},
	{"a=", `{"a":""}`},
	{"=x", `{}`},
	{"&&a=1&&", `{"a":"1"}`},
	{"a[b=1", `{"a":{"[b":"1"}}`},
	{"a]=1", `{"a]":"1"}`},
	{"a[[b]]=1", `{"a":{"[b]":"1"}}`},
	{"[a]=1", `{"a":"1"}`},
	{"[]=1", `{"0":"1"}`},
	{"a[]=1&a[]=2&a[]=3", `{"a":["1","2","3"]}`},
	{"a=1&a[b]=2", `{"a":["1",{"b":"2"}]}`},
	{"a[b]=2&a=1", `{"a":[{"b":"2"},"1"]}`},
	{"a[0]=1&a=2", `{"a":["1","2"]}`},
	{"%5B%5D=x", `{"0":"x"}`},
	{"a%5Bb%5D=c", `{"a":{"b":"c"}}`},
	{"a%5bb%5d=c", `{"a":{"b":"c"}}`},
	{"a[]=x&a[0]=y", `{"a":["x","y"]}`},
	{"a.b=1", `{"a.b":"1"}`},
	{"a;b=1", `{"a;b":"1"}`},
	{"a[0][b]=1&a[0][c]=2&a[1][b]=3", `{"a":[{"b":"1","c":"2"},{"b":"3"}]}`},
	{"a+b=c+d", `{"a b":"c d"}`},
	{"a%20b=c%20d", `{"a b":"c d"}`},
	{"a=%zz", `{"a":"%zz"}`},
	{"a=%", `{"a":"%"}`},
	{"a=100%", `{"a":"100%"}`},
	{"a=%E2%9C%93", `{"a":"✓"}`},
	{"a=%e0%a4", `{"a":"%e0%a4"}`},
	{"%E2%9C%93=check", `{"✓":"check"}`},
	{"__proto__=x", `{}`},
	{"a[__proto__]=x", `{"a":{}}`},
	{"hasOwnProperty=1", `{"hasOwnProperty":"1"}`},
	{"toString[a]=1", `{"toString":{"a":"1"}}`},
	{"a[b]=1&a[b]=2", `{"a":{"b":["1","2"]}}`},
	{"a[b][]=1&a[b][]=2", `{"a":{"b":["1","2"]}}`},
	{"a[0]=x&a[0]=y", `{"a":[["x","y"]]}`},
	{"a[b]=c=d", `{"a":{"b":"c=d"}}`},
	{"a=b=c", `{"a":"b=c"}`},
	{"a[b]]=c", `{"a":{"b":"c"}}`},
	{"$limit=10&$skip=20", `{"$limit":"10","$skip":"20"}`},
	{"$sort[createdAt]=-1", `{"$sort":{"createdAt":"-1"}}`},
	{"$select[0]=text&$select[1]=userId", `{"$select":["text","userId"]}`},
	{"userId[$in][0]=a&userId[$in][1]=b", `{"userId":{"$in":["a","b"]}}`},
	{"$or[0][a]=1&$or[1][b][$gt]=2", `{"$or":[{"a":"1"},{"b":{"$gt":"2"}}]}`},
	{"flag=true&nil=&d=1970-01-01T00:00:00.000Z", `{"flag":"true","nil":"","d":"1970-01-01T00:00:00.000Z"}`},
	{"%24limit=10&%24sort%5BcreatedAt%5D=-1&userId%5B%24in%5D%5B0%5D=a", `{"$limit":"10","$sort":{"createdAt":"-1"},"userId":{"$in":["a"]}}`},
	{"a[-1]=x", `{"a":{"-1":"x"}}`},
	{"a[01]=x", `{"a":{"01":"x"}}`},
	{"a[1.5]=x", `{"a":{"1.5":"x"}}`},
	{"a[ 1]=x", `{"a":{" 1":"x"}}`},
	{"a[20]=x", `{"a":{"20":"x"}}`},
	{"a[19]=x", `{"a":["x"]}`},
	{"a[0]=&a[1]=y", `{"a":["","y"]}`},
	{"a[]=&a[]=", `{"a":["",""]}`},
}

func TestParse(t *testing.T) {
	for _, tc := range cases {
		var want any
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatal(err)
		}
		if got := roundTrip(Parse(tc.in)); !reflect.DeepEqual(got, want) {
			gb, _ := json.Marshal(got)
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, gb, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	// 1000 pairs are read; past ArrayLimit the list becomes an object of indices.
	many := strings.Repeat("a=1&", 1500)
	obj, ok := Parse(many)["a"].(map[string]any)
	if !ok || len(obj) != 1000 {
		t.Fatalf("parameter limit: got %T with %d entries, want an object of 1000", Parse(many)["a"], len(obj))
	}
	small := Options{ParameterLimit: 2, Depth: 1, ArrayLimit: 3}
	if got := small.Parse("a=1&b=2&c=3"); len(got) != 2 {
		t.Errorf("ParameterLimit 2: %v", got)
	}
	if got, _ := json.Marshal(small.Parse("a[b][c]=1")); string(got) != `{"a":{"b":{"[c]":"1"}}}` {
		t.Errorf("Depth 1: %s", got)
	}
	if got, _ := json.Marshal(small.Parse("a[3]=x")); string(got) != `{"a":{"3":"x"}}` {
		t.Errorf("ArrayLimit 3: %s", got)
	}
}

func TestChildOrder(t *testing.T) {
	for _, tc := range []struct {
		raw, key string
		want     []string
	}{
		{"$sort[b]=1&$sort[a]=-1", "$sort", []string{"b", "a"}},
		{"%24sort%5BcreatedAt%5D=-1&x=1&%24sort%5B_id%5D=1", "$sort", []string{"createdAt", "_id"}},
		{"$sort[a]=1&$sort[a]=2&$sorted[z]=1", "$sort", []string{"a"}},
		{"a=1", "$sort", nil},
	} {
		if got := ChildOrder(tc.raw, tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("ChildOrder(%q) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Parse(raw)
		checkLeaves(t, got)
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
		b2, _ := json.Marshal(Parse(raw))
		if string(b) != string(b2) {
			t.Fatalf("not deterministic: %s vs %s", b, b2)
		}
		ChildOrder(raw, "$sort")
	})
}

func checkLeaves(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			checkLeaves(t, e)
		}
	case []any:
		for _, e := range x {
			checkLeaves(t, e)
		}
	case string:
	default:
		t.Fatalf("leaf of type %T", v)
	}
}

func BenchmarkParse(b *testing.B) {
	raw := "%24limit=10&%24skip=20&%24sort%5BcreatedAt%5D=-1&%24select%5B0%5D=text&%24select%5B1%5D=userId&userId%5B%24in%5D%5B0%5D=a&userId%5B%24in%5D%5B1%5D=b"
	b.ReportAllocs()
	for b.Loop() {
		Parse(raw)
	}
}
