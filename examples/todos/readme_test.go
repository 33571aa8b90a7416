package main

import (
	"os"
	"strings"
	"testing"
)

// The README shows this program, whole: what it shows is what runs here.
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(program)+"```") {
		t.Error("README.md's \"A service with hooks\" is not examples/todos/main.go as it is: copy the file into the README")
	}
}
