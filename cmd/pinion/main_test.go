package main

import (
	"bytes"
	"context"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pinion runs the command in dir and returns its status and outputs.
func pinion(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// newTestApp makes an app with pinion new in a temporary directory and
// returns its directory.
func newTestApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, out, errs := pinion(t, dir, "new", "myapp", "--module", "example.com/myapp"); code != 0 {
		t.Fatalf("pinion new: %d\n%s%s", code, out, errs)
	}
	return filepath.Join(dir, "myapp")
}

// What pinion refuses, it says in one line on stderr, with exit status 2,
// and it writes nothing.
func TestRefusals(t *testing.T) {
	root := newTestApp(t)
	outside := t.TempDir()
	for _, c := range []struct {
		dir  string
		args []string
		want string
	}{
		{root, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{root, []string{"generate"}, "generate what?"},
		{root, []string{"generate", "widget", "x"}, `cannot generate "widget"`},
		{root, []string{"generate", "service"}, "takes one NAME"},
		{root, []string{"generate", "service", "Todos"}, `bad service name "Todos"`},
		{root, []string{"generate", "service", "to_dos"}, `bad service name "to_dos"`},
		{root, []string{"generate", "service", "func"}, "Go keyword"},
		{root, []string{"generate", "service", "app"}, "services.go's Register takes app"},
		{root, []string{"generate", "service", "users"}, "service users exists already: services/users is there"},
		{root, []string{"generate", "service", "notes", "--adapter", "sql"}, "--adapter sql: want sqlite, mongodb or memory"},
		{root, []string{"generate", "service", "notes", "--adapter"}, "flag --adapter needs a value"},
		{root, []string{"generate", "service", "notes", "--wat"}, "unknown flag --wat (it takes --adapter, --auth)"},
		{root, []string{"generate", "service", "notes", "--auth=maybe"}, "--auth takes no value"},
		{root, []string{"generate", "hook", "Log Calls"}, `bad hook name "Log Calls"`},
		{root, []string{"generate", "hook", "x", "--fast"}, "unknown flag --fast (it takes none)"},
		{root, []string{"types", "extra"}, `types takes no arguments, got "extra"`},
		{root, []string{"openapi", "--json"}, "unknown flag --json"},
		{outside, []string{"generate", "service", "notes"}, "not inside a Pinion app: no go.mod in"},
		{outside, []string{"types"}, "not inside a Pinion app"},
		{filepath.Dir(root), []string{"new", "myapp"}, "myapp already exists: not writing into it"},
		{outside, []string{"new", "My App"}, `bad app name "My App"`},
		{outside, []string{"new", "a", "b"}, "new takes one NAME"},
		{outside, []string{"new", "x", "--module", "not a path"}, `bad module path "not a path"`},
		{outside, []string{"new", "x", "--pinion", outside}, "not a Pinion checkout"},
		{outside, []string{"new", "missing/x"}, "missing does not exist"},
	} {
		code, out, errs := pinion(t, c.dir, c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "pinion: ") || !strings.Contains(errs, c.want) {
			t.Errorf("pinion %s: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("refusals wrote %v", entries)
	}
	// A module that pinion new did not make has no registration point.
	os.WriteFile(filepath.Join(outside, "go.mod"), []byte("module example.com/other\n"), 0o644)
	if code, _, errs := pinion(t, outside, "generate", "service", "notes"); code != 2 || !strings.Contains(errs, "has no services/services.go") {
		t.Errorf("generate in another module: %d %q", code, errs)
	}
	if code, out, errs := pinion(t, root); code != 2 || out != "" || !strings.HasPrefix(errs, "usage: pinion <command>") {
		t.Errorf("no command: %d %q %q", code, out, errs)
	}
	if code, out, _ := pinion(t, root, "help"); code != 0 || !strings.Contains(out, "generate service NAME [--adapter sqlite|mongodb|memory] [--auth]") {
		t.Errorf("help: %d %q", code, out)
	}
}

// generate service edits services/services.go above its two markers, and
// refuses (naming the file) when one is gone or doubled, writing nothing.
func TestRegistrationPoint(t *testing.T) {
	root := newTestApp(t)
	registry := filepath.Join(root, registryFile)
	orig, _ := os.ReadFile(registry)
	for name, tc := range map[string]struct{ src, want string }{
		"no imports marker":  {strings.Replace(string(orig), importsMarker, "// imports", 1), fmt.Sprintf("no %q comment", importsMarker)},
		"no services marker": {strings.Replace(string(orig), servicesMarker, "// services", 1), fmt.Sprintf("no %q comment", servicesMarker)},
		"two markers":        {strings.Replace(string(orig), servicesMarker, servicesMarker+"\n\t"+servicesMarker, 1), "is there twice"},
	} {
		os.WriteFile(registry, []byte(tc.src), 0o644)
		code, _, errs := pinion(t, root, "generate", "service", "notes")
		if code != 2 || !strings.Contains(errs, "services/services.go: ") || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: %d %q, want %q", name, code, errs, tc.want)
		}
		if exists(filepath.Join(root, "services", "notes")) {
			t.Fatalf("%s: the service was written", name)
		}
	}
	os.WriteFile(registry, orig, 0o644)
	got, err := register(orig, "example.com/myapp/services/notes", "notes.Register(app, db)")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\t\"example.com/myapp/services/notes\"\n", "\tnotes.Register(app, db)\n\t" + servicesMarker} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the registry lacks %q:\n%s", want, got)
		}
	}
	if _, err := register(got, "example.com/myapp/services/notes", "notes.Register(app, db)"); err == nil || !strings.Contains(err.Error(), "imports \"example.com/myapp/services/notes\" already") {
		t.Errorf("a second registration: %v", err)
	}
}

func TestTypeNames(t *testing.T) {
	for name, want := range map[string]string{
		"todos": "Todo", "user-profiles": "UserProfile", "categories": "Category", "boxes": "Box",
		"addresses": "Address", "cache": "Cache", "bus": "Bus", "glass": "Glass",
	} {
		if got := typeName(name); got != want {
			t.Errorf("typeName(%q) = %q, want %q", name, got, want)
		}
	}
}

// The CI test of the generators: a fresh app, a service of each adapter, a
// hook; every Go file gofmt-clean; re-running a generator refuses; then the
// app passes go vet and its own tests (one go test, offline: Pinion is this
// checkout, through the replace directive pinion new wrote, and the modules
// come from the module cache), and pinion types prints its types.
func TestGeneratedApp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated app")
	}
	root := newTestApp(t)
	steps := [][]string{
		{"generate", "service", "todos", "--auth"},
		{"generate", "service", "notes", "--adapter", "memory"},
		{"generate", "service", "user-profiles", "--adapter=mongodb"},
		{"generate", "service", "categories"}, // sqlite, the default
		{"generate", "hook", "log-calls"},
		{"generate", "hook", "audit"},
	}
	for _, args := range steps {
		if code, out, errs := pinion(t, root, args...); code != 0 {
			t.Fatalf("pinion %s: %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	// Again: each refuses, naming what is in the way, and changes nothing.
	before := snapshot(t, root)
	for args, want := range map[string]string{
		"generate service todos":        "services/todos is there",
		"generate hook log-calls":       "hooks/log_calls.go already exists",
		"generate service userprofiles": "services/userprofiles is there",
	} {
		if code, _, errs := pinion(t, root, strings.Fields(args)...); code != 2 || !strings.Contains(errs, want) {
			t.Errorf("pinion %s again: %d %q", args, code, errs)
		}
	}
	if after := snapshot(t, root); after != before {
		t.Error("a refused generator changed the app")
	}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".go") {
			src, _ := os.ReadFile(path)
			if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
				t.Errorf("%s is not gofmt-clean (%v)", path, err)
			}
		}
		return nil
	})
	for _, f := range []string{"README.md", "Dockerfile", "docker-compose.yml", "config/default.json", "config/production.json", "config/test.json", ".gitignore"} {
		if !exists(filepath.Join(root, f)) {
			t.Errorf("no %s", f)
		}
	}
	if readme, _ := os.ReadFile(filepath.Join(root, "README.md")); !bytes.Contains(readme, []byte("go run ./cmd/server")) || !bytes.Contains(readme, []byte("go test ./...")) {
		t.Error("the README lacks the two commands")
	}

	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	if n := strings.Count(string(gomod), "replace "); n != 1 || !strings.Contains(string(gomod), "replace "+pinionModule+" => ") {
		t.Errorf("go.mod replaces something other than Pinion:\n%s", gomod)
	}
	tidied(t, root)

	goCmd := func(env []string, args ...string) ([]byte, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=readonly"), env...)
		out, err := cmd.CombinedOutput()
		t.Logf("go %s:\n%s", strings.Join(args, " "), out)
		return out, err
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		if out, err := goCmd(nil, args...); err != nil {
			t.Fatalf("go %s in the generated app: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Served as docs/cli.md says: the embedded store opens, and the service
	// made with --adapter mongodb stops the start, saying what it needs.
	out, err := goCmd([]string{"DATA_DIR=" + t.TempDir(), "MONGODB_URL=", "STORAGE=", "PORT=0"}, "run", "./cmd/server")
	if err == nil || !bytes.Contains(out, []byte("embedded store opened")) || !bytes.Contains(out, []byte("the user-profiles service keeps its records in MongoDB: set MONGODB_URL")) {
		t.Errorf("go run ./cmd/server without MONGODB_URL: %v\n%s", err, out)
	}

	// As docs/cli.md writes it: into a directory that does not exist yet.
	ts := filepath.Join(root, "services", "client", "services.ts")
	t.Setenv("GOWORK", "off")
	t.Setenv("GOPROXY", "off")
	if code, out, errs := pinion(t, filepath.Join(root, "services"), "types", "-o", "client/services.ts"); code != 0 {
		t.Fatalf("pinion types: %d\n%s%s", code, out, errs)
	}
	b, _ := os.ReadFile(ts)
	for _, want := range []string{"  users: UsersService\n", "  todos: TodosService\n", "  notes: NotesService\n", "  'user-profiles': UserProfilesService\n",
		"export interface TodosData {\n  text: string\n}"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("pinion types: no %q in\n%s", want, b)
		}
	}
}

// tidied checks that pinion new tidied the app's go.mod (offline, from the
// module cache): it requires none of the modules only Pinion's own tests
// use.
func tidied(t *testing.T, app string) {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(app, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"github.com/FerretDB/FerretDB", "github.com/chromedp/chromedp", "github.com/pb33f/libopenapi", "github.com/nats-io/nats-server/v2"} {
		if strings.Contains(string(gomod), m+" ") {
			t.Errorf("the app's go.mod requires %s, which only Pinion's tests use", m)
		}
	}
}

// snapshot is every file of dir with its contents, as one string.
func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			b.WriteString(path + "\n" + string(data) + "\n")
		}
		return nil
	})
	return b.String()
}
