package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/serve"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

const secret = "a-test-secret-of-at-least-32-bytes!!"

// client is one user of the app: their token, and a socket logged in with it
// whose events arrive on events.
type client struct {
	t      *testing.T
	base   string
	token  string
	id     string
	events chan string
	sock   *sioclient.Conn
}

type reply struct {
	status int
	body   map[string]any
	list   []map[string]any
}

// do calls the app over REST; header, when not empty, names a custom method.
func do(t *testing.T, base, token, method, path, customMethod string, body any) reply {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if customMethod != "" {
		req.Header.Set("X-Service-Method", customMethod)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	r := reply{status: resp.StatusCode}
	if bytes.HasPrefix(raw, []byte("[")) {
		json.Unmarshal(raw, &r.list)
	} else {
		json.Unmarshal(raw, &r.body)
	}
	return r
}

func (c *client) do(method, path, customMethod string, body any) reply {
	c.t.Helper()
	return do(c.t, c.base, c.token, method, path, customMethod, body)
}

// signup creates an account, logs it in over REST and over a socket.
func signup(t *testing.T, base, email string) *client {
	t.Helper()
	if r := do(t, base, "", "POST", "/users", "", map[string]any{"email": email, "password": "correct horse"}); r.status != 201 {
		t.Fatalf("signup %s: %d %v", email, r.status, r.body)
	}
	r := do(t, base, "", "POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "correct horse"})
	if r.status != 201 {
		t.Fatalf("login %s: %d %v", email, r.status, r.body)
	}
	c := &client{t: t, base: base, token: r.body["accessToken"].(string), id: r.body["user"].(map[string]any)["_id"].(string), events: make(chan string, 16)}
	sock, err := sioclient.Dial(base, func(name string, data json.RawMessage, at time.Time) {
		if strings.HasPrefix(name, "notes ") {
			c.events <- name + " " + string(data)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sock.Close)
	if err := sock.Login(c.token); err != nil {
		t.Fatal(err)
	}
	c.sock = sock
	return c
}

// next returns the next notes event the client's socket received.
func (c *client) next() string {
	c.t.Helper()
	select {
	case e := <-c.events:
		return e
	case <-time.After(10 * time.Second):
		c.t.Fatal("no event reached the socket")
		return ""
	}
}

func newServer(t *testing.T) (*pinion.App, string) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "notes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := build(db, secret)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return app, ts.URL
}

// Each note is its author's: stamped on create whatever the client says,
// invisible to everyone else (a 404, as if it did not exist), its events
// sent to its author's connections only.
func TestNotesBelongToTheirAuthor(t *testing.T) {
	_, base := newServer(t)
	ada, bob := signup(t, base, "ada@example.com"), signup(t, base, "bob@example.com")

	if r := do(t, base, "", "GET", "/notes", "", nil); r.status != 401 {
		t.Fatalf("find without a login: %d %v", r.status, r.body)
	}
	// A forged ownerId is not written: the author is the caller.
	r := ada.do("POST", "/notes", "", map[string]any{"title": "ada's", "ownerId": bob.id})
	if r.status != 201 || r.body["ownerId"] != ada.id || r.body["author"] != "ada@example.com" {
		t.Fatalf("create: %d %v", r.status, r.body)
	}
	adas := r.body["_id"].(string)
	if e := ada.next(); !strings.HasPrefix(e, "notes created ") || !strings.Contains(e, adas) {
		t.Fatalf("ada's socket got %s", e)
	}
	// Over the socket too, and bob's first event is his own note's: ada's
	// never reached him.
	res, err := bob.sock.Call("create", "notes", map[string]any{"title": "bob's"}, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var bobsNote Note
	json.Unmarshal(res[1], &bobsNote)
	if bobsNote.OwnerID != bob.id {
		t.Fatalf("bob's note: %+v", bobsNote)
	}
	if e := bob.next(); !strings.Contains(e, bobsNote.ID) {
		t.Fatalf("bob's socket got %s, want his own note's event", e)
	}

	for _, c := range []struct {
		name, method, path string
		body               any
	}{
		{"get", "GET", "/notes/" + adas, nil},
		{"patch", "PATCH", "/notes/" + adas, map[string]any{"title": "mine now"}},
		{"update", "PUT", "/notes/" + adas, map[string]any{"title": "mine now"}},
		{"remove", "DELETE", "/notes/" + adas, nil},
	} {
		if r := bob.do(c.method, c.path, "", c.body); r.status != 404 {
			t.Errorf("bob's %s of ada's note: %d %v, want 404", c.name, r.status, r.body)
		}
	}
	if _, err := bob.sock.Call("get", "notes", adas, map[string]any{}); err == nil || !strings.Contains(err.Error(), `"code":404`) {
		t.Errorf("bob's socket get of ada's note: %v", err)
	}
	if r := bob.do("GET", "/notes", "", nil); r.status != 200 || len(r.list) != 1 || r.list[0]["_id"] != bobsNote.ID {
		t.Errorf("bob's find: %d %v", r.status, r.list)
	}
	// Even a query for another's notes finds only the caller's.
	if r := bob.do("GET", "/notes?ownerId="+ada.id, "", nil); r.status != 200 || len(r.list) != 0 {
		t.Errorf("bob's find of ada's notes: %d %v", r.status, r.list)
	}
	if r := ada.do("PATCH", "/notes/"+adas, "", map[string]any{"title": "still ada's"}); r.status != 200 || r.body["ownerId"] != ada.id {
		t.Errorf("ada's patch: %d %v", r.status, r.body)
	}
	if e := ada.next(); !strings.HasPrefix(e, "notes patched ") {
		t.Errorf("ada's socket got %s", e)
	}
}

// The archive method: its data is decoded and validated at the edge, it acts
// on the caller's notes only, over REST as over sockets.
func TestArchive(t *testing.T) {
	_, base := newServer(t)
	ada, bob := signup(t, base, "ada@example.com"), signup(t, base, "bob@example.com")
	adas := ada.do("POST", "/notes", "", map[string]any{"title": "ada's"}).body["_id"].(string)
	ada.next()

	r := ada.do("POST", "/notes", "archive", map[string]any{"_id": adas, "reason": "done"})
	if r.status != 200 || r.body["archived"] != true || r.body["reason"] != "done" || r.body["title"] != "ada's" {
		t.Fatalf("archive: %d %v", r.status, r.body)
	}
	if e := ada.next(); !strings.HasPrefix(e, "notes patched ") || !strings.Contains(e, `"archived":true`) {
		t.Errorf("ada's socket got %s", e)
	}
	for _, c := range []struct {
		name  string
		body  any
		field string // the field the 400 names; "" for a 400 about the shape
	}{
		{"a number for a string", map[string]any{"_id": adas, "reason": 5}, "reason"},
		{"an unknown field", map[string]any{"_id": adas, "colour": "red"}, "colour"},
		{"no id", map[string]any{"reason": "x"}, "_id"},
		{"an id of the wrong type", map[string]any{"_id": map[string]any{"$ne": ""}}, "_id"},
		{"a list", []any{map[string]any{"_id": adas}}, ""},
		{"a string", `"archive"`, ""},
	} {
		r := ada.do("POST", "/notes", "archive", c.body)
		msg, _ := r.body["message"].(string)
		if r.status != 400 || !strings.Contains(msg, "'"+c.field+"'") && c.field != "" {
			t.Errorf("%s: %d %v, want a 400 naming %q", c.name, r.status, r.body, c.field)
		}
	}
	if r := bob.do("POST", "/notes", "archive", map[string]any{"_id": adas}); r.status != 404 {
		t.Errorf("bob archives ada's note: %d %v, want 404", r.status, r.body)
	}
	if _, err := bob.sock.Call("archive", "notes", map[string]any{"_id": adas}, map[string]any{}); err == nil || !strings.Contains(err.Error(), `"code":404`) {
		t.Errorf("bob's socket archives ada's note: %v", err)
	}
	if _, err := ada.sock.Call("archive", "notes", map[string]any{"_id": adas, "reason": 5}, map[string]any{}); err == nil || !strings.Contains(err.Error(), `"code":400`) || !strings.Contains(err.Error(), "'reason'") {
		t.Errorf("a socket's bad data: %v", err)
	}
	res, err := ada.sock.Call("archive", "notes", map[string]any{"_id": adas, "reason": "again"}, map[string]any{})
	if err != nil || !bytes.Contains(res[1], []byte(`"reason":"again"`)) {
		t.Errorf("socket archive: %s %v", res, err)
	}
}

// Go code says whose notes it works on: a call without a user fails, one with
// AllOwners sees every note.
func TestInternalCallsChoose(t *testing.T) {
	app, base := newServer(t)
	ada, bob := signup(t, base, "ada@example.com"), signup(t, base, "bob@example.com")
	ada.do("POST", "/notes", "", map[string]any{"title": "ada's"})
	bob.do("POST", "/notes", "", map[string]any{"title": "bob's"})
	notes := app.Service("notes")
	ctx := context.Background()
	if _, err := notes.Find(ctx, nil); err == nil {
		t.Error("an internal find without a user or AllOwners passed")
	}
	all, err := notes.Find(ctx, pinion.AllOwners(nil))
	if err != nil || len(pinion.Records(all)) != 2 {
		t.Errorf("find with AllOwners: %v %v", all, err)
	}
	var pe *pinion.Error
	if _, err := notes.Find(ctx, &pinion.Params{Provider: pinion.ProviderREST}); !errors.As(err, &pe) || pe.Code != 401 {
		t.Errorf("an external find without a user: %v", err)
	}
}
