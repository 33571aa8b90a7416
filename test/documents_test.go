package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

var (
	doctoolsOnce sync.Once
	doctoolsErr  error
)

// doctools installs the pinned tools of doctools/package.json (npm ci, once
// per lock file) and answers the directory of their commands.
func doctools(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the document checks need Node.js 20+ and npm")
	}
	dir, err := filepath.Abs("doctools")
	if err != nil {
		t.Fatal(err)
	}
	doctoolsOnce.Do(func() {
		lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			doctoolsErr = err
			return
		}
		sum := sha256.Sum256(lock)
		stamp := filepath.Join(dir, "node_modules", ".pinion-lock-sha256")
		if b, err := os.ReadFile(stamp); err == nil && string(b) == hex.EncodeToString(sum[:]) {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			doctoolsErr = fmt.Errorf("npm ci in doctools: %v\n%s", err, out)
			return
		}
		doctoolsErr = os.WriteFile(stamp, []byte(hex.EncodeToString(sum[:])), 0o644)
	})
	if doctoolsErr != nil {
		t.Fatal(doctoolsErr)
	}
	return filepath.Join(dir, "node_modules", ".bin")
}

// The chat app's OpenAPI document passes tools Pinion did not write:
// redocly's recommended rules report no error, and the types
// openapi-typescript makes of it compile with tsc --strict.
func TestOpenAPIDocumentTools(t *testing.T) {
	bin := doctools(t)
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
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/openapi.json", nil))
	if w.Code != 200 {
		t.Fatalf("GET /openapi.json: %d", w.Code)
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(doc, w.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		t.Logf("%s: %s", name, out)
	}
	run("redocly", "lint", "--format=summary", "openapi.json")
	run("openapi-typescript", "openapi.json", "-o", "schema.d.ts")
	run("tsc", "--strict", "--noEmit", "schema.d.ts")
}
