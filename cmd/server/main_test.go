package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInvalidConfigurationExits2(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"bad port":                    {"PORT": "http"},
		"bad storage":                 {"STORAGE": "floppy"},
		"short secret":                {"AUTH_SECRET": "too-short", "STORAGE": "memory"},
		"production without a secret": {"APP_ENV": "production", "STORAGE": "memory"},
	} {
		t.Run(name, func(t *testing.T) {
			env["CONFIG_DIR"] = "../../config"
			env["DATA_DIR"] = t.TempDir()
			var stderr bytes.Buffer
			code := run(context.Background(), func(k string) string { return env[k] }, &stderr)
			if code != 2 {
				t.Fatalf("exit status %d, want 2; output:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "invalid configuration") && !strings.Contains(stderr.String(), "AUTH_SECRET") && !strings.Contains(stderr.String(), "secret") {
				t.Errorf("unclear message: %s", stderr.String())
			}
		})
	}
}

// The describing subcommands print the chat app's documents, with nothing
// opened: `go run ./cmd/server types` (what `pinion types` runs here).
func TestDescribe(t *testing.T) {
	env := map[string]string{"CONFIG_DIR": "../../config", "DATA_DIR": t.TempDir() + "/absent"}
	for what, want := range map[string]string{
		"types":   "export interface MessagesService {",
		"openapi": `"title": "Pinion chat"`,
	} {
		var stdout, stderr bytes.Buffer
		if code := describe([]string{what}, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit status %d: %s", what, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("%s: no %s in\n%s", what, want, stdout.String())
		}
	}
	if _, err := os.Stat(env["DATA_DIR"]); err == nil {
		t.Error("describing wrote the data directory")
	}
	var stderr bytes.Buffer
	if code := describe([]string{"bogus"}, func(k string) string { return env[k] }, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "bogus"`) {
		t.Errorf("bogus: %d %s", code, stderr.String())
	}
}

// Settings that cannot work are refused before anything is served, with
// exit status 2 and a message naming the setting: a metrics path on one of
// the app's routes (it used to panic with a goroutine dump for "/", and to
// hide GET /users silently for "/users"), and a blank secret.
func TestConflictingSettingsExit2(t *testing.T) {
	defaults, err := os.ReadFile("../../config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, testJSON string
		env            map[string]string
		want           string
	}{
		{"metrics on the page", `{"metrics": {"path": "/"}}`, nil, `metrics.path "/"`},
		{"metrics on a service", `{"metrics": {"path": "/users"}}`, nil, "would hide the users service"},
		{"metrics on a record of a service", `{"metrics": {"path": "/messages/stats"}}`, nil, "would hide the messages service"},
		{"metrics on a nested service", `{"metrics": {"path": "/authentication/tickets"}}`, nil, "would hide the authentication/tickets service"},
		{"metrics on the health check", `{"metrics": {"path": "/healthz"}}`, nil, "the server's route /healthz"},
		{"metrics on the page's files", `{"metrics": {"path": "/app/metrics"}}`, nil, "the server's route /app/*"},
		{"metrics on socket.io", `{"metrics": {"path": "/socket.io/x"}}`, nil, "the server's route /socket.io/*any"},
		{"metrics on the docs", `{"metrics": {"path": "/docs/metrics"}}`, nil, "the server's route /docs/*file"},
		{"metrics as a pattern", `{"metrics": {"path": "/:x"}}`, nil, "metrics.path"},
		{"blank AUTH_SECRET", `{}`, map[string]string{"AUTH_SECRET": strings.Repeat(" ", 40)}, "AUTH_SECRET is blank"},
		{"blank configured secret", `{"authentication": {"secret": "` + strings.Repeat(`\t`, 40) + `"}}`, map[string]string{"AUTH_SECRET": ""}, "authentication.secret is blank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "default.json"), defaults, 0o644)
			os.WriteFile(filepath.Join(dir, "test.json"), []byte(tc.testJSON), 0o644)
			env := map[string]string{"CONFIG_DIR": dir, "APP_ENV": "test", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
				"AUTH_SECRET": "cmd-server-test-secret-0123456789abcdef", "PORT": "0"}
			maps.Copy(env, tc.env)
			var stderr bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a server that starts anyway stops at once
			code := run(ctx, func(k string) string { return env[k] }, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("exit status %d, want 2 with %q; output:\n%s", code, tc.want, stderr.String())
			}
		})
	}
}

// Started from a directory without config/, the binary runs with the
// settings built into it for its environment, and says so: in production,
// the built-in production.json (metrics and docs off, no origin allowed).
func TestBuiltInSettingsAreLogged(t *testing.T) {
	t.Chdir(t.TempDir())
	env := map[string]string{"APP_ENV": "production", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": "cmd-server-test-secret-0123456789abcdef", "PORT": "0", "HOST": "127.0.0.1"}
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start, then stop at once
	if code := run(ctx, func(k string) string { return env[k] }, &stderr); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr.String())
	}
	for _, want := range []string{`"sources":"built-in default.json, built-in production.json"`, "using the settings built into the binary"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("no %s in the log:\n%s", want, stderr.String())
		}
	}
}
