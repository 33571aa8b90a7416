package e2e

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
	"github.com/pinionhq/pinion/typescript"
)

// The TypeScript types Pinion generates let a Feathers client's calls
// type-check: ts/chat.ts against the chat app's (server.New on memory),
// ts/todos.ts against examples/todos's, as `go run ./examples/todos types`
// prints them, and ts/notes.ts against examples/notes's (a typed custom
// method), compiled with tsc --strict (the pinned typescript package).
// Each program also makes calls the types must refuse, marked
// @ts-expect-error, so that tsc fails if any of them compiles: a message's
// text as a number, a todo without a title or with a title of 42, a
// read-only id in data, a wrong type or operator in a query, a field that
// a record does not have, a method a service does not expose.
func TestTypeScriptClientTypes(t *testing.T) {
	nodeModules(t)
	dir := t.TempDir()
	abs, err := filepath.Abs("node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		t.Helper()
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyProgram := func(name string) {
		b, err := os.ReadFile(filepath.Join("ts", name+".ts"))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(name, "client.ts"), b)
	}

	// The chat app, as server.New assembles it.
	vars := map[string]string{"CONFIG_DIR": "../config", "APP_ENV": "test", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": testSecret, "LOG_LEVEL": "error"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	chat, err := typescript.Generate(srv.App)
	if err != nil {
		t.Fatal(err)
	}
	write("chat/services.ts", chat)
	copyProgram("chat")

	// examples/todos, through its command.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, "go", "run", "../examples/todos", "types")
	cmd.Stderr = &stderr
	todos, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ../examples/todos types: %v\n%s", err, stderr.String())
	}
	write("todos/services.ts", todos)
	copyProgram("todos")

	// examples/notes, through its command: a typed custom method.
	stderr.Reset()
	cmd = exec.CommandContext(ctx, "go", "run", "../examples/notes", "types")
	cmd.Env = append(os.Environ(), "DATA_DIR="+t.TempDir(), "AUTH_SECRET="+testSecret)
	cmd.Stderr = &stderr
	notes, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ../examples/notes types: %v\n%s", err, stderr.String())
	}
	write("notes/services.ts", notes)
	copyProgram("notes")

	tsc := exec.CommandContext(ctx, "node", filepath.Join(abs, "typescript", "bin", "tsc"),
		"--strict", "--noEmit", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
		"--types", "node", "chat/client.ts", "todos/client.ts", "notes/client.ts")
	tsc.Dir = dir
	out, err := tsc.CombinedOutput()
	if err != nil {
		t.Logf("chat/services.ts:\n%s", chat)
		t.Logf("todos/services.ts:\n%s", todos)
		t.Logf("notes/services.ts:\n%s", notes)
		t.Fatalf("tsc --strict: %v\n%s", err, out)
	}
}
