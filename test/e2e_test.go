// Package e2e drives a real Pinion server with the official Feathers JS clients
// (@feathersjs/rest-client, @feathersjs/socketio-client,
// @feathersjs/authentication-client) and checks tokens against a real Feathers
// server. The Node packages are pinned in package.json and installed here with
// npm ci, so `go test ./...` is the only command needed.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

const testSecret = "e2e-secret-e2e-secret-e2e-secret-0123456789"

var (
	npmOnce sync.Once
	npmErr  error
)

// nodeModules installs the pinned Node packages once, with npm ci, unless the
// installed tree already matches package-lock.json.
func nodeModules(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the Feathers client tests need Node.js 20+ and npm")
	}
	npmOnce.Do(func() {
		lock, err := os.ReadFile("package-lock.json")
		if err != nil {
			npmErr = err
			return
		}
		sum := sha256.Sum256(lock)
		stamp := filepath.Join("node_modules", ".pinion-lock-sha256")
		if b, err := os.ReadFile(stamp); err == nil && string(b) == hex.EncodeToString(sum[:]) {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		out, err := cmd.CombinedOutput()
		if err != nil {
			npmErr = fmt.Errorf("npm ci: %v\n%s", err, out)
			return
		}
		npmErr = os.WriteFile(stamp, []byte(hex.EncodeToString(sum[:])), 0o644)
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
}

// instance is a running Pinion server.
type instance struct {
	URL string
	srv *server.Server
}

// startPinion starts the default app on a free port with the given storage.
func startPinion(t *testing.T, storage string, env map[string]string) *instance {
	t.Helper()
	vars := map[string]string{
		"CONFIG_DIR":  "../config",
		"APP_ENV":     "test",
		"DATA_DIR":    t.TempDir(),
		"STORAGE":     storage,
		"AUTH_SECRET": testSecret,
		"LOG_LEVEL":   "error",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.Level()}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v\n%s", err, goroutines())
		}
	})
	return &instance{URL: "http://" + ln.Addr().String(), srv: srv}
}

// runNode runs a node:test file against url and fails t with its report.
func runNode(t *testing.T, file string, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// --test-force-exit: socket.io clients keep timers alive after the last test.
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-force-exit", "--test-reporter=spec", file)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if testing.Verbose() || err != nil {
		t.Logf("node --test %s:\n%s", file, indent(out.String()))
	}
	if err != nil {
		// A script killed, or one whose step waited in vain ("nothing
		// after", js/cycles.test.mjs) or whose upgrade was given up ("probe
		// error"), hung on something: show on what.
		if ctx.Err() != nil || strings.Contains(out.String(), "nothing after") || strings.Contains(out.String(), "probe error") {
			t.Logf("what the process was doing when %s failed:\n%s", file, goroutines())
		}
		t.Fatalf("%s failed: %v", file, err)
	}
}

// goroutines is the stack of every goroutine of the test process, the
// in-process server's among them: what a hang was waiting on.
func goroutines() string {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return indent(b.String())
}

func indent(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

func TestRESTClient(t *testing.T) {
	nodeModules(t)
	for _, storage := range []string{"sqlite", "memory"} {
		t.Run(storage, func(t *testing.T) {
			p := startPinion(t, storage, nil)
			runNode(t, "js/rest.test.mjs", map[string]string{"PINION_URL": p.URL})
		})
	}
}

func TestSocketClient(t *testing.T) {
	nodeModules(t)
	p := startPinion(t, "sqlite", nil)
	for _, mode := range []string{"polling,websocket", "websocket", "polling"} {
		t.Run(mode, func(t *testing.T) {
			runNode(t, "js/socket.test.mjs", map[string]string{"PINION_URL": p.URL, "SOCKET_TRANSPORTS": mode})
		})
	}
}

// The client script Pinion serves at /socket.io/socket.io.js, run as a page
// runs it, connects and carries the Feathers calls.
func TestServedSocketClient(t *testing.T) {
	nodeModules(t)
	p := startPinion(t, "memory", nil)
	runNode(t, "js/served-client.test.mjs", map[string]string{"PINION_URL": p.URL, "NODE_OPTIONS": "--experimental-websocket"})
}

func TestRoomsWithClaims(t *testing.T) {
	nodeModules(t)
	p := startPinion(t, "memory", nil)
	// A hook on authentication create adds the claim, as an application would.
	p.srv.App.Service("authentication").Hooks(pinion.Hooks{Before: pinion.HookMap{"create": {
		func(ctx context.Context, hc *pinion.HookContext) error {
			channels := []any{"general"}
			if email, _ := hc.Data.(map[string]any)["email"].(string); strings.HasPrefix(email, "staff") {
				channels = append(channels, "staff")
			}
			hc.Params.Payload = map[string]any{"channels": channels}
			return nil
		},
	}}})
	runNode(t, "js/rooms.test.mjs", map[string]string{"PINION_URL": p.URL})
}

// configDir is a copy of the repository's configuration with extra settings
// for APP_ENV=test (merged key by key over default.json).
func configDir(t *testing.T, testJSON string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("../config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "default.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.json"), []byte(testJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"CONFIG_DIR": dir}
}

// TestSessions drives token renewal, expiry, refresh and the cookie flow
// through the real transports with the official clients.
func TestSessions(t *testing.T) {
	nodeModules(t)
	p := startPinion(t, "memory", configDir(t, `{"authentication": {
		"jwtOptions": {"expiresIn": "3s"},
		"leeway": 0,
		"renewal": "1500ms",
		"refresh": {"enabled": true, "expiresIn": "1h"},
		"cookie": {"enabled": true}
	}}`))
	runNode(t, "js/sessions.test.mjs", map[string]string{"PINION_URL": p.URL})
}
