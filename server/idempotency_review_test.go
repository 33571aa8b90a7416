package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/server"
)

// Found by the review, fixed since: the chat server's store of idempotency
// keys kept, for a day, what a call with a key returned, before protection:
// a signup's bcrypt hash; a login's access token; a ticket: bearer
// credentials that whoever reads the database (a backup, a replica) could
// use. Signups now keep what the client received; the authentication and
// tickets services, whose answers are credentials, ignore keys (a login
// retried logs in again, which writes nothing a retry would repeat).
func TestReviewIdempotencyKeepsNoCredentials(t *testing.T) {
	dir := t.TempDir()
	r := serveOn(t, loadEnv(t, map[string]string{"DATA_DIR": dir, "STORAGE": "sqlite"}))
	defer r.stop()
	var bearer string
	post := func(path, key string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", r.base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
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
	signup := map[string]any{"email": "ada@example.com", "password": "secret-pw-1"}
	if code, user := post("/users", "signup-key-1", signup); code != 201 || user["password"] != nil {
		t.Fatalf("signup: %d %v", code, user)
	}
	if code, again := post("/users", "signup-key-1", signup); code != 201 || again["password"] != nil {
		t.Fatalf("signup retried: %d %v", code, again)
	}
	code, login := post("/authentication", "login-key-1", map[string]any{"strategy": "local", "email": "ada@example.com", "password": "secret-pw-1"})
	token, _ := login["accessToken"].(string)
	if code != 201 || token == "" {
		t.Fatalf("login: %d %v", code, login)
	}
	bearer = token
	code, ticket := post("/authentication/tickets", "ticket-key-1", map[string]any{})
	secrets := []string{"$2a$", "$2b$", token, "accessToken", "refreshToken"}
	if code != 201 || len(ticket) == 0 {
		t.Fatalf("ticket: %d %v", code, ticket)
	}
	for _, v := range ticket {
		if s, ok := v.(string); ok && len(s) > 20 {
			secrets = append(secrets, s)
		}
	}
	db, err := sqlite.Open(filepath.Join(dir, server.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored []string
	err = db.Read(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT COALESCE(CAST(result AS TEXT), '') FROM "pinion:idempotency"`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			stored = append(stored, s)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 {
		t.Fatal("no key stored: the signup's key was not kept")
	}
	for _, s := range stored {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("the store of keys holds %q at rest: %s", secret, s)
			}
		}
	}
}
