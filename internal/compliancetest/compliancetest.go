// Package compliancetest runs an official socket.io protocol test suite
// (test-suite/ of github.com/socketio/engine.io-protocol or
// socket.io-protocol, kept under test/compliance/) with Node.js against
// cmd/sio-compliance. The suites' Node packages are pinned in their
// package-lock.json and installed with npm ci, so `go test ./...` is the only
// command needed.
package compliancetest

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion/internal/testlock"
)

// localhost is preloaded into Node.js (--import) to connect to "localhost"
// without a DNS lookup, so that the suites' requests reach the server in the
// order they were made: see the file.
//
//go:embed localhost.mjs
var localhost []byte

// port is where the suites look for their server (their URL is hard-coded).
const port = "3000"

// Run runs the suite of the current directory (test-suite.js, its
// package-lock.json) against the compliance server, and fails t unless every
// test of the suite passes. It skips without Node.js and in -short mode.
func Run(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the compliance suite needs Node.js 20+ and npm")
	}
	if testing.Short() {
		t.Skip("the compliance suite takes seconds; not in -short")
	}
	nodeModules(t)
	unlock := lockPort(t)
	defer unlock()
	testlock.Timing(t) // no browser renders meanwhile
	startServer(t)

	suite, err := os.ReadFile("test-suite.js")
	if err != nil {
		t.Fatal(err)
	}
	want := len(regexp.MustCompile(`(?m)^\s*it\(`).FindAll(suite, -1))

	preload := filepath.Join(t.TempDir(), "localhost.mjs")
	if err := os.WriteFile(preload, localhost, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--import", preload, filepath.Join("node_modules", "mocha", "bin", "mocha"), "--reporter", "spec", "test-suite.js")
	out, err := cmd.CombinedOutput()
	t.Logf("mocha:\n%s", out)
	if err != nil {
		t.Fatalf("the suite failed: %v", err)
	}
	// Every test of the suite ran and passed: none pending, none left out.
	m := regexp.MustCompile(`(\d+) passing`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no summary in mocha's output")
	}
	if passed, _ := strconv.Atoi(string(m[1])); passed != want {
		t.Errorf("%d tests passed, the suite has %d", passed, want)
	}
	if regexp.MustCompile(`\d+ (pending|failing)`).Match(out) {
		t.Error("tests pending or failing")
	}
}

// startServer builds and starts cmd/sio-compliance on port, and returns once
// it listens.
func startServer(t *testing.T) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sio-compliance")
	build := exec.Command("go", "build", "-o", bin, "github.com/pinionhq/pinion/cmd/sio-compliance")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	// The server logs a line once it listens, or its error.
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		line := lines.Text()
		if strings.Contains(line, "compliance server listening") {
			go func() {
				for lines.Scan() {
					t.Log(lines.Text())
				}
			}()
			return
		}
		t.Log(line)
	}
	t.Fatal("the compliance server did not start")
}

// nodeModules installs the suite's pinned Node packages with npm ci, unless
// the installed tree already matches package-lock.json.
func nodeModules(t *testing.T) {
	t.Helper()
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	stamp := filepath.Join("node_modules", ".pinion-lock-sha256")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == hex.EncodeToString(sum[:]) {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatal(fmt.Errorf("npm ci: %v\n%s", err, out))
	}
	if err := os.WriteFile(stamp, []byte(hex.EncodeToString(sum[:])), 0o644); err != nil {
		t.Fatal(err)
	}
}
