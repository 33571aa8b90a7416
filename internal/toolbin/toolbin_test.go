package toolbin_test

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pinionhq/pinion/internal/toolbin"
)

// echo is a program of the shape toolbin runs: it prints an "address" (its
// argument), logs a line to standard error and waits for standard input to
// close.
func echo(exit string) fstest.MapFS {
	return fstest.MapFS{
		"main.go": {Data: []byte(`//go:build ignore

package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	` + exit + `
	fmt.Println(os.Args[1])
	fmt.Fprintln(os.Stderr, "serving on", os.Args[1])
	io.Copy(io.Discard, os.Stdin)
}
`)},
		"go.mod.txt": {Data: []byte("module pinion.test/echo\n\ngo 1.26\n")},
		"go.sum.txt": {Data: nil},
	}
}

// isolate gives the test a cache directory of its own for the binaries, and
// keeps the go command's build cache where it is (it lives in the same user
// cache directory by default): an empty one would rebuild the standard library.
func isolate(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(out)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

func TestBuildOnceAndRun(t *testing.T) {
	isolate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Several builders at once get one binary.
	var wg sync.WaitGroup
	paths := make([]string, 4)
	errs := make([]error, 4)
	for i := range paths {
		wg.Go(func() { paths[i], errs[i] = toolbin.Build(ctx, "echo", echo("")) })
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if paths[i] != paths[0] {
			t.Fatalf("builds differ: %q and %q", paths[i], paths[0])
		}
	}
	// Other source, other binary.
	other, err := toolbin.Build(ctx, "echo", echo("_ = 1"))
	if err != nil {
		t.Fatal(err)
	}
	if other == paths[0] {
		t.Fatal("a changed source reused the old binary")
	}

	var mu sync.Mutex
	var lines []string
	p, err := toolbin.Start(ctx, paths[0], func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }, "127.0.0.1:4222")
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr != "127.0.0.1:4222" {
		t.Fatalf("Addr = %q", p.Addr)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Close waits for the program's output to be read.
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || lines[0] != "serving on 127.0.0.1:4222" {
		t.Fatalf("standard error = %q", lines)
	}
}

func TestStartReportsAnEarlyExit(t *testing.T) {
	isolate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := toolbin.Build(ctx, "failing", echo(`fmt.Fprintln(os.Stderr, "no data directory"); os.Exit(3)`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = toolbin.Start(ctx, bin, nil, "x")
	if err == nil || !strings.Contains(err.Error(), "no data directory") {
		t.Fatalf("err = %v, want the program's message", err)
	}
}

func TestBuildReportsCompileErrors(t *testing.T) {
	isolate(t)
	_, err := toolbin.Build(context.Background(), "broken", echo("this is not Go"))
	if err == nil || !strings.Contains(err.Error(), "building broken") {
		t.Fatalf("err = %v, want a build error", err)
	}
}
