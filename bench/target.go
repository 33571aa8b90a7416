package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// target is one server under test.
type target struct {
	name    string
	storage string
	cmd     []string
	dir     string
	// env gives the process environment for a store (empty: none) and a
	// fresh data directory.
	env func(storeURI, dataDir string) []string

	environ []string // env's answer for the running phase
	process *exec.Cmd
	exited  <-chan error // the process's Wait, started by start
	url     string
	token   string
	message string // id of a message to get
	email   string
	rss     int64
}

// freePort picks a port for a server the bench starts, which the server binds
// itself a moment later (it cannot be handed a listener: the Feathers app
// takes a PORT). The port must not come from the kernel's ephemeral range:
// a port bound to 127.0.0.1:0 and closed again goes back to the pool from
// which every outgoing connection on the machine takes its local port, and the
// bench itself opens ten thousand at a time; one of them (or another process's
// connection or listener) could take it before the server binds it, and the
// server would then exit with "address already in use" (the likely cause of a
// run whose idle phases failed so for two of four pairings). A port below the range is never handed out
// by the kernel; it is picked at random and checked free on every address.
func freePort() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 12000 {
				low = v
			}
		}
	}
	for range 1000 {
		port := 10000 + rand.IntN(low-10000)
		if portFree(port) {
			return port
		}
	}
	panic("no free port below the ephemeral range")
}

// portFree says whether port can be listened on, on every address (Node
// listens on ::) and on the loopback one.
func portFree(port int) bool {
	for _, addr := range []string{":", "127.0.0.1:"} {
		ln, err := net.Listen("tcp", addr+strconv.Itoa(port))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

func (t *target) start() error {
	port := freePort()
	t.url = "http://127.0.0.1:" + strconv.Itoa(port)
	t.process = exec.Command(t.cmd[0], t.cmd[1:]...)
	t.process.Dir = t.dir
	t.process.Env = append(append(os.Environ(), t.environ...), "PORT="+strconv.Itoa(port))
	t.process.Stderr = os.Stderr
	if err := t.process.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", t.name, err)
	}
	// A server that exits (a port taken after all, a bad configuration) is
	// reported at once, not after a minute of polling, and its port is not
	// polled on: another process could answer there.
	exited := make(chan error, 1)
	go func() { exited <- t.process.Wait() }()
	t.exited = exited
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.process = nil
			return fmt.Errorf("%s exited while starting: %v", t.name, err)
		default:
		}
		resp, err := http.Get(t.url + "/messages")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.stop()
	return fmt.Errorf("%s did not start listening within 60s", t.name)
}

func (t *target) stop() {
	if t.process != nil && t.process.Process != nil {
		t.process.Process.Signal(os.Interrupt)
		select {
		case <-t.exited:
		case <-time.After(10 * time.Second):
			t.process.Process.Kill()
			<-t.exited
		}
		t.process = nil
	}
}

// post sends JSON and decodes the answer.
func (t *target) post(path, token string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", t.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("POST %s: %d %v", path, resp.StatusCode, m)
	}
	return m, nil
}

// seed signs a user up, logs in, and writes 100 messages.
func (t *target) seed() error {
	t.email = fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano())
	if _, err := t.post("/users", "", map[string]any{"email": t.email, "password": "bench-password"}); err != nil {
		return err
	}
	res, err := t.post("/authentication", "", map[string]any{"strategy": "local", "email": t.email, "password": "bench-password"})
	if err != nil {
		return err
	}
	t.token, _ = res["accessToken"].(string)
	for i := range 100 {
		m, err := t.post("/messages", t.token, map[string]any{"text": fmt.Sprintf("message %d of the benchmark", i)})
		if err != nil {
			return err
		}
		if i == 0 {
			t.message = fmt.Sprint(m["_id"])
		}
	}
	return nil
}

// rss is the resident memory of a process in bytes (Linux).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
