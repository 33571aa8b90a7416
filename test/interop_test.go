package e2e

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
)

// freePort asks the kernel for a free port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startFeathers runs js/feathers-server.mjs and waits until it listens.
func startFeathers(t *testing.T, env map[string]string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("node", "js/feathers-server.mjs")
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "AUTH_SECRET="+testSecret)
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
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening on") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
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
