package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// Idempotent creates through the transports, on two servers sharing one
// SQLite file (two instances), and on a third started after they stopped (a
// restart): a retry answers the first result wherever it lands, other data
// under the key is refused, another user's key is another key, and a socket
// sends its key as the $idempotencyKey query parameter.
func TestIdempotencyAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "STORAGE": "sqlite"}
	a, b := serveOn(t, loadEnv(t, env)), serveOn(t, loadEnv(t, env))
	token := func(r *running, email string) string {
		r.call("POST", "/users", "", map[string]any{"email": email, "password": "secret-pw"})
		_, login := r.call("POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "secret-pw"})
		return login["accessToken"].(string)
	}
	alice, bob := token(a, "alice@example.com"), token(a, "bob@example.com")
	create := func(r *running, tok, key, text string) (int, map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"text": text})
		req, _ := http.NewRequest("POST", r.base+"/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, first := create(a, alice, "k-1", "hello")
	if code != 201 {
		t.Fatalf("first: %d %v", code, first)
	}
	for _, tc := range []struct {
		name   string
		server *running
		token  string
		key    string
		text   string
		code   int
		same   bool
	}{
		{"the retry on the other instance", b, alice, "k-1", "hello", 201, true},
		{"the retry on the same instance", a, alice, "k-1", "hello", 201, true},
		{"the key with other data", b, alice, "k-1", "bye", 422, false},
		{"another user's key", b, bob, "k-1", "hello", 201, false},
		{"a key of odd bytes", a, alice, "k\u00e9y", "hello", 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, res := create(tc.server, tc.token, tc.key, tc.text)
			if code != tc.code || (res["_id"] == first["_id"]) != tc.same {
				t.Errorf("%d %v, want %d (same record as %v: %v)", code, res, tc.code, first["_id"], tc.same)
			}
		})
	}
	// Over a socket, as the Feathers client sends params.query.
	sock, err := sioclient.DialAuth(b.base, nil, map[string]any{"token": alice}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := sock.Call("create", "messages", map[string]any{"text": "hello"}, map[string]any{"$idempotencyKey": "k-1"})
	sock.Close()
	if err != nil || len(ack) < 2 || string(ack[0]) != "null" || !strings.Contains(string(ack[1]), first["_id"].(string)) {
		t.Errorf("the retry over a socket: %s %v, want the first record", ack, err)
	}
	a.stop()
	b.stop()
	c := serveOn(t, loadEnv(t, env))
	defer c.stop()
	if code, res := create(c, alice, "k-1", "hello"); code != 201 || res["_id"] != first["_id"] {
		t.Errorf("the retry after a restart: %d %v, want the first record %v", code, res, first["_id"])
	}
	_, page := c.call("GET", "/messages?text=hello", alice, nil)
	if n := page["total"]; n != 2.0 { // alice's and bob's
		t.Errorf("%v messages 'hello' stored, want 2", n)
	}
}
