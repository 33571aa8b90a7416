package main

import (
	"bytes"
	"context"
	"io"
	"os"
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
