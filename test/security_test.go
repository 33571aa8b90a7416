package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/pinionhq/pinion/internal/sioclient"
)

// The tests in this file repeat, through the real transports, the attacks of
// a black-box probe of the default app, each against the defect it found.

// get is a GET with a raw query string, as an attacker writes it.
func get(t *testing.T, base, path, rawQuery, token string) (int, map[string]any) {
	t.Helper()
	return api(t, base, "GET", path+"?"+rawQuery, token, nil)
}

// socket connects a socket.io client logged in with token.
func socket(t *testing.T, base, token string) *sioclient.Conn {
	t.Helper()
	c, err := sioclient.Dial(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if token != "" {
		if err := c.Login(token); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// callCode is the error code a socket call answered, or 0 for a success.
func callCode(t *testing.T, c *sioclient.Conn, method string, args ...any) (int, json.RawMessage) {
	t.Helper()
	res, err := c.Call(method, args...)
	if err == nil {
		var out json.RawMessage
		if len(res) > 1 {
			out = res[1]
		}
		return 0, out
	}
	if len(res) == 0 {
		t.Fatalf("%s: %v", method, err)
	}
	var fe struct{ Code int }
	json.Unmarshal(res[0], &fe)
	return fe.Code, res[0]
}

func userID(t *testing.T, base, token, email string) string {
	t.Helper()
	status, m := get(t, base, "/users", "email="+url.QueryEscape(email), token)
	data, _ := m["data"].([]any)
	if status != 200 || len(data) != 1 {
		t.Fatalf("find %s: %d %v", email, status, m)
	}
	return fmt.Sprint(data[0].(map[string]any)["_id"])
}

// A protected field (the password hash) can be neither read nor inferred:
// filters, sorts and selections that name it are refused, over REST and
// sockets, at any depth of the query.
func TestProtectedFieldsInQueries(t *testing.T) {
	for _, storage := range []string{"memory", "mongodb"} {
		t.Run(storage, func(t *testing.T) {
			p := startPinion(t, storage, nil)
			login(t, p.URL, "victim@example.com")
			token := login(t, p.URL, "attacker@example.com")
			victim := userID(t, p.URL, token, "victim@example.com")

			for _, q := range []string{
				"_id=" + victim + "&password[$gte]=$2&$limit=0",
				"password[$gte]=$",
				"password=x",
				"password[$in][]=x",
				"password[$nin][0]=x",
				"$sort[password]=1",
				"$sort[email]=1&$sort[password]=-1",
				"$select[]=password",
				"$select[0]=email&$select[1]=password",
				"$or[0][password][$gt]=a",
				"$and[0][$or][0][password]=a",
				"email[$or][0][password]=a",
				"password.x=1",
			} {
				status, m := get(t, p.URL, "/users", q, token)
				if status != 400 || m["name"] != "BadRequest" {
					t.Errorf("GET /users?%s: %d %v, want 400 BadRequest", q, status, m)
				}
			}
			// get, patch and remove carry queries too.
			if status, m := get(t, p.URL, "/users/"+victim, "password[$gt]=a", token); status != 400 {
				t.Errorf("get with a password condition: %d %v", status, m)
			}

			c := socket(t, p.URL, token)
			for _, query := range []map[string]any{
				{"password": map[string]any{"$gte": "$"}},
				{"$sort": map[string]any{"password": 1}},
				{"$select": []any{"password"}},
				{"$or": []any{map[string]any{"password": "x"}}},
			} {
				if code, res := callCode(t, c, "find", "users", query); code != 400 {
					t.Errorf("socket find %v: %d %s, want 400", query, code, res)
				}
			}

			// What stays allowed still works, and never shows the hash.
			status, m := get(t, p.URL, "/users", "$sort[email]=1&$select[]=email", token)
			if status != 200 || strings.Contains(fmt.Sprint(m), "$2") {
				t.Errorf("allowed query: %d %v", status, m)
			}
		})
	}
}
