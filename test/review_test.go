package e2e

// Adversarial review of protected fields and canonical field paths (issue
// #17 follow-up), through the real server on SQLite and memory. These are
// the attacks that HELD: each query either is refused with 400 or answers
// the same whatever the guess at the victim's password hash, and no answer
// shows a hash. They stay as regression tests. (The findings are the
// failing TestReview* tests of transport/rest, adapter/sqlite and
// adapter/mongodb.)

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// reviewAttacks are raw query strings; GUESS stands for a guess at the
// victim's hash: "$2" (a true prefix) or "~" (above every hash).
var reviewAttacks = []string{
	// qs shapes around the protected name
	"password%5B0%5D=GUESS", "password[0]=GUESS", "password[]=GUESS", "password[a][b]=GUESS",
	"password[$gte]=GUESS&$limit=0", "%70assword[$gte]=GUESS", "pass%2577ord[$gte]=GUESS",
	"pass%5Cu0077ord[$gte]=GUESS", "password%2E=GUESS", "password.0[$gte]=GUESS", "0.password[$gte]=GUESS",
	"Password[$gte]=GUESS", "PASSWORD[$gte]=GUESS", "password%00[$gte]=GUESS", "%EF%BD%90assword[$gte]=GUESS",
	"__proto__[password][$gte]=GUESS", "constructor[password][$gte]=GUESS",
	// digit segments (list indices to MongoDB and memory) and long paths
	"0.1.2.3.4.5.6.7.8.9.10.11.12.13.14.password[$gte]=GUESS", "password.0.0[$gte]=GUESS",
	"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.password[$gte]=GUESS", "$sort[0.password]=1", "$select[]=0.password",
	// sub-queries and operators holding field names
	"$or[0][0][password][$gte]=GUESS", "$or[][password][$gte]=GUESS", "$or[0][$or][0][password][$gte]=GUESS",
	"$and[0][0][password][$gte]=GUESS", "$or[01][password][$gte]=GUESS", "$or[4294967296][password][$gte]=GUESS",
	"$or[-1][password][$gte]=GUESS", "$nor[0][password][$gte]=GUESS", "$not[password][$gte]=GUESS",
	"$and[0][email][$or][0][password][$gte]=GUESS", "email[$or][0][password][$gte]=GUESS",
	"email[$in][0][password]=GUESS", "email[$ne][password]=GUESS", "_id[$in][0][password]=GUESS",
	"email[$elemMatch][password][$gte]=GUESS", "email[password][$gte]=GUESS", "email[$eq][password]=GUESS",
	"email[$exists]=1&password[$gte]=GUESS", "email[$regex]=GUESS",
	// filters
	"$sort[password]=1", "$sort[password.x]=1", "$sort[0][password]=1", "$sort[][password]=1", "$sort=password",
	"$sort[password]=0", "$select=password", "$select[a]=password", "$select[0][0]=password",
	"$select[0][password]=1", "$select[]=password.x", "$select[]=_id.password", "$limit[password]=1",
	"$skip[password]=1", "$populate=password", "$search=password",
	// the idempotency parameter taken out of the query before the check
	"$idempotencyKey=abc&password[$gte]=GUESS", "$idempotencyKey[password]=GUESS",
}

func TestReviewProtectedAttacksHeld(t *testing.T) {
	for _, storage := range []string{"sqlite", "memory"} {
		t.Run(storage, func(t *testing.T) {
			p := startPinion(t, storage, nil)
			login(t, p.URL, "victim@example.com")
			token := login(t, p.URL, "attacker@example.com")
			for _, q := range reviewAttacks {
				answers := map[string]string{}
				for _, guess := range []string{"$2", "~"} {
					raw := strings.ReplaceAll(q, "GUESS", url.QueryEscape(guess))
					status, m := get(t, p.URL, "/users", raw, token)
					b, _ := json.Marshal(m)
					if strings.Contains(string(b), "$2a$") || strings.Contains(string(b), "$2b$") {
						t.Errorf("GET /users?%s: %d %s shows a hash", raw, status, b)
					}
					if status >= 500 {
						t.Errorf("GET /users?%s: %d %s", raw, status, b)
					}
					// Error data echoes the client's own value: the guess, not the hash.
					answers[guess] = fmt.Sprint(status, " ", strings.ReplaceAll(string(b), guess, "GUESS"))
				}
				if answers["$2"] != answers["~"] {
					t.Errorf("GET /users?%s: the answer depends on the guess at the hash:\n  $2: %s\n  ~:  %s", q, answers["$2"], answers["~"])
				}
			}
		})
	}
}

// Over socket.io the same shapes arrive as JSON, where duplicate keys,
// escapes and non-string keys are possible: still refused or blind.
func TestReviewProtectedSocketAttacksHeld(t *testing.T) {
	p := startPinion(t, "sqlite", nil)
	login(t, p.URL, "victim@example.com")
	token := login(t, p.URL, "attacker@example.com")
	c := socket(t, p.URL, token)
	queries := func(guess string) []map[string]any {
		gte := map[string]any{"$gte": guess}
		return []map[string]any{
			{"pass\u200bword": gte},
			{"pass\\u0077ord": gte},
			{"password ": gte},
			{" password": gte},
			{"$or": map[string]any{"0": map[string]any{"password": gte}}},
			{"$or": []any{map[string]any{"$or": []any{map[string]any{"password": gte}}}}},
			{"email": map[string]any{"$in": []any{map[string]any{"password": gte}}}},
			{"email": []any{map[string]any{"password": gte}}},
			{"$sort": map[string]any{"password": 1}, "$limit": 1},
			{"$select": []any{1, "password"}},
			{"$select": map[string]any{"a": "password"}},
		}
	}
	lo, hi := queries("$2"), queries("~")
	for i := range lo {
		code1, res1 := callCode(t, c, "find", "users", lo[i])
		code2, res2 := callCode(t, c, "find", "users", hi[i])
		if code1 != code2 || strings.ReplaceAll(string(res1), "$2", "GUESS") != strings.ReplaceAll(string(res2), "~", "GUESS") {
			t.Errorf("socket find %v: the answer depends on the guess: %d %s / %d %s", lo[i], code1, res1, code2, res2)
		}
		if strings.Contains(string(res1)+string(res2), "$2b$") || strings.Contains(string(res1)+string(res2), "$2a$") {
			t.Errorf("socket find %v shows a hash", lo[i])
		}
	}
	// Raw JSON with a duplicate key: Go keeps the last, and so does the
	// check, which sees the same map as the adapter.
	var dup map[string]any
	json.Unmarshal([]byte(`{"email":{"$ne":"x"},"password":{"$gte":"$2"},"password":{"$gte":"~"}}`), &dup)
	if code, res := callCode(t, c, "find", "users", dup); code != 400 {
		t.Errorf("socket find with a duplicate password key: %d %s, want 400", code, res)
	}
}

// get, patch, update and remove of one's own user carry a query too, over
// REST and socket.io: a condition on the password is refused before any
// hook (onlySelf, validation, hashing) and the record is left unchanged.
func TestReviewProtectedInSingleRecordMethodsHeld(t *testing.T) {
	p := startPinion(t, "sqlite", nil)
	token := login(t, p.URL, "self@example.com")
	me := userID(t, p.URL, token, "self@example.com")
	for _, method := range []string{"GET", "PATCH", "PUT", "DELETE"} {
		for _, q := range []string{"password[$gte]=%242", "$or[0][password][$lt]=~", "$select[]=password", "$sort[password]=1"} {
			var body any
			if method == "PATCH" || method == "PUT" {
				body = map[string]any{"email": "self@example.com", "password": "pw-12345", "name": "n"}
			}
			status, m := api(t, p.URL, method, "/users/"+me+"?"+q, token, body)
			if status != 400 {
				t.Errorf("%s /users/me?%s: %d %v, want 400", method, q, status, m)
			}
		}
	}
	c := socket(t, p.URL, token)
	for _, call := range [][]any{
		{"get", "users", me, map[string]any{"password": map[string]any{"$gte": "$2"}}},
		{"patch", "users", me, map[string]any{"name": "x"}, map[string]any{"password": map[string]any{"$gte": "$2"}}},
		{"remove", "users", me, map[string]any{"$or": []any{map[string]any{"password": map[string]any{"$gte": "$2"}}}}},
	} {
		if code, res := callCode(t, c, call[0].(string), call[1:]...); code != 400 {
			t.Errorf("socket %v: %d %s, want 400", call, code, res)
		}
	}
	if status, _ := get(t, p.URL, "/users/"+me, "", token); status != 200 {
		t.Errorf("the user is gone after refused calls: %d", status)
	}
}
