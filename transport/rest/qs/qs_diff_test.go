package qs

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// referenceQS finds the npm qs library the Feathers reference server installs.
func referenceQS(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("QS_REFERENCE")
	if dir == "" {
		dir, _ = filepath.Abs("../../../../shared/anchors/feathers-ref/node_modules/qs")
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Skipf("no reference qs at %s (set QS_REFERENCE, or run npm ci in the Feathers reference)", dir)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	return dir
}

// nodeParse parses every input with the reference qs in one node process.
func nodeParse(t *testing.T, dir string, inputs []string) []any {
	t.Helper()
	script := `const qs = require(process.argv[1]); let s = '';
process.stdin.on('data', d => s += d).on('end', () => {
  const out = JSON.parse(s).map(x => qs.parse(x, {allowPrototypes: true}));
  process.stdout.write(JSON.stringify(out));
});`
	in, _ := json.Marshal(inputs)
	cmd := exec.Command("node", "-e", script, dir)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var results []any
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatal(err)
	}
	return results
}

// roundTrip normalises a Go result the way the JSON comparison sees it.
func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

func TestDifferential(t *testing.T) {
	dir := referenceQS(t)
	tokens := []string{"a", "b", "$in", "$or", "x", "[", "]", "[]", "[0]", "[1]", "[2]", "[19]", "[20]", "[21]", "[25]",
		"[b]", "[c]", "=", "=", "&", "&", "%5B", "%5D", "%5b", "%20", "+", "%", "%zz", "%E2%9C%93", "%e0%a4", "é",
		"__proto__", "[__proto__]", "hasOwnProperty", "0", "1", "[[", "]]", "]=", ".", ";"}
	r := rand.New(rand.NewPCG(1, 2))
	var inputs []string
	for range 600 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(tokens[r.IntN(len(tokens))])
		}
		inputs = append(inputs, b.String())
	}
	// Structured cases that random strings rarely hit.
	for _, n := range []int{19, 20, 21, 25} {
		var parts []string
		for i := range n {
			parts = append(parts, "a[$in]["+itoa(i)+"]=v")
		}
		inputs = append(inputs, strings.Join(parts, "&"), strings.Repeat("b[]=x&", n))
	}
	want := nodeParse(t, dir, inputs)
	failures := 0
	for i, in := range inputs {
		got := roundTrip(Parse(in))
		if !reflect.DeepEqual(got, want[i]) {
			failures++
			if failures <= 15 {
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want[i])
				t.Errorf("Parse(%q)\n got %s\nwant %s", in, gb, wb)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d inputs differ from qs", failures, len(inputs))
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
