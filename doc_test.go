package pinion_test

import (
	"os"
	"strings"
	"testing"
)

// The package documentation shows ExampleUse, which runs: they must not drift.
func TestDocShowsExampleUse(t *testing.T) {
	doc, _ := os.ReadFile("doc.go")
	ex, _ := os.ReadFile("example_test.go")
	body := string(ex)
	start := strings.Index(body, "func ExampleUse() {\n")
	end := strings.Index(body, "\t// Output:")
	if start < 0 || end < start {
		t.Fatal("ExampleUse not found")
	}
	var want strings.Builder
	for _, line := range strings.Split(strings.TrimRight(body[start+len("func ExampleUse() {\n"):end], "\n"), "\n") {
		line = strings.TrimPrefix(line, "\t")
		if line == "" {
			want.WriteString("//\n")
		} else {
			want.WriteString("//\t" + line + "\n")
		}
	}
	if !strings.Contains(string(doc), want.String()) {
		t.Errorf("doc.go's example is not ExampleUse's body:\n%s", want.String())
	}
}
