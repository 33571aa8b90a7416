package serve

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/openapi"
)

type note struct {
	ID   int    `json:"id" readOnly:"true"`
	Text string `json:"text" required:"true"`
}

func notesApp() (*pinion.App, error) {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[note, int](memory.Options{}))
	return app, nil
}

func run(t *testing.T, newApp func() (*pinion.App, error), args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := command(context.Background(), args, &stdout, &stderr, newApp, Options{})
	return code, stdout.String(), stderr.String()
}

// The describing subcommands print the app's documents, without serving.
func TestDescribe(t *testing.T) {
	code, out, errs := run(t, notesApp, "openapi")
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc["openapi"] != "3.1.0" || errs != "" {
		t.Fatalf("openapi: %d %q %q", code, out, errs)
	}
	if _, ok := doc["paths"].(map[string]any)["/notes"]; !ok {
		t.Errorf("openapi: no /notes in %v", doc["paths"])
	}
	code, out, _ = run(t, notesApp, "types")
	if code != 0 || !strings.Contains(out, "export interface NotesData {\n  text: string\n}") || !strings.Contains(out, "export interface ServiceTypes {") {
		t.Fatalf("types: %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "services.ts")
	if code, out, _ := run(t, notesApp, "types", "-o", file); code != 0 || out != "" {
		t.Fatalf("types -o: %d %q", code, out)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "NotesService") {
		t.Fatalf("types -o wrote %q, %v", b, err)
	}
	if code, out, _ := run(t, notesApp, "-h"); code != 0 || !strings.Contains(out, "openapi [-o FILE]") {
		t.Errorf("-h: %d %q", code, out)
	}
}

// A command line it does not understand exits 2, a failure 1, with one line.
func TestDescribeErrors(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"types", "-x"}, {"openapi", "extra"}} {
		code, out, errs := run(t, notesApp, args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
	}
	broken := func() (*pinion.App, error) { return nil, errors.New("no config") }
	if code, _, errs := run(t, broken, "types"); code != 1 || !strings.Contains(errs, "no config") {
		t.Errorf("a failing app: %d %q", code, errs)
	}
	if err := Describe(nil, nil, notesApp, openapi.Info{}); !errors.Is(err, ErrUsage) {
		t.Errorf("no arguments: %v", err)
	}
}
