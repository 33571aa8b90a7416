package sqlitestore_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/services/users"
	"github.com/pinionhq/pinion/transport/rest"
)

const secret = "restart-secret-restart-secret-0123456789"

func authConfig() authentication.Config {
	cfg := authentication.DefaultConfig()
	cfg.Secret = secret
	cfg.Local.HashSize = 4
	return cfg
}

// app is an app on the SQLite file at path, as a process has it: users in
// the file, the authentication state beside them. stop closes it all.
type app struct {
	http http.Handler
	stop func()
}

func startApp(t *testing.T, path string) *app {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	store := sqlitestore.New(db, sqlitestore.Options{})
	if err := store.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a := pinion.New()
	auth, err := authentication.Install(a, authConfig(), authentication.WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	users.Register(a, sqlite.New(db, "users", sqlite.Options{Indexes: []sqlite.Index{{Fields: []string{"email"}, Unique: true}}}))
	if err := a.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	rest.New(a, rest.Options{Authentication: auth.Parse}).Mount(engine)
	return &app{http: engine, stop: func() {
		a.Teardown(ctx)
		store.Close()
		db.Close()
	}}
}

func (a *app) do(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	a.http.ServeHTTP(w, req)
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

// A logout survives a restart: the revocation is in the file, beside the
// users, and the restarted app refuses the token.
func TestRestartKeepsLogouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	first := startApp(t, path)
	if code, body := first.do(t, "POST", "/users", "", map[string]any{"email": "ada@example.com", "password": "correct horse"}); code != 201 {
		t.Fatalf("signup: %d %v", code, body)
	}
	login := func(a *app) string {
		code, body := a.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "correct horse"})
		if code != 201 {
			t.Fatalf("login: %d %v", code, body)
		}
		return body["accessToken"].(string)
	}
	revoked, kept := login(first), login(first)
	if code, body := first.do(t, "DELETE", "/authentication", revoked, nil); code != 200 {
		t.Fatalf("logout: %d %v", code, body)
	}
	first.stop()

	second := startApp(t, path)
	defer second.stop()
	code, body := second.do(t, "GET", "/users", revoked, nil)
	if code != 401 || body["message"] != "Token has been revoked" {
		t.Fatalf("the logged-out token after a restart: %d %v", code, body)
	}
	if code, body := second.do(t, "GET", "/users", kept, nil); code != 200 {
		t.Fatalf("another login's token after a restart: %d %v", code, body)
	}
}

// Install keeps the state in memory only when the users are in memory too,
// or when asked: an app whose users are in a database and which gave no
// store does not start.
func TestStateFollowsTheUsers(t *testing.T) {
	cases := []struct {
		name  string
		users func(db *sqlite.DB) any
		opts  []authentication.Option
		err   string
	}{
		{name: "users in sqlite, no store", users: sqliteUsers,
			err: "authentication: the users service keeps its records in *sqlite.Service, but revocations"},
		{name: "typed users in sqlite, no store", users: func(db *sqlite.DB) any { return sqlite.Typed[user, string](db, "typed", sqlite.Options{}) },
			err: "a restart would forget every logout"},
		{name: "users in sqlite, memory asked", users: sqliteUsers, opts: []authentication.Option{authentication.WithMemoryStore()}},
		{name: "users in sqlite, sqlite store", users: sqliteUsers, opts: []authentication.Option{authentication.WithStore(sqlitestore.New(nil, sqlitestore.Options{}))}},
		{name: "users in memory", users: func(*sqlite.DB) any { return memory.New(memory.Options{Options: adapter.Options{ID: "_id"}}) }},
		{name: "typed users in memory", users: func(*sqlite.DB) any {
			return memory.Typed[counted, int](memory.Options{Options: adapter.Options{ID: "_id"}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := open(t, filepath.Join(t.TempDir(), "app.db"))
			a := pinion.New()
			if _, err := authentication.Install(a, authConfig(), c.opts...); err != nil {
				t.Fatal(err)
			}
			switch u := c.users(db).(type) {
			case *adapter.Typed[user, string]:
				pinion.Use(a, "users", u)
			case *adapter.Typed[counted, int]:
				pinion.Use(a, "users", u)
			default:
				a.Use("users", u)
			}
			err := a.Setup(ctx)
			if c.err == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("got %v, want %q", err, c.err)
			}
			a.Teardown(ctx)
		})
	}
}

func sqliteUsers(db *sqlite.DB) any { return sqlite.New(db, "users", sqlite.Options{}) }

// user and counted are typed users, with a database's and memory's ids.
type user struct {
	ID    string `json:"_id"`
	Email string `json:"email"`
}

type counted struct {
	ID    int    `json:"_id"`
	Email string `json:"email"`
}
