package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testOnly are modules that Pinion's own tests and benchmarks once used and
// an app never needs: none may be in an app's module graph. Go puts every
// requirement of Pinion's go.mod in that graph, so Pinion's go.mod may not
// name them either: the servers tests need run as child processes
// (internal/toolbin), the browser is driven by internal/devtools, and the
// OpenAPI document is checked with the JSON Schema validator Pinion already
// uses.
var testOnly = []string{
	"github.com/FerretDB/FerretDB",
	"github.com/SAP/go-hdb", // through FerretDB
	"github.com/chromedp/chromedp",
	"github.com/chromedp/cdproto",
	"github.com/pb33f/libopenapi",
	"github.com/pb33f/libopenapi-validator",
	"github.com/nats-io/nats-server/v2",
}

// Pinion's go.mod names no test-only module: each would be in the module
// graph of every app (the fast half of TestAppModule).
func TestNoTestOnlyModules(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	gomod, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(file)), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range testOnly {
		if bytes.Contains(gomod, []byte("\t"+m+" ")) {
			t.Errorf("Pinion's go.mod requires %s, a test-only module: every app would have it in its module graph", m)
		}
	}
}

// An app that requires Pinion, as a user of an unpublished version writes
// it: a module outside the repository whose go.mod replaces Pinion (and
// nothing else) with this checkout. go mod tidy runs offline against the
// module cache; then the app builds and its test passes, and no test-only
// module is in its module graph (#19 item 6, #18 item 3). The
// dependency counts are in the log.
func TestAppModule(t *testing.T) {
	if testing.Short() {
		t.Skip("tidies, builds and tests a module outside the repository")
	}
	_, file, _, _ := runtime.Caller(0)
	pinionDir := filepath.Dir(filepath.Dir(file))
	pinionMod, err := os.ReadFile(filepath.Join(pinionDir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	pinionSum, err := os.ReadFile(filepath.Join(pinionDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}

	// The packages an app of Pinion imports. Go ignores a dependency's
	// replace directives, so Pinion's go.mod may have none: what they fixed
	// would not reach apps, and an app might not build.
	imports := []string{"", "/adapter/sqlite", "/authentication", "/authentication/sqlitestore", "/config", "/serve"}
	if replaces := directives(string(pinionMod), "replace"); len(replaces) > 0 {
		t.Fatalf("Pinion's go.mod replaces modules, which a module that requires Pinion cannot see:\n%s", strings.Join(replaces, "\n"))
	}

	app := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(app, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/notes\n\ngo "+goLine(string(pinionMod))+"\n\n"+
		"require github.com/pinionhq/pinion v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/pinionhq/pinion => "+filepath.ToSlash(pinionDir)+"\n")
	// Pinion's go.sum, which its own builds verified: go mod tidy keeps
	// what the app needs of it and checks every module against it.
	write("go.sum", string(pinionSum))
	var src strings.Builder
	src.WriteString("// Package notes keeps notes on the embedded store.\npackage notes\n\nimport (\n")
	for _, p := range imports {
		src.WriteString("\t_ \"github.com/pinionhq/pinion" + p + "\"\n")
	}
	src.WriteString(`
	"context"
	"path/filepath"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// Note is a record.
type Note struct {
	ID   string ` + "`json:\"_id\" readOnly:\"true\"`" + `
	Text string ` + "`json:\"text\" required:\"true\"`" + `
}

// Kept creates a note in a new store in dir, and reads it back.
func Kept(ctx context.Context, dir string) (string, error) {
	db, err := sqlite.Open(filepath.Join(dir, "notes.db"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	notes := pinion.Use(pinion.New(), "notes", sqlite.Typed[Note, string](db, "notes", sqlite.Options{}))
	n, err := notes.Create(ctx, Note{Text: "hello"}, nil)
	if err != nil {
		return "", err
	}
	n, err = notes.Get(ctx, n.ID, nil)
	return n.Text, err
}
`)
	write("notes.go", src.String())
	write("notes_test.go", `package notes

import (
	"context"
	"testing"
)

func TestKept(t *testing.T) {
	if text, err := Kept(context.Background(), t.TempDir()); err != nil || text != "hello" {
		t.Fatalf("%q %v", text, err)
	}
}
`)

	goCmd := func(env []string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = app
		cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod"), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	// offline runs go with GOPROXY=off. Where the module cache lacks what
	// the command reads (the tests of the app's dependencies import modules
	// that no build needs; go list -m all reads modules no build needs),
	// it fetches them once, as a user's first run would, and runs the
	// command offline again.
	offline := func(args ...string) string {
		t.Helper()
		off := []string{"GOPROXY=off"}
		out, err := goCmd(off, args...)
		if err == nil {
			return out
		}
		if !strings.Contains(out, "GOPROXY=off") {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s offline needs modules the cache does not have; fetching them once:\n%s", strings.Join(args, " "), out)
		if out, err := goCmd(nil, args...); err != nil {
			t.Skipf("cannot fill the module cache (no module proxy?): %v\n%s", err, out)
		}
		out, err = goCmd(off, args...)
		if err != nil {
			t.Fatalf("go %s offline, after the cache was filled: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	offline("mod", "tidy")
	offline("vet", "./...")
	offline("test", "-count=1", "./...")

	gomod, _ := os.ReadFile(filepath.Join(app, "go.mod"))
	gosum, _ := os.ReadFile(filepath.Join(app, "go.sum"))
	all := offline("list", "-m", "all")
	deps := offline("list", "-deps", "-test", "-f", "{{with .Module}}{{.Path}}{{end}}", "./...")
	if replaces := directives(string(gomod), "replace"); len(replaces) != 1 {
		t.Errorf("the app's go.mod replaces more than Pinion: %v", replaces)
	}
	sourced := map[string]bool{} // modules whose source go.sum holds: downloaded
	for line := range strings.SplitSeq(string(gosum), "\n") {
		if f := strings.Fields(line); len(f) == 3 && !strings.HasSuffix(f[1], "/go.mod") {
			sourced[f[0]] = true
		}
	}
	required := directives(string(gomod), "require")
	t.Logf("the app (imports pinion%s): go.mod requires %d modules, go.sum holds the source of %d, go list -m all lists %d",
		strings.Join(imports, ", pinion"), len(required)-1, len(sourced), strings.Count(all, "\n")-1)
	for _, m := range testOnly {
		if sourced[m] || strings.Contains(string(gosum), m+" ") {
			t.Errorf("the app's go.sum has %s, a test-only module", m)
		}
		if strings.Contains(string(gomod), m+" ") {
			t.Errorf("the app's go.mod requires %s, a test-only module", m)
		}
		if strings.Contains(deps, m+"\n") {
			t.Errorf("the app's packages or their tests import %s, a test-only module", m)
		}
		if strings.Contains(all, m+" ") {
			t.Errorf("go list -m all lists %s, a test-only module", m)
		}
	}
}

// directives returns the directives of kind (require, replace) in a
// go.mod, one entry per module, blocks included.
func directives(gomod, kind string) []string {
	var out []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case in && line == ")":
			in = false
		case in && line != "" && !strings.HasPrefix(line, "//"):
			out = append(out, line)
		case line == kind+" (":
			in = true
		case strings.HasPrefix(line, kind+" "):
			out = append(out, strings.TrimPrefix(line, kind+" "))
		}
	}
	return out
}

// goLine is the version on a go.mod's go line.
func goLine(gomod string) string {
	for line := range strings.SplitSeq(gomod, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return v
		}
	}
	return strings.TrimPrefix(runtime.Version(), "go")
}
