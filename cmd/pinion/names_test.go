package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Names that would make an app that does not build, or a service that a
// route hides, are refused before anything is written: one line, exit 2,
// and the app is as it was (#17 item 11).
func TestNameRefusals(t *testing.T) {
	root := newTestApp(t)
	outside := t.TempDir()
	before := snapshot(t, root)
	for _, c := range []struct {
		dir  string
		args []string
		want string
	}{
		// A service's package, file names, record type and path.
		{root, []string{"generate", "service", "hooks"}, "own hooks.go"},
		{root, []string{"generate", "service", "docs"}, "/docs is the app's API documentation"},
		{root, []string{"generate", "service", "metrics"}, "/metrics is the app's Prometheus metrics"},
		{root, []string{"generate", "service", "healthz"}, "/healthz"},
		{root, []string{"generate", "service", "readyz"}, "/readyz"},
		{root, []string{"generate", "service", "stream"}, "/stream"},
		{root, []string{"generate", "service", "authentication"}, "/authentication"},
		{root, []string{"generate", "service", "database"}, "package database"},
		{root, []string{"generate", "service", "err"}, "Register checks err"},
		{root, []string{"generate", "service", "main"}, "package main cannot be imported"},
		{root, []string{"generate", "service", "vendor"}, "vendor directory"},
		{root, []string{"generate", "service", "testdata"}, "ignores testdata"},
		{root, []string{"generate", "service", "internal"}, "internal directory"},
		{root, []string{"generate", "service", "string"}, "predeclared"},
		{root, []string{"generate", "service", "nil"}, "predeclared"},
		{root, []string{"generate", "service", "go-to"}, "Go keyword"},
		{root, []string{"generate", "service", "paths"}, "record type Path would clash"},
		{root, []string{"generate", "service", "registers"}, "record type Register would clash"},
		{root, []string{"generate", "service", "../escape"}, "bad service name"},
		{root, []string{"generate", "service", "a/b"}, "bad service name"},
		{root, []string{"generate", "service", "notés"}, "bad service name"},
		{root, []string{"generate", "service", ""}, "bad service name"},
		{root, []string{"generate", "service", "-"}, "bad service name"},
		// A hook's file name and function.
		{root, []string{"generate", "hook", "check-linux"}, "only for linux"},
		{root, []string{"generate", "hook", "trace_amd64"}, "only for amd64"},
		{root, []string{"generate", "hook", "x-test"}, "would not be a hook's file"},
		{root, []string{"generate", "hook", "../x"}, "bad hook name"},
		// An app's directory and module path.
		{outside, []string{"new", "go"}, `bad module path "go": go is a path of Go's standard library`},
		{outside, []string{"new", "net"}, "standard library"},
		{outside, []string{"new", "cmd"}, "standard library"},
		{outside, []string{"new", "x", "--module", "internal/x"}, "standard library"},
		{outside, []string{"new", "x", "--module", "example.com/x."}, "bad module path"},
		{outside, []string{"new", "x", "--module", "example.com/../x"}, "bad module path"},
		{outside, []string{"new", "x", "--module", "example.com//x"}, "bad module path"},
		{outside, []string{"new", ".."}, "bad app name"},
		{outside, []string{"new", "Ünï"}, "bad app name"},
	} {
		code, out, errs := pinion(t, c.dir, c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("pinion %q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, out, errs, c.want)
		}
	}
	if snapshot(t, root) != before {
		t.Error("a refused generator changed the app")
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("refusals wrote %v", entries)
	}
}

// Two hook names that make the same Go name (x-1 and x1 are both X1) would
// declare it twice in package hooks: the second is refused.
func TestHookNameCollision(t *testing.T) {
	root := newTestApp(t)
	if code, out, errs := pinion(t, root, "generate", "hook", "x-1"); code != 0 {
		t.Fatalf("generate hook x-1: %d %s%s", code, out, errs)
	}
	before := snapshot(t, root)
	code, _, errs := pinion(t, root, "generate", "hook", "x1")
	if code != 2 || !strings.Contains(errs, "package hooks declares X1 already, in hooks/x_1.go") {
		t.Errorf("generate hook x1: %d %q", code, errs)
	}
	if snapshot(t, root) != before {
		t.Error("the refused hook changed the app")
	}
}

// A write that fails halfway takes back what it wrote: files and the
// directories made for them.
func TestWriteNewRollsBack(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "blocker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	files := []file{
		{path: "a/b/one.go", data: []byte("package b\n")},
		{path: "two.go", data: []byte("package x\n")},
		{path: "blocker/three.go", data: []byte("package blocker\n")}, // blocker is a file: this one fails
	}
	if err := writeNew(root, files, &project{root: root}); err == nil {
		t.Fatal("writing under a file succeeded")
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "blocker" {
		t.Errorf("left behind: %v", entries)
	}
	// Two files at one path (a service named after one of its own files)
	// are a bug caught before anything is written.
	dup := []file{{path: "s/hooks.go"}, {path: "s/hooks.go"}}
	if err := writeNew(root, dup, &project{root: root}); err == nil || exists(filepath.Join(root, "s")) {
		t.Errorf("two files at one path: %v", err)
	}
}

// pinion new makes the app beside its place and moves it there whole: no
// temporary directory stays.
func TestNewLeavesNothingElse(t *testing.T) {
	root := newTestApp(t)
	entries, _ := os.ReadDir(filepath.Dir(root))
	if len(entries) != 1 || entries[0].Name() != "myapp" {
		t.Errorf("beside the app: %v", entries)
	}
	if info, err := os.Stat(root); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("the app's directory: %v %v", info.Mode(), err)
	}
}

// An app made by an older pinion new has services that take a
// *mongo.Database and no package database: a service generated now would
// not build there, so generate refuses and writes nothing.
func TestOlderApp(t *testing.T) {
	root := newTestApp(t)
	if err := os.RemoveAll(filepath.Join(root, "database")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	code, _, errs := pinion(t, root, "generate", "service", "notes")
	if code != 2 || !strings.Contains(errs, "has no database/database.go") {
		t.Errorf("generate service in an older app: %d %q", code, errs)
	}
	if snapshot(t, root) != before {
		t.Error("the refusal changed the app")
	}
}

// The module line may carry a comment; the path is what precedes it.
func TestModulePath(t *testing.T) {
	for gomod, want := range map[string]string{
		"module example.com/x\n":                "example.com/x",
		"module example.com/x // the app\n":     "example.com/x",
		"// c\nmodule \"example.com/x\" // c\n": "example.com/x",
	} {
		if got := modulePath(gomod); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", gomod, got, want)
		}
	}
}

// A checkout at a path with a space is replaced with a quoted path, which
// go.mod reads.
func TestCheckoutPathWithSpace(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	checkout := filepath.Join(filepath.Dir(file), "..", "..")
	dir := t.TempDir()
	link := filepath.Join(dir, "pinion checkout")
	if err := os.Symlink(checkout, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if code, out, errs := pinion(t, dir, "new", "spaced", "--pinion", link); code != 0 {
		t.Fatalf("pinion new: %d %s%s", code, out, errs)
	}
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = filepath.Join(dir, "spaced")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"Path": "`+filepath.ToSlash(link)+`"`) {
		t.Errorf("go mod edit -json: %v\n%s", err, out)
	}
}
