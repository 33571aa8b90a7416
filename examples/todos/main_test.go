package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pinionhq/pinion/serve"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

func call(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// The service over REST and socket.io, as a client sees it.
func TestTodos(t *testing.T) {
	app, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	events := make(chan string, 10)
	sock, err := sioclient.Dial(ts.URL, func(name string, data json.RawMessage, at time.Time) { events <- name + " " + string(data) })
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()

	status, todo := call(t, "POST", ts.URL+"/todos", map[string]any{"title": "  write docs  ", "id": 42})
	if status != 201 || todo["title"] != "write docs" || todo["id"] != 0.0 || todo["done"] != false {
		t.Fatalf("create: %d %v", status, todo)
	}
	select {
	case e := <-events:
		if e != `todos created {"id":0,"title":"write docs","done":false}` {
			t.Errorf("event %s", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("no event reached the socket")
	}
	if status, m := call(t, "POST", ts.URL+"/todos", map[string]any{"done": "yes"}); status != 400 {
		t.Errorf("bad data: %d %v", status, m)
	}
	res, err := sock.Call("patch", "todos", 0, map[string]any{"done": true}, map[string]any{})
	if err != nil || !bytes.Contains(res[1], []byte(`"done":true`)) {
		t.Fatalf("socket patch: %s %v", res, err)
	}
	resp, err := http.Get(ts.URL + "/todos?done=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []Todo
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list) != 1 || !list[0].Done {
		t.Fatalf("find ?done=true: %v %v", list, err)
	}
}

// The example runs as its doc comment says: go run, then curl.
func TestRunsAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "todos")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// go run ./examples/todos types: its TypeScript types (test/ compiles
	// a client against them); a subcommand it does not have exits 2.
	if out, err := exec.Command(bin, "types").Output(); err != nil || !bytes.Contains(out, []byte("export interface TodosService {")) {
		t.Errorf("todos types: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "openapi").Output(); err != nil || !bytes.Contains(out, []byte(`"/todos/{id}"`)) {
		t.Errorf("todos openapi: %v\n%s", err, out)
	}
	var exit *exec.ExitError
	if out, err := exec.Command(bin, "nonsense").CombinedOutput(); !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("todos nonsense: %v %s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "PORT="+itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, todo := call(t, "POST", base+"/todos", map[string]any{"title": "  write docs "}); status != 201 || todo["title"] != "write docs" {
		t.Fatalf("create: %d %v", status, todo)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("the server did not stop cleanly on SIGINT: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
