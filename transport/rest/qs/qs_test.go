package qs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// parseCases were checked against qs 6.17.1: every want is
// JSON.stringify(qs.parse(in, {allowPrototypes: true, ...opts})), as printed by
// node (Options{Depth: -1} is qs's depth 0, ParameterLimit -1 is Infinity).
var parseCases = []struct {
	name string
	in   string
	opts Options
	want string
}{
	{"plain pair", `a=1`, Options{}, `{"a":"1"}`},
	{"two pairs", `a=1&b=2`, Options{}, `{"a":"1","b":"2"}`},
	{"repeated key", `a=1&a=2`, Options{}, `{"a":["1","2"]}`},
	{"repeated key thrice", `a=1&a=2&a=3`, Options{}, `{"a":["1","2","3"]}`},
	{"empty brackets", `a[]=x&a[]=y`, Options{}, `{"a":["x","y"]}`},
	{"indices", `a[0]=x&a[1]=y`, Options{}, `{"a":["x","y"]}`},
	{"sparse indices compacted", `a[1]=b&a[3]=c`, Options{}, `{"a":["b","c"]}`},
	{"indices out of order", `a[10]=1&a[2]=2`, Options{}, `{"a":["2","1"]}`},
	{"index 19 is an array", `a[19]=x`, Options{}, `{"a":["x"]}`},
	{"index 20 is an object", `a[20]=x`, Options{}, `{"a":{"20":"x"}}`},
	{"lone index above 20", `a[25]=x`, Options{}, `{"a":{"25":"x"}}`},
	{"out-of-order indices above 20", `a[21]=x&a[0]=y`, Options{}, `{"a":{"0":"y","21":"x"}}`},
	{"25 sequential indices become an object", pairs("id[$in][%d]=v%[1]d", 25), Options{}, `{"id":{"$in":{"0":"v0","1":"v1","2":"v2","3":"v3","4":"v4","5":"v5","6":"v6","7":"v7","8":"v8","9":"v9","10":"v10","11":"v11","12":"v12","13":"v13","14":"v14","15":"v15","16":"v16","17":"v17","18":"v18","19":"v19","20":"v20","21":"v21","22":"v22","23":"v23","24":"v24"}}}`},
	{"20 repeated keys stay an array", pairs("a=%d", 20), Options{}, `{"a":["0","1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19"]}`},
	{"21 repeated keys become an object", pairs("a=%d", 21), Options{}, `{"a":{"0":"0","1":"1","2":"2","3":"3","4":"4","5":"5","6":"6","7":"7","8":"8","9":"9","10":"10","11":"11","12":"12","13":"13","14":"14","15":"15","16":"16","17":"17","18":"18","19":"19","20":"20"}}`},
	{"21 empty brackets become an object", pairs("a[]=%d", 21), Options{}, `{"a":{"0":"0","1":"1","2":"2","3":"3","4":"4","5":"5","6":"6","7":"7","8":"8","9":"9","10":"10","11":"11","12":"12","13":"13","14":"14","15":"15","16":"16","17":"17","18":"18","19":"19","20":"20"}}`},
	{"index and name mixed", `a[0]=x&a[b]=y`, Options{}, `{"a":{"0":"x","b":"y"}}`},
	{"name and index mixed", `a[b]=y&a[0]=x`, Options{}, `{"a":{"0":"x","b":"y"}}`},
	{"empty brackets then name", `a[]=x&a[b]=y`, Options{}, `{"a":{"0":"x","b":"y"}}`},
	{"nested", `a[b][c]=1`, Options{}, `{"a":{"b":{"c":"1"}}}`},
	{"depth 5 kept", `a[b][c][d][e][f]=1`, Options{}, `{"a":{"b":{"c":{"d":{"e":{"f":"1"}}}}}}`},
	{"depth 6 literal", `a[b][c][d][e][f][g]=1`, Options{}, `{"a":{"b":{"c":{"d":{"e":{"f":{"[g]":"1"}}}}}}}`},
	{"depth 7 literal", `a[b][c][d][e][f][g][h]=1`, Options{}, `{"a":{"b":{"c":{"d":{"e":{"f":{"[g][h]":"1"}}}}}}}`},
	{"key without =", `a`, Options{}, `{"a":""}`},
	{"empty value", `a=`, Options{}, `{"a":""}`},
	{"empty key skipped", `=x`, Options{}, `{}`},
	{"empty parts", `&&a=1&&`, Options{}, `{"a":"1"}`},
	{"only separator", `&`, Options{}, `{}`},
	{"dots not special", `a.b=1&a.c.d=2`, Options{}, `{"a.b":"1","a.c.d":"2"}`},
	{"semicolon not a separator", `a=1;b=2`, Options{}, `{"a":"1;b=2"}`},
	{"semicolon in key", `a;b=1&c=2`, Options{}, `{"a;b":"1","c":"2"}`},
	{"plus is space", `a+b=c+d`, Options{}, `{"a b":"c d"}`},
	{"percent space", `a%20b=c%20d`, Options{}, `{"a b":"c d"}`},
	{"escaped plus", `a=1+%2B+1`, Options{}, `{"a":"1 + 1"}`},
	{"invalid escape kept", `a=%zz`, Options{}, `{"a":"%zz"}`},
	{"lone percent", `a=%`, Options{}, `{"a":"%"}`},
	{"trailing percent", `a=100%`, Options{}, `{"a":"100%"}`},
	{"plus replaced though decoding fails", `a=%zz+b`, Options{}, `{"a":"%zz b"}`},
	{"utf-8 escape", `a=%E2%9C%93`, Options{}, `{"a":"✓"}`},
	{"lowercase escape", `a=%e2%9c%93`, Options{}, `{"a":"✓"}`},
	{"truncated utf-8 kept", `a=%E2%9C`, Options{}, `{"a":"%E2%9C"}`},
	{"invalid byte kept", `a=%FF`, Options{}, `{"a":"%FF"}`},
	{"overlong kept", `a=%C0%80`, Options{}, `{"a":"%C0%80"}`},
	{"surrogate kept", `a=%ED%A0%80`, Options{}, `{"a":"%ED%A0%80"}`},
	{"4-byte escape", `a=%F0%9F%98%80`, Options{}, `{"a":"😀"}`},
	{"escape then raw unicode", `a=%E2%9C%93%C3%A9é`, Options{}, `{"a":"✓éé"}`},
	{"raw unicode", `é=ü&日本=語`, Options{}, `{"é":"ü","日本":"語"}`},
	{"escaped key", `%C3%A9=%C3%BC`, Options{}, `{"é":"ü"}`},
	{"escaped equals and ampersand", `a%3Db=c%26d`, Options{}, `{"a=b":"c&d"}`},
	{"nul", `%00=%00&a=%00`, Options{}, `{"\u0000":"\u0000","a":"\u0000"}`},
	{"escaped brackets", `a%5Bb%5D=c`, Options{}, `{"a":{"b":"c"}}`},
	{"lowercase escaped brackets", `a%5bb%5d=c`, Options{}, `{"a":{"b":"c"}}`},
	{"mixed brackets", `a[b%5D=c&d%5Be]=f`, Options{}, `{"a":{"b":"c"},"d":{"e":"f"}}`},
	{"escaped brackets kept when decoding fails", `a%5Bb%5D%zz=1`, Options{}, `{"a":{"b":"1"}}`},
	{"escaped bracket before equals", `a%5Bb%5D=c=d`, Options{}, `{"a":{"b":"c=d"}}`},
	{"double-escaped bracket", `a%255Bb%255D=c`, Options{}, `{"a%5Bb%5D":"c"}`},
	{"__proto__ dropped", `__proto__=x`, Options{}, `{}`},
	{"__proto__ parent dropped", `__proto__[a]=x&b=1`, Options{}, `{"b":"1"}`},
	{"__proto__ child dropped", `a[__proto__]=x`, Options{}, `{"a":{}}`},
	{"constructor is a key", `constructor=1&constructor[prototype][x]=2`, Options{}, `{"constructor":["1",{"prototype":{"x":"2"}}]}`},
	{"prototype names are keys", `hasOwnProperty=1&toString[a]=2&valueOf[]=3`, Options{}, `{"hasOwnProperty":"1","toString":{"a":"2"},"valueOf":["3"]}`},
	{"leading bracket key", `[a]=1`, Options{}, `{"a":"1"}`},
	{"leading empty brackets", `[]=1`, Options{}, `{"0":"1"}`},
	{"leading index", `[0]=x`, Options{}, `{"0":"x"}`},
	{"leading empty brackets and numeric key", `[]=x&0=y`, Options{}, `{"0":["y","x"]}`},
	{"numeric keys enumerate first", `[a]=1&0=2&a=3`, Options{}, `{"0":"2","a":["1","3"]}`},
	{"top-level numeric keys", `2=b&1=a&b=c&0=z`, Options{}, `{"0":"z","1":"a","2":"b","b":"c"}`},
	{"bracketed and plain top-level key", `a[b]=1&[a][c]=2`, Options{}, `{"a":{"b":"1","c":"2"}}`},
	{"unterminated bracket", `a[b=1`, Options{}, `{"a":{"[b":"1"}}`},
	{"stray closing bracket", `a]=1`, Options{}, `{"a]":"1"}`},
	{"nested brackets", `a[[b]]=1`, Options{}, `{"a":{"[b]":"1"}}`},
	{"extra closing bracket", `a[b]]=c`, Options{}, `{"a":{"b":"c"}}`},
	{"text after brackets dropped", `a[b]c=1`, Options{}, `{"a":{"b":"1"}}`},
	{"unterminated second group", `a[b][c=1`, Options{}, `{"a":{"b":{"[c":"1"}}}`},
	{"unterminated nested group", `a[[b]=1`, Options{}, `{"a":{"[[b]":"1"}}`},
	{"equals inside brackets", `a[b=c]=d`, Options{}, `{"a":{"b=c":"d"}}`},
	{"equals after bracket", `a=b]=c`, Options{}, `{"a=b]":"c"}`},
	{"value with equals", `a[b]=c=d&e=f=g`, Options{}, `{"a":{"b":"c=d"},"e":"f=g"}`},
	{"value then parent", `a=1&a[b]=2`, Options{}, `{"a":["1",{"b":"2"}]}`},
	{"parent then value", `a[b]=2&a=1`, Options{}, `{"a":[{"b":"2"},"1"]}`},
	{"conflict appends", `a=1&a[b]=2&a=3&a=4`, Options{}, `{"a":{"0":"1","1":"3","2":"4","b":"2"}}`},
	{"index then value", `a[0]=1&a=2`, Options{}, `{"a":["1","2"]}`},
	{"value then sparse index", `a=x&a[19]=y`, Options{}, `{"a":{"0":"x","20":"y"}}`},
	{"overflow then value", `a[20]=x&a=y`, Options{}, `{"a":{"20":"x","21":"y"}}`},
	{"value then overflow", `a=y&a[20]=x`, Options{}, `{"a":{"0":"y","21":"x"}}`},
	{"empty value then parent", `a=&a[b]=1`, Options{}, `{"a":["",{"b":"1"}]}`},
	{"parent then empty value", `a[b]=1&a=`, Options{}, `{"a":{"b":"1"}}`},
	{"overflow into a value", `a=x&a[25]=y&[a]=z`, Options{}, `{"a":{"0":"x","26":"y","27":"z"}}`},
	{"overflow keeps the largest index", `a[18]=x&a[19]=y&[a][18]=z&[a][19]=w&a[b]=1&a[20]=v&a=s`, Options{}, `{"a":{"18":"x","19":"y","20":["z","v"],"21":"w","22":"s","b":"1"}}`},
	{"same index twice", `a[0]=x&a[0]=y`, Options{}, `{"a":[["x","y"]]}`},
	{"same name twice", `a[b]=1&a[b]=2`, Options{}, `{"a":{"b":["1","2"]}}`},
	{"nested empty brackets flatten", `a[][]=x`, Options{}, `{"a":["x"]}`},
	{"index inside empty brackets", `a[][0]=x&a[][0]=y`, Options{}, `{"a":[["x","y"]]}`},
	{"empty brackets inside index", `a[0][]=x&a[0][]=y`, Options{}, `{"a":[["x","y"]]}`},
	{"array of objects", `a[0][b]=1&a[0][c]=2&a[1][b]=3`, Options{}, `{"a":[{"b":"1","c":"2"},{"b":"3"}]}`},
	{"array of objects out of order", `a[1][b]=1&a[0][c]=2`, Options{}, `{"a":[{"c":"2"},{"b":"1"}]}`},
	{"empty values in arrays", `a[]=&a[]=&b[0]=&b[1]=y`, Options{}, `{"a":["",""],"b":["","y"]}`},
	{"negative index", `a[-1]=x`, Options{}, `{"a":{"-1":"x"}}`},
	{"leading zero index", `a[01]=x`, Options{}, `{"a":{"01":"x"}}`},
	{"fractional index", `a[1.5]=x`, Options{}, `{"a":{"1.5":"x"}}`},
	{"spaced index", `a[ 1]=x&a[+2]=y`, Options{}, `{"a":{" 1":"x"," 2":"y"}}`},
	{"index past 2^53", `a[1152921504606846976]=x&a[1152921504606847000]=y`, Options{}, `{"a":{"1152921504606846976":"x","1152921504606847000":"y"}}`},
	{"huge index repeated", `a[100000000000000000000]=x&a[100000000000000000000]=y`, Options{}, `{"a":{"100000000000000000000":["x","y"]}}`},
	{"huge overflow index then value", `a[100000000000000000000]=x&a=y`, Options{}, `{"a":{"100000000000000000000":"y"}}`},
	{"feathers query", `$limit=10&$skip=20&$sort[createdAt]=-1&$select[0]=text&$select[1]=userId&userId[$in][0]=a&userId[$in][1]=b&$or[0][a]=1&$or[1][b][$gt]=2&flag=true&nil=&d=1970-01-01T00:00:00.000Z`, Options{}, `{"$limit":"10","$skip":"20","$sort":{"createdAt":"-1"},"$select":["text","userId"],"userId":{"$in":["a","b"]},"$or":[{"a":"1"},{"b":{"$gt":"2"}}],"flag":"true","nil":"","d":"1970-01-01T00:00:00.000Z"}`},
	{"feathers query encoded", `%24limit=10&%24skip=20&%24sort%5BcreatedAt%5D=-1&%24select%5B0%5D=text&%24select%5B1%5D=userId&userId%5B%24in%5D%5B0%5D=a&userId%5B%24in%5D%5B1%5D=b`, Options{}, `{"$limit":"10","$skip":"20","$sort":{"createdAt":"-1"},"$select":["text","userId"],"userId":{"$in":["a","b"]}}`},
	{"operators", `age[$gt]=18&age[$lte]=65&name[$nin][]=x&name[$nin][]=y`, Options{}, `{"age":{"$gt":"18","$lte":"65"},"name":{"$nin":["x","y"]}}`},
	{"depth 1", `a[b][c]=1`, Options{Depth: 1}, `{"a":{"b":{"[c]":"1"}}}`},
	{"depth 0 (negative)", `a[b][c]=1&[d]=2&[]=3`, Options{Depth: -1}, `{"0":"3","a[b][c]":"1","d":"2"}`},
	{"array limit 3", `a[2]=x&a[3]=y&b=1&b=2&b=3&b=4`, Options{ArrayLimit: 3}, `{"a":{"2":"x","3":"y"},"b":{"0":"1","1":"2","2":"3","3":"4"}}`},
	{"array limit 0 (negative)", `a[0]=x&b[]=y&c=1&c=2&d=1&d[e]=2`, Options{ArrayLimit: -1}, `{"a":{"0":"x"},"b":{"0":"y"},"c":{"0":"1","1":"2"},"d":{"0":"1","1":{"e":"2"}}}`},
	{"array limit 1", `a=1&a=2&b=1&b[c]=2`, Options{ArrayLimit: 1}, `{"a":{"0":"1","1":"2"},"b":{"0":"1","1":{"c":"2"}}}`},
	{"parameter limit 2", `a=1&b=2&c=3`, Options{ParameterLimit: 2}, `{"a":"1","b":"2"}`},
	{"parameter limit counts empty parts", `&&a=1&b=2`, Options{ParameterLimit: 3}, `{"a":"1"}`},
	{"no parameter limit (negative)", `a=1&b=2&c=3`, Options{ParameterLimit: -1}, `{"a":"1","b":"2","c":"3"}`},
}

// pairs joins n pairs made with format from the indices 0 to n-1.
func pairs(format string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(parts, "&")
}

// normalize turns a result into what its JSON decodes to, which is how results
// are compared with qs's.
func normalize(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("result does not marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			got := tc.opts.Parse(tc.in)
			checkLeaves(t, got)
			if !reflect.DeepEqual(normalize(t, got), want) {
				b, _ := json.Marshal(got)
				t.Errorf("%+v.Parse(%q)\n got %s\nwant %s", tc.opts, tc.in, b, tc.want)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	if got := Parse(""); got == nil || len(got) != 0 {
		t.Errorf("Parse(\"\") = %#v, want an empty map", got)
	}
}

func TestParameterLimit(t *testing.T) {
	// Pairs past the 1000th are dropped; a[i] is read for i < 1000 only.
	got := Parse(pairs("a%d=x", 1500))
	if len(got) != 1000 || got["a999"] != "x" || got["a1000"] != nil {
		t.Errorf("Parse of 1500 pairs kept %d keys", len(got))
	}
	got = Options{ParameterLimit: -1}.Parse(pairs("a%d=x", 1500))
	if len(got) != 1500 {
		t.Errorf("no limit: kept %d keys, want 1500", len(got))
	}
	// 1000 values of one key: an object with the keys "0" to "999".
	obj, ok := Parse(strings.Repeat("a=1&", 1500))["a"].(map[string]any)
	if !ok || len(obj) != 1000 || obj["999"] != "1" {
		t.Errorf("1500 values of a: got %T with %d entries, want an object of 1000", obj, len(obj))
	}
}

func TestLongInput(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	got := Parse("a=" + long + "&b[" + long + "]=" + strings.Repeat("%41", 1<<16))
	if got["a"] != long {
		t.Error("a long value was not kept")
	}
	b, _ := got["b"].(map[string]any)
	if b[long] != strings.Repeat("A", 1<<16) {
		t.Error("a long key or escaped value was not kept")
	}
	// Deep nesting is cut at Depth whatever the input's length.
	deep := strings.Repeat("[a]", 1<<14)
	got = Parse("x" + deep + "=1")
	v := any(got["x"])
	for range 5 {
		v = v.(map[string]any)["a"]
	}
	if m := v.(map[string]any); m[deep[3*5:]] != "1" {
		t.Errorf("deep key: got %v", m)
	}
}

// TestBytes pins how bytes that are not UTF-8 are handled, which the
// differential test cannot cover (node sees text, not bytes): unescaped bytes pass
// through as they are, and escapes must decode to UTF-8 on their own.
func TestBytes(t *testing.T) {
	for _, tc := range []struct{ in, key, want string }{
		{"a=\xff\xfe", "a", "\xff\xfe"},
		{"a=\xff%41", "a", "\xffA"},
		{"a=%C3\xa9", "a", "%C3\xa9"}, // decodeURIComponent needs %C3%A9
		{"a=%C3%A9\xff+", "a", "é\xff "},
		{"\xff[\xfe]=1", "\xff", ""},
	} {
		got := Parse(tc.in)[tc.key]
		if tc.want == "" {
			if m, ok := got.(map[string]any); !ok || m["\xfe"] != "1" {
				t.Errorf("Parse(%q)[%q] = %q", tc.in, tc.key, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q)[%q] = %q, want %q", tc.in, tc.key, got, tc.want)
		}
	}
}

func TestChildOrder(t *testing.T) {
	for _, tc := range []struct {
		raw, key string
		want     []string
	}{
		{"$sort[b]=1&$sort[a]=-1", "$sort", []string{"b", "a"}},
		{"%24sort%5BcreatedAt%5D=-1&x=1&%24sort%5B_id%5D=1", "$sort", []string{"createdAt", "_id"}},
		{"$sort[a]=1&$sort[a]=2&$sorted[z]=1&$sort[c][d]=1", "$sort", []string{"a", "c"}},
		{"$sort[b]=1&[$sort][a]=1", "$sort", []string{"b", "a"}},
		{"$sort[name]=1&$sort[25]=-1&$sort[3]=1&$sort[x]=1", "$sort", []string{"3", "25", "name", "x"}},
		{"$sort[name]=1&$sort[25]=-1", "$sort", []string{"25", "name"}},
		{"$sort[a+b]=1&$sort[%C3%A9]=1", "$sort", []string{"a b", "é"}},
		{"$sort=1&$sort[a]=1", "$sort", nil},    // ["1", {"a": "1"}]
		{"$sort[0]=a&$sort[1]=b", "$sort", nil}, // an array
		{"$sort[a]=1", "$limit", nil},
		{"a=1", "$sort", nil},
		{"", "$sort", nil},
	} {
		got := ChildOrder(tc.raw, tc.key)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ChildOrder(%q, %q) = %q, want %q", tc.raw, tc.key, got, tc.want)
		}
		if m, ok := Parse(tc.raw)[tc.key].(map[string]any); ok {
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range m {
					if !yield(k) {
						return
					}
				}
			})
			if !slices.Equal(names, slices.Sorted(slices.Values(got))) {
				t.Errorf("ChildOrder(%q, %q) = %q, but the map has %q", tc.raw, tc.key, got, names)
			}
		}
	}
}

var raceEnabled bool // set by race_test.go

func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and the race detector change allocation counts")
	}
	n := testing.AllocsPerRun(100, func() { Parse(benchQuery) })
	// 5 maps (2 allocations each), 2 slices, 7 boxed strings and 1 buffer.
	if n > 20 {
		t.Errorf("Parse(benchQuery) allocates %v times", n)
	}
}

func checkLeaves(t testing.TB, v any) {
	t.Helper()
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

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		benchQuery, "a[%5B]=%", "a[[[]]]=1&a[[]=2", "%E2%9C%93[%E2%9C]=%", "a\xff[\x00]=\xc3",
		"a[0][0][0][0][0][0]=1&a[0]=2&a=3", "a[20]=1&a[]=2&a=3&a[b]=4", "[0][]=1&0=2&[]=3",
		"a[9007199254740993]=1&a[999999999999999868928]=2&a=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Parse(raw)
		checkLeaves(t, got)
		first, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
		again, _ := json.Marshal(Parse(raw))
		if string(first) != string(again) {
			t.Fatalf("Parse is not deterministic:\n%s\n%s", first, again)
		}
		if utf8.ValidString(raw) && !utf8.Valid(first) {
			t.Fatalf("valid input gave invalid UTF-8: %s", first)
		}
		for key, v := range got {
			names := ChildOrder(raw, key)
			m, ok := v.(map[string]any)
			if !ok {
				if names != nil {
					t.Fatalf("ChildOrder(%q) = %q for a %T", key, names, v)
				}
				continue
			}
			if len(names) != len(m) {
				t.Fatalf("ChildOrder(%q) = %q for %d keys", key, names, len(m))
			}
			for _, n := range names {
				if _, ok := m[n]; !ok {
					t.Fatalf("ChildOrder(%q) has %q, which the map has not", key, n)
				}
			}
		}
		Options{Depth: 1, ArrayLimit: 2, ParameterLimit: 3}.Parse(raw)
		Options{Depth: -1, ArrayLimit: -1, ParameterLimit: -1}.Parse(raw)
	})
}

// benchQuery is what @feathersjs/rest-client sends for
// {$limit: 10, $skip: 20, $sort: {createdAt: -1}, $select: ["text", "userId"], userId: {$in: ["a", "b"]}}.
const benchQuery = "%24limit=10&%24skip=20&%24sort%5BcreatedAt%5D=-1&%24select%5B0%5D=text&%24select%5B1%5D=userId&userId%5B%24in%5D%5B0%5D=a&userId%5B%24in%5D%5B1%5D=b"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchQuery)))
	for b.Loop() {
		Parse(benchQuery)
	}
}

func BenchmarkParseSimple(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Parse("$limit=10&$skip=0")
	}
}

func BenchmarkChildOrder(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ChildOrder(benchQuery, "$sort")
	}
}
