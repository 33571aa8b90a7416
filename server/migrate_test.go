package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/mongostore"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

func loadEnv(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	vars := map[string]string{"CONFIG_DIR": "../config", "APP_ENV": "test", "AUTH_SECRET": "server-test-secret-server-test-secret-0123"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// running is a server serving on a free port.
type running struct {
	t    *testing.T
	base string
	stop func()
}

func serveOn(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, quiet)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	return &running{t: t, base: "http://" + ln.Addr().String(), stop: func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}}
}

func (r *running) call(method, path, token string, body any) (int, map[string]any) {
	r.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (r *running) login(email, password string) (int, string) {
	r.t.Helper()
	status, res := r.call("POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": password})
	token, _ := res["accessToken"].(string)
	return status, token
}

// TestMigrateFerretDB writes data the way the server did before its embedded
// store was SQLite, with the code of the time: the mongodb adapter and
// mongostore on an embedded FerretDB under DATA_DIR/mongodb. The next start,
// without MONGODB_URL, migrates it: people log in with their passwords and
// keep their ids and messages, logouts and password changes still hold, spent
// refresh tokens and tickets stay spent, failed logins still count, and a
// collection of another app is copied with its values.
func TestMigrateFerretDB(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	ferret, err := embedded.Start(ctx, filepath.Join(dataDir, server.FormerStoreDir), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ferret.Close()
	old := serveOn(t, loadEnv(t, map[string]string{"DATA_DIR": dataDir, "STORAGE": "mongodb", "MONGODB_URL": ferret.URI() + "pinion"}))
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		if status, res := old.call("POST", "/users", "", map[string]any{"email": email, "password": "correct horse", "name": email[:3]}); status != 201 {
			t.Fatalf("signup: %d %v", status, res)
		}
	}
	_, ada := old.login("ada@example.com", "correct horse")
	_, bob := old.login("bob@example.com", "correct horse")
	_, me := old.call("GET", "/users?email=ada@example.com", ada, nil)
	adaID := me["data"].([]any)[0].(map[string]any)["_id"].(string)
	for _, text := range []string{"one", "two", "three ✓"} {
		if status, res := old.call("POST", "/messages", ada, map[string]any{"text": text}); status != 201 {
			t.Fatalf("message: %d %v", status, res)
		}
		time.Sleep(2 * time.Millisecond) // distinct createdAt
	}
	if status, _ := old.call("DELETE", "/authentication", bob, nil); status != 200 {
		t.Fatal("logout")
	}
	time.Sleep(1100 * time.Millisecond) // the cut-off is a whole second after ada's token
	if status, res := old.call("PATCH", "/users/"+adaID, ada, map[string]any{"password": "new horse"}); status != 200 {
		t.Fatalf("password change: %d %v", status, res)
	}
	for range 2 {
		if status, _ := old.login("bob@example.com", "wrong"); status != 401 {
			t.Fatal("a wrong password was accepted")
		}
	}
	old.stop()

	// What the server kept through mongostore, and another app's collection.
	client, err := mongo.Connect(options.Client().ApplyURI(ferret.URI()))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database("pinion")
	ms := mongostore.New(db, mongostore.Options{Logger: quiet})
	if err := ms.Start(ctx); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, jti := range []string{"spent", "fresh"} {
		if err := ms.SaveRefresh(ctx, authentication.RefreshRecord{JTI: jti, Family: "f", Subject: adaID, Issuer: "feathers", Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ms.UseRefresh(ctx, "spent"); err != nil {
		t.Fatal(err)
	}
	if err := ms.UseTicket(ctx, "ticket", exp); err != nil {
		t.Fatal(err)
	}
	ms.Close()
	oid := bson.NewObjectID()
	when := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	_, err = db.Collection("extra").InsertOne(ctx, bson.D{{Key: "_id", Value: oid}, {Key: "n", Value: int32(7)}, {Key: "big", Value: int64(1 << 40)},
		{Key: "f", Value: 2.5}, {Key: "when", Value: when}, {Key: "bin", Value: bson.Binary{Data: []byte{1, 2, 3}}},
		{Key: "nested", Value: bson.D{{Key: "list", Value: bson.A{int32(1), "x", nil, bson.D{{Key: "deep", Value: true}}}}}},
		{Key: "re", Value: bson.Regex{Pattern: "^a", Options: "i"}}, {Key: "ref", Value: oid}})
	if err != nil {
		t.Fatal(err)
	}
	client.Disconnect(ctx)
	if err := ferret.Close(); err != nil {
		t.Fatal(err)
	}

	// A migration interrupted before: its leftover is discarded.
	cfg := loadEnv(t, map[string]string{"DATA_DIR": dataDir})
	path := filepath.Join(dataDir, server.DatabaseFile)
	if err := os.WriteFile(path+".migrating", []byte("half a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(r *running) {
		t.Helper()
		if status, _ := r.login("ada@example.com", "correct horse"); status != 401 {
			t.Errorf("the password before the change: %d, want 401", status)
		}
		status, token := r.login("ada@example.com", "new horse")
		if status != 201 {
			t.Fatalf("login after the migration: %d", status)
		}
		if status, res := r.call("GET", "/users/"+adaID, token, nil); status != 200 || res["email"] != "ada@example.com" || res["name"] != "ada" {
			t.Errorf("ada by her former id: %d %v", status, res)
		}
		status, res := r.call("GET", "/messages?$sort[createdAt]=1", token, nil)
		if status != 200 || res["total"] != 3.0 {
			t.Fatalf("messages: %d %v", status, res)
		}
		for i, text := range []string{"one", "two", "three ✓"} {
			m := res["data"].([]any)[i].(map[string]any)
			if m["text"] != text || m["userId"] != adaID {
				t.Errorf("message %d: %v", i, m)
			}
		}
		if status, _ := r.call("GET", "/messages", bob, nil); status != 401 {
			t.Errorf("a token logged out before the migration: %d, want 401", status)
		}
		if status, _ := r.call("GET", "/messages", ada, nil); status != 401 {
			t.Errorf("a token issued before a password change: %d, want 401", status)
		}
		if status, _ := r.login("bob@example.com", "correct horse"); status != 201 {
			t.Errorf("bob: %d", status)
		}
	}
	r := serveOn(t, cfg)
	check(r)
	if _, err := os.Stat(path + ".migrating"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover of an interrupted migration is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, server.FormerStoreDir, server.MigratedMarker)); err != nil {
		t.Errorf("no migration note: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, server.FormerStoreDir, "pinion.sqlite")); err != nil {
		t.Errorf("the former store's file is gone: %v", err)
	}

	// The authentication state and the other collection, from a second
	// handle on the file.
	lite, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	st := sqlitestore.New(lite, sqlitestore.Options{Logger: quiet})
	if err := st.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UseRefresh(ctx, "spent"); !errors.Is(err, authentication.ErrRefreshReused) {
		t.Errorf("a spent refresh token: %v", err)
	}
	if rec, err := st.UseRefresh(ctx, "fresh"); err != nil || rec.Subject != adaID || rec.Expires.Unix() != exp.Unix() {
		t.Errorf("an unspent refresh token: %+v %v", rec, err)
	}
	if err := st.UseTicket(ctx, "ticket", exp); !errors.Is(err, authentication.ErrTicketUsed) {
		t.Errorf("a spent ticket: %v", err)
	}
	var counted int
	err = lite.Read(ctx, func(tx *sql.Tx) error {
		// bob's two failures were reset by his successful login above; the
		// row of his known client remains.
		return tx.QueryRow("SELECT count(*) FROM auth_attempts").Scan(&counted)
	})
	if err != nil || counted == 0 {
		t.Errorf("failed logins: %d rows, %v", counted, err)
	}
	got, err := sqlite.New(lite, "extra", sqlite.Options{}).Get(ctx, oid.Hex(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"_id": oid.Hex(), "n": 7.0, "big": float64(1 << 40), "f": 2.5, "when": when, "bin": []byte{1, 2, 3},
		"nested": map[string]any{"list": []any{1.0, "x", nil, map[string]any{"deep": true}}}, "re": "/^a/i", "ref": oid.Hex()}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("another app's document:\n got %s\nwant %s", gb, wb)
	}
	r.stop()

	// The next start migrates nothing again.
	r = serveOn(t, cfg)
	check(r)
	r.stop()
}
