package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
