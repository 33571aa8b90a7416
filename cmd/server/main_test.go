package main

import (
	"bytes"
	"context"
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
