package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
)

// startFeathers runs js/feathers-server.mjs and waits until it listens. The
// server takes a port the kernel chooses (PORT=0) and says which: a port
// chosen here and freed for it could be taken meanwhile by another test's
// process.
func startFeathers(t *testing.T, env map[string]string) string {
	t.Helper()
	cmd := exec.Command("node", "js/feathers-server.mjs")
	cmd.Env = append(os.Environ(), "PORT=0", "AUTH_SECRET="+testSecret)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				port, _ := strconv.Atoi(p)
				ready <- port
				return
			}
		}
		ready <- 0
	}()
	var port int
	select {
	case port = <-ready:
		if port == 0 {
			t.Fatal("the Feathers server exited before listening")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the Feathers server did not start within 30s")
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// TestFeathersInterop runs Pinion and a real Feathers server on one MongoDB with
// one secret, and crosses users, password hashes and tokens between them.
func TestFeathersInterop(t *testing.T) {
	nodeModules(t)
	store, err := embedded.Start(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	uri := strings.TrimSuffix(store.URI(), "/") + "/interop"
	p := startPinion(t, "mongodb", map[string]string{"MONGODB_URL": uri})
	f := startFeathers(t, map[string]string{"MONGODB_URL": uri})
	runNode(t, "js/interop.test.mjs", map[string]string{"PINION_URL": p.URL, "FEATHERS_URL": f})
}
