package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pinionhq/pinion/adapter/mongodb/mongodbtest"
	"github.com/pinionhq/pinion/serve"
)

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
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

func TestMain(m *testing.M) { mongodbtest.Main(m) }

// Users sign up and log in; each sees and changes only their own todos, in
// SQLite and in MongoDB (mongodbtest's).
func TestTodosWithUsers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := open(context.Background(), "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		todosWithUsers(t, st)
	})
	t.Run("mongodb", func(t *testing.T) {
		st, err := onMongo(context.Background(), mongodbtest.DB(t), func() {})
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		todosWithUsers(t, st)
	})
}

func todosWithUsers(t *testing.T, st stores) {
	dir := t.TempDir()
	app, err := newApp(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	login := func(email string) string {
		t.Helper()
		if status, m := call(t, "POST", ts.URL+"/users", "", map[string]any{"email": email, "password": "correct horse"}); status != 201 || m["password"] != nil {
			t.Fatalf("signup %s: %d %v", email, status, m)
		}
		status, m := call(t, "POST", ts.URL+"/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "correct horse"})
		if status != 201 {
			t.Fatalf("login %s: %d %v", email, status, m)
		}
		return m["accessToken"].(string)
	}
	for _, bad := range []map[string]any{{"email": "not an email", "password": "correct horse"}, {"email": "x@example.com", "password": "short"}} {
		if status, m := call(t, "POST", ts.URL+"/users", "", bad); status != 400 {
			t.Errorf("signup %v: %d %v", bad, status, m)
		}
	}
	ada, bob := login("ada@example.com"), login("bob@example.com")
	if status, _ := call(t, "GET", ts.URL+"/todos", "", nil); status != 401 {
		t.Errorf("todos without a token: %d", status)
	}
	status, todo := call(t, "POST", ts.URL+"/todos", ada, map[string]any{"title": "Ada's", "owner": "bob"})
	if status != 201 || todo["owner"] == "bob" {
		t.Fatalf("create: %d %v", status, todo)
	}
	id := todo["_id"].(string)
	if status, _ := call(t, "PATCH", ts.URL+"/todos/"+id, bob, map[string]any{"done": true}); status != 404 {
		t.Errorf("Bob patched Ada's todo: %d", status)
	}
	if status, m := call(t, "PATCH", ts.URL+"/todos/"+id, ada, map[string]any{"done": true}); status != 200 || m["done"] != true {
		t.Errorf("Ada's own patch: %d %v", status, m)
	}
	if status, m := call(t, "PUT", ts.URL+"/todos/"+id, ada, map[string]any{"title": "Ada's, replaced"}); status != 200 || m["owner"] != todo["owner"] {
		t.Errorf("an update lost the owner: %d %v", status, m)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/todos", nil)
	req.Header.Set("Authorization", "Bearer "+bob)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []Todo
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list) != 0 {
		t.Errorf("Bob's list: %v %v", list, err)
	}
}
