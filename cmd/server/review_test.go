package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Configurations that cannot work stop the server before it serves, with
// exit status 2 and a message naming the variable, the file or the
// setting, never a panic. HOST, METRICS_ADDR and DEBUG_ADDR not of the
// form host:port (DEBUG_ADDR's was logged once the server ran), and
// production.json in another case or of null, are the review's findings:
// the first two failed only when the server listened (exit status 1), the
// others started production on development settings.
func TestReviewConfigServerExit2(t *testing.T) {
	defaults, err := os.ReadFile("../../config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	production, err := os.ReadFile("../../config/production.json")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "cmd-server-test-secret-0123456789abcdef"
	for _, tc := range []struct {
		name, production string
		env              map[string]string
		want             string
	}{
		{"APP_ENV as a path", "", map[string]string{"APP_ENV": "../../etc/passwd"}, "APP_ENV"},
		{"APP_ENV with NUL", "", map[string]string{"APP_ENV": "production\x00"}, "APP_ENV"},
		{"APP_ENV very long", "", map[string]string{"APP_ENV": strings.Repeat("x", 1<<20)}, "APP_ENV"},
		{"PORT=abc", "", map[string]string{"PORT": "abc"}, `PORT="abc"`},
		{"PORT=70000", "", map[string]string{"PORT": "70000"}, "port 70000 is out of range"},
		{"HOST with a port", "", map[string]string{"HOST": "127.0.0.1:8080"}, "HOST"},
		{"METRICS_ADDR without a host", "", map[string]string{"METRICS_ADDR": "9464"}, "METRICS_ADDR"},
		{"DEBUG_ADDR without a host", "", map[string]string{"DEBUG_ADDR": "6060"}, "DEBUG_ADDR"},
		{"DEBUG_ADDR with a named port", "", map[string]string{"DEBUG_ADDR": "127.0.0.1:pprof"}, "DEBUG_ADDR"},
		{"production without a secret", "", map[string]string{"AUTH_SECRET": ""}, "AUTH_SECRET must be set in production"},
		{"production with a short secret", "", map[string]string{"AUTH_SECRET": "0123456789abcdef"}, "at least 32 bytes"},
		{"secret of the wrong type", `{"authentication": {"secret": 12345678901234567890123456789012}}`, map[string]string{"AUTH_SECRET": ""}, "secret"},
		{"unknown authentication setting", `{"authentication": {"secrett": "x"}}`, nil, "secrett"},
		{"production.json of null", `null`, nil, "production.json: not a JSON object"},
		{"origins in capitals", `{"Origins": ["https://chat.example"]}`, nil, `did you mean "origins"`},
		{"origins twice", `{"origins": ["https://chat.example"], "origins": ["*"]}`, nil, "origins is set twice"},
		{"duration as a number", `{"timeouts": {"body": 30}}`, nil, "timeouts.body"},
		{"no maximum page size", `{"paginate": {"default": 10, "max": 0}}`, nil, "paginate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "default.json"), defaults, 0o644)
			prod := production
			if tc.production != "" {
				prod = []byte(tc.production)
			}
			os.WriteFile(filepath.Join(dir, "production.json"), prod, 0o644)
			env := map[string]string{"CONFIG_DIR": dir, "APP_ENV": "production", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
				"AUTH_SECRET": secret, "PORT": "0", "HOST": "127.0.0.1"}
			maps.Copy(env, tc.env)
			var stderr bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a server that starts anyway stops at once
			code := run(ctx, func(k string) string { return env[k] }, &stderr)
			out := stderr.String()
			if code != 2 || !strings.Contains(out, tc.want) || strings.Contains(out, "goroutine") {
				t.Errorf("exit status %d, want 2 with %q; output:\n%.2000s", code, tc.want, out)
			}
			if len(out) > 4<<10 {
				t.Errorf("%d bytes of output", len(out))
			}
		})
	}
}

// Profiling endpoints on an address beyond the machine are served, but
// said in the log (Finding: they were served without a word.)
func TestReviewConfigDebugAddrWarns(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true,
		":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "192.0.2.1:6060": false, "example.com:6060": false} {
		if loopback(addr) != want {
			t.Errorf("loopback(%s) = %v", addr, !want)
		}
	}
	env := map[string]string{"CONFIG_DIR": "../../config", "APP_ENV": "test", "DATA_DIR": t.TempDir(), "STORAGE": "memory",
		"AUTH_SECRET": "cmd-server-test-secret-0123456789abcdef", "PORT": "0", "HOST": "127.0.0.1",
		"DEBUG_ADDR": "192.0.2.1:0"} // TEST-NET: no interface has it, so nothing stays listening
	var stderr lockedBuffer // the debug listener logs its end from a goroutine of its own
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, func(k string) string { return env[k] }, &stderr); code != 0 || !strings.Contains(stderr.String(), "DEBUG_ADDR serves the profiling endpoints beyond this machine") {
		t.Errorf("exit status %d; output:\n%s", code, stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
