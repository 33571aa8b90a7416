package qs

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential test runs the same queries through this package and through
// the npm qs that the Feathers reference server installs, and compares the JSON.
// It needs node and that qs: QS_REFERENCE, or the qs the end-to-end tests install
// (test/node_modules, pinned through @feathersjs/koa), or the Feathers reference's.
// QS_DIFF_SEED picks another set of random queries.

// referenceQS returns the directory of the reference qs, or skips the test.
func referenceQS(t *testing.T) string {
	t.Helper()
	candidates := []string{
		os.Getenv("QS_REFERENCE"),
		filepath.Join("..", "..", "..", "test", "node_modules", "qs"),
		filepath.Join("..", "..", "..", "..", "shared", "anchors", "feathers-ref", "node_modules", "qs"),
	}
	dir := ""
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, "lib", "parse.js")); err == nil {
			dir, _ = filepath.Abs(c)
			break
		}
	}
	if dir == "" {
		t.Skip("no reference qs (set QS_REFERENCE, or run the end-to-end tests once to install it)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	return dir
}

type diffCase struct {
	In   string  `json:"in"`
	Opts *qsOpts `json:"opts,omitempty"`
	opts Options // the same limits for Go
	want any     // qs's result
}

// qsOpts are Options as qs spells them; a nil ParameterLimit is Infinity.
type qsOpts struct {
	Depth          int  `json:"depth"`
	ArrayLimit     int  `json:"arrayLimit"`
	ParameterLimit *int `json:"parameterLimit"`
}

func toQS(o Options) *qsOpts {
	if o == (Options{}) {
		return nil
	}
	q := &qsOpts{Depth: 5, ArrayLimit: 20}
	limit := 1000
	switch {
	case o.Depth < 0:
		q.Depth = 0
	case o.Depth > 0:
		q.Depth = o.Depth
	}
	switch {
	case o.ArrayLimit < 0:
		q.ArrayLimit = 0
	case o.ArrayLimit > 0:
		q.ArrayLimit = o.ArrayLimit
	}
	switch {
	case o.ParameterLimit < 0:
		return q // Infinity
	case o.ParameterLimit > 0:
		limit = o.ParameterLimit
	}
	q.ParameterLimit = &limit
	return q
}

// The script parses every case in one node process. For each it returns the
// result and, for every top-level value that is a plain object, its keys in
// JavaScript's order, which ChildOrder has to reproduce.
const nodeScript = `
const qs = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((c) => {
    const opts = { allowPrototypes: true };
    if (c.opts) {
      opts.depth = c.opts.depth;
      opts.arrayLimit = c.opts.arrayLimit;
      opts.parameterLimit = c.opts.parameterLimit === null ? Infinity : c.opts.parameterLimit;
    }
    const result = qs.parse(c.in, opts);
    const order = {};
    for (const k of Object.keys(result)) {
      const v = result[k];
      if (v && typeof v === 'object' && !Array.isArray(v)) order[k] = Object.keys(v);
    }
    return { result, order };
  });
  process.stdout.write(JSON.stringify(out));
});
`

// runNode parses the cases with the reference qs and fills in want and keys.
func runNode(t *testing.T, dir string, cases []diffCase) []map[string][]string {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e", nodeScript, dir)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var results []struct {
		Result any                 `json:"result"`
		Order  map[string][]string `json:"order"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != len(cases) {
		t.Fatalf("node returned %d results for %d cases", len(results), len(cases))
	}
	orders := make([]map[string][]string, len(cases))
	for i, r := range results {
		cases[i].want = r.Result
		orders[i] = r.Order
	}
	return orders
}

func TestDifferential(t *testing.T) {
	dir := referenceQS(t)
	seed := uint64(1)
	if s := os.Getenv("QS_DIFF_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("QS_DIFF_SEED: %v", err)
		}
		seed = n
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))

	var cases []diffCase
	add := func(in string, o Options) { cases = append(cases, diffCase{In: in, Opts: toQS(o), opts: o}) }
	for range 800 {
		add(randomQuery(r), Options{})
	}
	for range 150 {
		add(randomQuery(r), randomOptions(r))
	}
	for _, in := range structuredQueries() {
		add(in, Options{})
	}
	for _, tc := range parseCases {
		add(tc.in, tc.opts)
	}
	for _, in := range qsTestInputs(t, dir) {
		add(in, Options{})
	}
	orders := runNode(t, dir, cases)

	failures := 0
	fail := func(format string, args ...any) {
		if failures++; failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for i, c := range cases {
		got := c.opts.Parse(c.In)
		if !reflect.DeepEqual(normalize(t, got), c.want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(c.want)
			fail("%+v.Parse(%q)\n got %s\nwant %s", c.opts, c.In, g, w)
			continue
		}
		if c.Opts != nil {
			continue // ChildOrder uses the default options
		}
		for key := range got {
			want, ok := orders[i][key]
			if got := ChildOrder(c.In, key); !slices.Equal(got, want) || ok != (got != nil) {
				fail("ChildOrder(%q, %q) = %q, want %q", c.In, key, got, want)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d cases differ from qs", failures, len(cases))
	}
	t.Logf("%d cases agree with qs (seed %d)", len(cases), seed)
}

// Tokens of the random queries: the characters qs treats specially, indices
// around the array limit, escapes that do and do not decode, and key names that
// are special to JavaScript.
var (
	names = []string{"a", "b", "c", "$in", "$or", "$sort", "0", "1", "21", "é", "日本", "__proto__",
		"constructor", "toString", "hasOwnProperty", "", "a.b", "x y", "%24in", "a%5Bb%5D"}
	values = []string{"", "1", "x", "-1", "a+b", "%20", "%2B", "%25", "%26", "%3D", "%E2%9C%93", "%e2%9c%93",
		"%E2%9C", "%C3%A9", "%FF", "%C0%80", "%ED%A0%80", "%F0%9F%98%80", "%", "%zz", "%2", "100%", "é", "😀",
		"=", "]=", "a=b", "null", "\x00", "%00", ";", "[", "]"}
	noise = []string{"[", "]", "[]", "[[", "]]", "]=", "%5B", "%5D", "%5b", "%5d", "%5D=", "=", "==", "&", "&&",
		"+", "%", ".", ";", "?", "#", " ", "\t", "%%", "%5", "%5%5B", "[0]", "[1]", "[19]", "[20]", "[21]", "[25]",
		"[-1]", "[01]", "[1e3]", "[ 1]", "[100000000000000000000]", "[9007199254740993]", "[1152921504606847000]"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// randomQuery makes a query of a few pairs with bracketed keys, and sometimes
// scatters tokens that break the structure.
func randomQuery(r *rand.Rand) string {
	var b strings.Builder
	shared := pick(r, names) // pairs often share a key, which makes qs merge
	for i := range 1 + r.IntN(8) {
		if i > 0 {
			b.WriteString(pick(r, []string{"&", "&", "&", "&&", ";"}))
		}
		name := shared
		if r.IntN(3) == 0 {
			name = pick(r, names)
		}
		// "[a]" and "%5Ba%5D" are other keys for a, so qs merges them later.
		switch r.IntN(8) {
		case 0:
			name = "[" + name + "]"
		case 1:
			name = "%5B" + name + "%5D"
		}
		b.WriteString(name)
		for range r.IntN(4) {
			switch r.IntN(6) {
			case 0:
				b.WriteString("[]")
			case 1, 2:
				b.WriteString("[" + strconv.Itoa(r.IntN(31)) + "]")
			case 3:
				b.WriteString("%5B" + pick(r, names) + "%5D")
			default:
				b.WriteString("[" + pick(r, names) + "]")
			}
		}
		if r.IntN(8) == 0 {
			b.WriteString(pick(r, noise))
		}
		if r.IntN(6) > 0 {
			b.WriteString("=")
			b.WriteString(pick(r, values))
			if r.IntN(4) == 0 {
				b.WriteString(pick(r, values))
			}
		}
		if r.IntN(10) == 0 {
			b.WriteString(pick(r, noise))
		}
	}
	return b.String()
}

func randomOptions(r *rand.Rand) Options {
	return Options{
		Depth:          pick(r, []int{0, -1, 1, 2, 3}),
		ArrayLimit:     pick(r, []int{0, -1, 1, 2, 3, 25}),
		ParameterLimit: pick(r, []int{0, -1, 1, 2, 4}),
	}
}

// structuredQueries are long runs that random queries rarely make: sequences of
// indices and repeated keys around the array limit, and the parameter limit.
func structuredQueries() []string {
	var out []string
	for _, n := range []int{19, 20, 21, 22, 25, 30} {
		out = append(out,
			pairs("id[$in][%d]=v%[1]d", n),
			pairs("id[$in][]=v%d", n),
			pairs("a=%d", n),
			"a=x&"+pairs("a[%d]=v%[1]d", n),
			pairs("a[%d]=v%[1]d", n)+"&a=x&a[b]=y&a=z",
			pairs("a[%d]=v%[1]d", n)+"&a=x",
			pairs("a[]=v%d", n)+"&a=x",
			pairs("a[%d]=v%[1]d", n)+"&a[b]=x",
			pairs("a[%d]=v%[1]d", n)+"&a[]=x",
			pairs("a[%d]=v%[1]d", n)+"&a[0][b]=x",
			pairs("a[]=v%d", n)+"&a[b]=x&a=y",
			pairs("a[%d][b]=v%[1]d", n),
			pairs("a[%d][]=v%[1]d", n),
			"a=x&a[b]=y&"+pairs("a=v%d", n),
			"a=x&"+pairs("a[%d]=v%[1]d", n)+"&[a]=y",
			pairs("a[%d]=v%[1]d", n)+"&[a][0]=x&[a][19]=y&a[b]=z&a[20]=v&[[a]]=w&[a]=s",
		)
	}
	return append(out,
		"a=x&a[25]=y&[a]=z",
		"a[18]=x&a[19]=y&[a][18]=z&[a][19]=w&a[b]=1&a[20]=v&a=s",
		pairs("k%d=v", 1200),
		strings.Repeat("a=1&", 1100),
		strings.Repeat("a[]=1&", 1100),
		"a="+strings.Repeat("%E2%9C%93", 5000),
		strings.Repeat("[", 3000)+"=1",
		"a"+strings.Repeat("[b]", 2000)+"=1",
	)
}

var parseCall = regexp.MustCompile(`qs\.parse\(\s*'((?:[^'\\]|\\.)*)'`)

// qsTestInputs are the query strings of qs's own parse tests, which exercise its
// corner cases. Literals with escapes are skipped to keep this simple.
func qsTestInputs(t *testing.T, dir string) []string {
	src, err := os.ReadFile(filepath.Join(dir, "test", "parse.js"))
	if err != nil {
		t.Logf("no qs tests to borrow inputs from: %v", err)
		return nil
	}
	var out []string
	for _, m := range parseCall.FindAllStringSubmatch(string(src), -1) {
		if !strings.Contains(m[1], `\`) {
			out = append(out, m[1])
		}
	}
	return out
}
