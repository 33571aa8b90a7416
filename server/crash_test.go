package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion/server"
)

// crashChild names the data directory of the server that TestKilledServer
// runs in a child process (this test binary again).
const crashChild = "PINION_SERVER_CRASH_CHILD"

// TestKilledServer kills the server (kill -9) while clients post messages,
// twice over on the same data directory, with the default settings (the
// embedded store, synchronous full) and with synchronous normal: every
// message the server acknowledged with a 201 is there after the restart.
func TestKilledServer(t *testing.T) {
	if dir := os.Getenv(crashChild); dir != "" {
		crashServer(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, mode := range []string{"full", "normal"} {
		t.Run(mode, func(t *testing.T) { killedServer(t, mode) })
	}
}

func killedServer(t *testing.T, mode string) {
	dir := t.TempDir()
	start := func() (*exec.Cmd, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledServer$")
		cmd.Env = append(os.Environ(), crashChild+"="+dir, "SQLITE_SYNCHRONOUS="+mode)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "listening ") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child server did not start: %q %v", line, err)
		}
		return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	}
	acked := map[string]bool{}
	for round := range 2 {
		cmd, base := start()
		r := &running{t: t, base: base}
		if round == 0 {
			if status, res := r.call("POST", "/users", "", map[string]any{"email": "ada@example.com", "password": "correct horse"}); status != 201 {
				t.Fatalf("signup: %d %v", status, res)
			}
		}
		status, token := r.login("ada@example.com", "correct horse")
		if status != 201 {
			t.Fatalf("login in round %d: %d", round, status)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					status, res, err := post(base, token, fmt.Sprintf("round %d writer %d message %d", round, w, i))
					if err != nil {
						return // the server is gone
					}
					if status == 201 {
						mu.Lock()
						acked[res] = true
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(700 * time.Millisecond)
		cmd.Process.Kill() // SIGKILL, mid-write
		cmd.Wait()
		close(stop)
		wg.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("no message was acknowledged before the kills")
	}
	// Restart in process and look for every acknowledged message.
	srv := serveOn(t, loadEnv(t, map[string]string{"DATA_DIR": dir, "SQLITE_SYNCHRONOUS": mode}))
	defer srv.stop()
	_, token := srv.login("ada@example.com", "correct horse")
	missing := 0
	for id := range acked {
		if status, _ := srv.call("GET", "/messages/"+id, token, nil); status != 200 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged messages are missing after kill -9", missing, len(acked))
	}
	t.Logf("%d acknowledged messages, all there after two kills", len(acked))
}

// post creates a message and returns the status and the new id; an error
// means the server is gone.
func post(base, token, text string) (int, string, error) {
	b, _ := json.Marshal(map[string]any{"text": text})
	req, _ := http.NewRequest("POST", base+"/messages", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return 0, "", err // cut off mid-answer: not acknowledged
	}
	id, _ := m["_id"].(string)
	return resp.StatusCode, id, nil
}

// crashServer is the child: the server with the default configuration on
// dir, until it is killed.
func crashServer(t *testing.T, dir string) {
	cfg := loadEnv(t, map[string]string{"DATA_DIR": dir, "SQLITE_SYNCHRONOUS": os.Getenv("SQLITE_SYNCHRONOUS")})
	srv, err := server.New(context.Background(), cfg, quiet)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr().String())
	srv.Serve(context.Background(), ln)
	os.Exit(0)
}
