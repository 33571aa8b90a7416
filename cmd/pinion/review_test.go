package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// The adversarial review of the command: names, module paths, flags,
// symbolic links and permissions. Every refusal is one line on stderr with
// exit status 2, and leaves the app (and the directory around it) as it
// was.

// refusal is a command line that pinion must refuse, and what its one line
// must say.
type refusal struct {
	args []string
	want string
}

// expectRefusals runs each command line in dir and checks that it is
// refused and that nothing under watch changed.
func expectRefusals(t *testing.T, dir string, watch []string, cases []refusal) {
	t.Helper()
	before := make([]string, len(watch))
	for i, w := range watch {
		before[i] = snapshot(t, w)
	}
	for _, c := range cases {
		code, out, errs := pinion(t, dir, c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "pinion: ") || !strings.Contains(errs, c.want) {
			t.Errorf("pinion %q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, out, errs, c.want)
		}
	}
	for i, w := range watch {
		if snapshot(t, w) != before[i] {
			t.Errorf("a refused command changed %s", w)
		}
	}
}

// Flags: unknown ones, values missing or empty, a flag given twice, dashes
// other than - and --. Flags after the name are read as before it.
func TestReviewCLIFlags(t *testing.T) {
	root := newTestApp(t)
	outside := t.TempDir()
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "service", "notes", "--adapter", "postgres"}, "--adapter postgres: want sqlite, mongodb or memory"},
		{[]string{"generate", "service", "notes", "--adapter", "SQLite"}, "want sqlite, mongodb or memory"},
		{[]string{"generate", "service", "notes", "--adapter"}, "flag --adapter needs a value"},
		{[]string{"generate", "service", "notes", "--adapter="}, "flag --adapter needs a value"},
		{[]string{"generate", "service", "notes", "--adapter", ""}, "flag --adapter needs a value"},
		{[]string{"generate", "service", "notes", "--adapter", "memory", "--adapter", "sqlite"}, "flag --adapter is given twice"},
		{[]string{"generate", "service", "notes", "--adapter=memory", "-adapter=memory"}, "flag --adapter is given twice"},
		{[]string{"generate", "service", "notes", "--auth", "--auth=false"}, "flag --auth is given twice"},
		{[]string{"generate", "service", "notes", "---adapter", "memory"}, "unknown flag ---adapter"},
		{[]string{"generate", "service", "notes", "--Adapter", "memory"}, "unknown flag --Adapter"},
		{[]string{"generate", "service", "notes", "--", "--auth"}, "takes one NAME"},
		{[]string{"generate", "service", "--", "-x"}, `bad service name "-x"`},
		{[]string{"generate", "service", "notes", "extra"}, "got 2 arguments"},
		{[]string{"generate", "hook", "x", "--adapter", "memory"}, "unknown flag --adapter (it takes none)"},
		{[]string{"types", "-o"}, "flag -o needs a value"},
		{[]string{"types", "-o", ""}, "flag -o needs a value"},
	})
	expectRefusals(t, outside, []string{outside}, []refusal{
		{[]string{"new", "x", "--pinion", ""}, "flag --pinion needs a value"},
		{[]string{"new", "x", "--pinion="}, "flag --pinion needs a value"},
		{[]string{"new", "x", "--module", "example.com/a", "--module", "example.com/b"}, "flag --module is given twice"},
		{[]string{"new", "x", "--module"}, "flag --module needs a value"},
		{[]string{"new", "--module", "example.com/x"}, "new takes one NAME"},
	})
	// Flags before and after the name are one command line.
	for name, args := range map[string][]string{
		"before": {"generate", "service", "--adapter", "memory", "--auth", "before"},
		"after":  {"generate", "service", "after", "--adapter=memory", "-auth"},
	} {
		if code, out, errs := pinion(t, root, args...); code != 0 {
			t.Fatalf("pinion %q: %d %s%s", args, code, out, errs)
		}
		src, err := os.ReadFile(filepath.Join(root, "services", name, name+".go"))
		if err != nil || !strings.Contains(string(src), "func store(database.Stores)") || !strings.Contains(string(src), "UserID string") {
			t.Errorf("pinion %q did not make a memory service with --auth: %v\n%s", args, err, src)
		}
	}
}

// Service names that would escape services/, make a package that does not
// build, hide a route or another service, or exceed what a file name, a
// table or a collection can hold.
func TestReviewCLIServiceNames(t *testing.T) {
	root := newTestApp(t)
	long := strings.Repeat("a", maxName+1)
	var cases []refusal
	for name, want := range map[string]string{
		"../x": "bad service name", "/abs": "bad service name", "a/b": "bad service name", `a\b`: "bad service name",
		".": "bad service name", "..": "bad service name", "": "bad service name", " ": "bad service name",
		" todos": "bad service name", "todos\n": "bad service name", "1x": "bad service name", "x-": "bad service name",
		"-x": "unknown flag -x", "x_y": "bad service name", "x.y": "bad service name", "x--y": "bad service name",
		"Users": "bad service name", "TODOS": "bad service name", "usérs": "bad service name",
		"uѕers": "bad service name", // a Cyrillic ѕ
		"type":  "Go keyword", "func": "Go keyword", "map": "Go keyword", "go": "Go keyword", "select": "Go keyword",
		"string": "predeclared", "error": "predeclared", "len": "predeclared", "any": "predeclared", "iota": "predeclared",
		"pinion": "imports package pinion", "services": "registry's own package", "app": "takes app", "main": "package main",
		"database": "package database", "hooks": "own hooks.go", "authentication": "/authentication", "docs": "/docs",
		"users": "service users exists already",
		"con":   "Windows keeps for a device", "aux": "Windows keeps for a device", "nul": "Windows keeps for a device",
		"com1": "Windows keeps for a device", "lpt9": "Windows keeps for a device", "prn": "Windows keeps for a device",
		long: "at most 63 characters",
	} {
		cases = append(cases, refusal{[]string{"generate", "service", name}, want})
	}
	expectRefusals(t, root, []string{root}, cases)
}

// foo-bar and foobar are one package, services/foobar: the second is
// refused, whichever comes first, and changes nothing.
func TestReviewCLIServiceNameCollisions(t *testing.T) {
	root := newTestApp(t)
	if code, out, errs := pinion(t, root, "generate", "service", "foo-bar", "--adapter", "memory"); code != 0 {
		t.Fatalf("generate service foo-bar: %d %s%s", code, out, errs)
	}
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "service", "foobar"}, "service foobar exists already: services/foobar is there"},
		{[]string{"generate", "service", "foo-bar"}, "service foo-bar exists already"},
		{[]string{"generate", "service", "f-o-o-b-a-r"}, "services/foobar is there"},
	})
}

// The new package's name goes into services/services.go: a name that the
// registry's package declares or imports already would make it fail to
// compile, so it is refused.
func TestReviewCLIRegistryNames(t *testing.T) {
	root := newTestApp(t)
	registry := filepath.Join(root, registryFile)
	src, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "import (\n", "import (\n\t\"log\"\n\tstdstrings \"strings\"\n", 1))
	src = []byte(strings.Replace(string(src), "return nil\n}", "log.Print(stdstrings.ToUpper(\"ok\"))\n\treturn nil\n}", 1))
	if err := os.WriteFile(registry, src, 0o644); err != nil {
		t.Fatal(err)
	}
	extra := "package services\n\nfunc audit() {}\n\nvar Catalog = 1\n"
	if err := os.WriteFile(filepath.Join(root, "services", "extra.go"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "service", "log"}, `services/services.go imports "log" as log`},
		{[]string{"generate", "service", "stdstrings"}, `services/services.go imports "strings" as stdstrings`},
		{[]string{"generate", "service", "audit"}, "package services declares audit already, in services/extra.go"},
	})
	// A name the registry does not use is added, and the registry compiles.
	if code, out, errs := pinion(t, root, "generate", "service", "catalog", "--adapter", "memory"); code != 0 {
		t.Fatalf("generate service catalog: %d %s%s", code, out, errs)
	}
}

// Hook names: the file hooks/NAME.go and the function hooks.Name, whose
// test is TestName.
func TestReviewCLIHookNames(t *testing.T) {
	root := newTestApp(t)
	var cases []refusal
	for name, want := range map[string]string{
		"../x": "bad hook name", "/abs": "bad hook name", "a/b": "bad hook name", `a\b`: "bad hook name", ".": "bad hook name",
		"..": "bad hook name", "": "bad hook name", " ": "bad hook name", "1x": "bad hook name", "X": "bad hook name",
		"x.y": "bad hook name", "hé": "bad hook name", "doc": "would not be a hook's file", "x_test": "would not be a hook's file",
		"con": "Windows keeps for a device", "com1": "Windows keeps for a device",
		"x-windows": "only for windows", "x-arm64": "only for arm64",
		strings.Repeat("h", maxName+1): "at most 63 characters",
	} {
		cases = append(cases, refusal{[]string{"generate", "hook", name}, want})
	}
	expectRefusals(t, root, []string{root}, cases)
	if code, out, errs := pinion(t, root, "generate", "hook", "foo-bar"); code != 0 {
		t.Fatalf("generate hook foo-bar: %d %s%s", code, out, errs)
	}
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "hook", "foo_bar"}, "hooks/foo_bar.go already exists"},
	})
}

// Every path generate writes is lower-case: two names cannot make files
// that differ only in case, which a case-insensitive file system would
// take for one.
func TestReviewCLILowerCasePaths(t *testing.T) {
	for _, name := range []string{"todos", "user-profiles", "x1-y2"} {
		files, err := renderDir("service", serviceData{Module: "example.com/M", Path: name, Package: strings.ReplaceAll(name, "-", ""), Type: typeName(name), Adapter: "sqlite"}, func(rel string) string {
			return filepath.Join("services", strings.ReplaceAll(name, "-", ""), rel)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.path != strings.ToLower(f.path) {
				t.Errorf("service %s writes %s", name, f.path)
			}
		}
	}
}

// The names generate accepts make table names the embedded store holds:
// SQL keywords and hyphens are quoted identifiers.
func TestReviewCLISQLTableNames(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type record struct {
		ID   string `json:"_id" readOnly:"true"`
		Text string `json:"text"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range []string{"order", "group", "from", "where", "table", "index", "values", "user-profiles", "x1-2", strings.Repeat("t", maxName)} {
		if why := checkServiceName(name); why != "" {
			t.Errorf("%s: refused (%s)", name, why)
			continue
		}
		s := sqlite.Typed[record, string](db, name, sqlite.Options{Options: adapter.Options{}})
		r, err := s.Create(ctx, record{Text: "hello"}, nil)
		if err != nil {
			t.Errorf("%s: create: %v", name, err)
			continue
		}
		if got, err := s.Get(ctx, r.ID, nil); err != nil || got.Text != "hello" {
			t.Errorf("%s: get: %v %v", name, got, err)
		}
		if _, err := s.Remove(ctx, r.ID, nil); err != nil {
			t.Errorf("%s: remove: %v", name, err)
		}
	}
}

// Accepted names that are close to Go's, the templates' and the SQL's own
// make an app that passes go vet and whose services' tests pass.
func TestReviewCLIAcceptedNamesBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated app")
	}
	root := newTestApp(t)
	services := []string{
		"order",                      // an SQL keyword as a table
		"context", "strings", "http", // the templates' imports
		"testing", "apptest", "memory", "sqlite", "mongodb", "adapter", "fmt",
		"test", "t", "s", "c", "x-1", // short names, the templates' locals
		strings.Repeat("l", maxName), // as long as a name may be
	}
	for i, name := range services {
		args := []string{"generate", "service", name, "--adapter", []string{"sqlite", "memory", "mongodb"}[i%3]}
		if i%2 == 0 {
			args = append(args, "--auth")
		}
		if code, out, errs := pinion(t, root, args...); code != 0 {
			t.Fatalf("pinion %q: %d %s%s", args, code, out, errs)
		}
	}
	for _, name := range []string{"test-x", "main", "init", "string", "type", strings.Repeat("h", maxName)} {
		if code, out, errs := pinion(t, root, "generate", "hook", name); code != 0 {
			t.Fatalf("generate hook %s: %d %s%s", name, code, out, errs)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./services/...", "./hooks/..."}} {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=readonly")
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("go %s in the generated app: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Module paths and app names that the go command refuses, or that would
// make an app which does not build, are refused before anything is written.
func TestReviewCLIModulePaths(t *testing.T) {
	dir := t.TempDir()
	expectRefusals(t, dir, []string{dir}, []refusal{
		{[]string{"new", "con"}, `bad module path "con": con is a name Windows keeps for a device`},
		{[]string{"new", "aux"}, "Windows"},
		{[]string{"new", "x", "--module", "example.com/nul.go"}, "Windows"},
		{[]string{"new", "x", "--module", "example.com/COM1"}, "Windows"},
		{[]string{"new", "x", "--module", "example.com/x~1"}, "a tilde and digits"},
		{[]string{"new", "x", "--module", "example.com/x~y~12.go"}, "a tilde and digits"},
		{[]string{"new", "x", "--module", "example.com/my app"}, "bad module path"},
		{[]string{"new", "x", "--module", "example.com/../x"}, "bad module path"},
		{[]string{"new", "x", "--module", "../x"}, "bad module path"},
		{[]string{"new", "x", "--module", "/x"}, "bad module path"},
		{[]string{"new", "x", "--module", "example.com/x/"}, "bad module path"},
		{[]string{"new", "x", "--module", "./x"}, "bad module path"},
		{[]string{"new", "x", "--module", "example.com/x@v1"}, "bad module path"},
		{[]string{"new", "x", "--module", `example.com\x`}, "bad module path"},
		{[]string{"new", "x", "--module", "example.com/-x"}, "bad module path"},
		{[]string{"new", "x", "--module", pinionModule}, "Pinion's own module path"},
		{[]string{"new", "x", "--module", pinionModule + "/myapp"}, "Pinion's own module path"},
		{[]string{"new", "x", "--module", "fmt/x"}, "standard library"},
		{[]string{"new", strings.Repeat("n", maxName+1)}, "at most 63 characters"},
		{[]string{"new", "x y"}, "bad app name"},
		{[]string{"new", "."}, "bad app name"},
		{[]string{"new", "/"}, "bad app name"},
		{[]string{"new", ""}, "bad app name"},
	})
}

// Module paths that pinion new accepts are module paths the go command
// accepts: go list -m reads them back.
func TestReviewCLIModulePathsAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pinion new, which runs go mod tidy")
	}
	dir := t.TempDir()
	for name, module := range map[string]string{
		"a-b_c": "a-b_c",
		"v2app": "Example.com/Org~x/x~y~/v2app.x/v2",
	} {
		args := []string{"new", name}
		if module != name {
			args = append(args, "--module", module)
		}
		if code, out, errs := pinion(t, dir, args...); code != 0 {
			t.Fatalf("pinion %q: %d %s%s", args, code, out, errs)
		}
		cmd := exec.Command("go", "list", "-m")
		cmd.Dir = filepath.Join(dir, name)
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != module {
			t.Errorf("go list -m in the app of %q: %v %s", args, err, out)
		}
	}
}

// A Pinion checkout at a path with characters that go.mod reads as tokens
// ( ()[]{}, and quotes) is replaced with a quoted path that go.mod reads
// back whole.
func TestReviewCLICheckoutPaths(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	checkout := filepath.Join(filepath.Dir(file), "..", "..")
	for i, dirName := range []string{"pinion(checkout)", "a,b", "x[1]", "{y}", "it's", "tab\there", "a=>b", "ä"} {
		dir := t.TempDir()
		link := filepath.Join(dir, dirName)
		if err := os.Symlink(checkout, link); err != nil {
			t.Skip("no symbolic links:", err)
		}
		name := fmt.Sprintf("app%d", i)
		if code, out, errs := pinion(t, dir, "new", name, "--pinion", link); code != 0 {
			t.Errorf("pinion new --pinion %q: %d %s%s", link, code, out, errs)
			continue
		}
		cmd := exec.Command("go", "mod", "edit", "-json")
		cmd.Dir = filepath.Join(dir, name)
		out, err := cmd.CombinedOutput()
		var mod struct {
			Replace []struct{ New struct{ Path string } }
		}
		if err == nil {
			err = json.Unmarshal(out, &mod)
		}
		if err != nil || len(mod.Replace) != 1 || mod.Replace[0].New.Path != filepath.ToSlash(link) {
			t.Errorf("the app's go.mod with the checkout at %q: %v\n%s", link, err, out)
		}
	}
}

// generate writes only inside the app: a symbolic link in the app that
// leads outside it (the services or hooks directory, the registry) is
// refused, and nothing is written on either side.
func TestReviewCLISymlinks(t *testing.T) {
	for _, c := range []struct {
		link string // in the app, made a link to a copy outside
		args []string
		want string
	}{
		{"hooks", []string{"generate", "hook", "evil"}, "hooks/doc.go would be written outside the app"},
		{"services", []string{"generate", "service", "evil"}, "services/services.go would be written outside the app"},
		{registryFile, []string{"generate", "service", "evil"}, "services/services.go would be written outside the app"},
	} {
		t.Run(strings.ReplaceAll(c.link, "/", "_"), func(t *testing.T) {
			root := newTestApp(t)
			outside := t.TempDir()
			in, out := filepath.Join(root, c.link), filepath.Join(outside, filepath.Base(c.link))
			if !exists(in) {
				if err := os.Mkdir(in, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Rename(in, out); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(out, in); err != nil {
				t.Skip("no symbolic links:", err)
			}
			expectRefusals(t, root, []string{root, outside}, []refusal{{c.args, c.want}})
		})
	}
	// A link that stays inside the app is followed.
	root := newTestApp(t)
	if err := os.Mkdir(filepath.Join(root, "internal"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "internal"), filepath.Join(root, "hooks")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if code, out, errs := pinion(t, root, "generate", "hook", "fine"); code != 0 || !exists(filepath.Join(root, "internal", "fine.go")) {
		t.Errorf("generate hook through a link inside the app: %d %s%s", code, out, errs)
	}
}

// Generated files are readable by all and writable by their owner only;
// the registry keeps its mode.
func TestReviewCLIPermissions(t *testing.T) {
	root := newTestApp(t)
	registry := filepath.Join(root, registryFile)
	if err := os.Chmod(registry, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"generate", "service", "notes", "--auth"}, {"generate", "hook", "audit"}} {
		if code, out, errs := pinion(t, root, args...); code != 0 {
			t.Fatalf("pinion %q: %d %s%s", args, code, out, errs)
		}
	}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.Error(err)
			return nil
		}
		allowed := fs.FileMode(0o644)
		if d.IsDir() {
			allowed = 0o755
		}
		if path == registry {
			allowed = 0o600
		}
		if extra := info.Mode().Perm() &^ allowed; extra != 0 {
			t.Errorf("%s is %v: more than %v", path, info.Mode().Perm(), allowed)
		}
		return nil
	})
	if info, err := os.Stat(registry); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the registry's mode after generate: %v %v", info.Mode(), err)
	}
}

// A generator stopped by something in its way stops before it writes: a
// file of the user's where one of the hook's goes, a directory or a link
// where the service's goes, a registry that does not parse.
func TestReviewCLINothingHalfMade(t *testing.T) {
	root := newTestApp(t)
	if err := os.MkdirAll(filepath.Join(root, "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "hooks", "audit_test.go"), []byte("package hooks_test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "services", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "services", "dangling")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "hook", "audit"}, "hooks/audit_test.go already exists"},
		{[]string{"generate", "service", "empty"}, "services/empty is there"},
		{[]string{"generate", "service", "dangling"}, "services/dangling is there"},
	})
	registry := filepath.Join(root, registryFile)
	src, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(registry, append(src, "func {\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	expectRefusals(t, root, []string{root}, []refusal{
		{[]string{"generate", "service", "notes"}, "services/services.go does not parse"},
	})
}

// pinion new's target: beside a file, at a file or a link, it is refused
// before anything is written.
func TestReviewCLINewTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	expectRefusals(t, dir, []string{dir}, []refusal{
		{[]string{"new", "file/x"}, "file is not a directory"},
		{[]string{"new", "file"}, "file already exists"},
		{[]string{"new", "dangling"}, "dangling already exists"},
		{[]string{"new", "missing/x"}, "missing does not exist"},
	})
}

// An interrupt while pinion new runs go mod tidy leaves nothing: not the
// app, nor its temporary directory beside it. (The go that pinion runs
// here interrupts pinion, then waits to be stopped.)
func TestReviewCLINewInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sends SIGINT from a shell script")
	}
	if testing.Short() {
		t.Skip("builds the command")
	}
	_, file, _, _ := runtime.Caller(0)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "pinion"), ".")
	build.Dir = filepath.Dir(file)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fake := "#!/bin/sh\nkill -INT $PPID\nexec sleep 600\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(bin, "pinion"), "new", "myapp")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "interrupted: myapp was not made") {
		t.Errorf("pinion new, interrupted: exit %d (%v), output %q; want exit 1 saying it was interrupted", code, err, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// A generate service whose registry cannot be rewritten (here an immutable
// services/services.go, which even root cannot replace) takes back the
// service it wrote: the app is as it was.
func TestReviewCLIRegistryWriteFails(t *testing.T) {
	root := newTestApp(t)
	registry := filepath.Join(root, registryFile)
	if out, err := exec.Command("chattr", "+i", registry).CombinedOutput(); err != nil {
		t.Skipf("cannot make the registry immutable: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", registry).Run() })
	before := snapshot(t, root)
	code, out, errs := pinion(t, root, "generate", "service", "notes")
	if code != 1 || out != "" || !strings.Contains(errs, "services.go") {
		t.Errorf("generate service with an immutable registry: exit %d, stdout %q, stderr %q; want exit 1 naming the registry", code, out, errs)
	}
	if snapshot(t, root) != before {
		t.Error("the failed generate left a change")
	}
}
