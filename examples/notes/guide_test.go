package main

import (
	"os"
	"strings"
	"testing"
)

// The guide's section 11 shows this program, whole: what it shows is what
// the tests here run.
func TestGuideShowsThisProgram(t *testing.T) {
	guide, err := os.ReadFile("../../docs/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "```go\n"+string(program)+"```") {
		t.Error("docs/guide.md's \"11. A whole app: notes\" is not examples/notes/main.go as it is: copy the file into the guide")
	}
}
