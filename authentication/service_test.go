package authentication_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/services/messages"
	"github.com/pinionhq/pinion/services/users"
	"github.com/pinionhq/pinion/transport/rest"
)

const secret = "reference-secret-reference-secret-0123456789"

var ctx = context.Background()

type fixture struct {
	app  *pinion.App
	auth *authentication.Service
	http http.Handler
}

// newApp is the chat app on memory storage, with a low bcrypt cost for speed.
func newApp(t testing.TB, edit ...func(*authentication.Config)) *fixture {
	t.Helper()
	return newAppWith(t, nil, nil, edit...)
}

// newAppWith is newApp with options for the app and the service.
func newAppWith(t testing.TB, appOpts []pinion.Option, authOpts []authentication.Option, edit ...func(*authentication.Config)) *fixture {
	t.Helper()
	cfg := authentication.DefaultConfig()
	cfg.Secret = secret
	cfg.Local.HashSize = 4
	cfg.Throttle.PerAccount = 3
	for _, e := range edit {
		e(&cfg)
	}
	app := pinion.New(appOpts...)
	auth, err := authentication.New(app, cfg, authOpts...)
	if err != nil {
		t.Fatal(err)
	}
	auth.Register("local", authentication.NewLocal(auth))
	app.Use("authentication", auth, pinion.WithMethods("create", "remove"))
	users.Register(app, memory.New(memory.Options{Options: adapter.Options{ID: "_id"}, Unique: []string{"email"}}))
	messages.Register(app, memory.New(memory.Options{Options: adapter.Options{ID: "_id"}}))
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	rest.New(app, rest.Options{Authentication: auth.Parse}).Mount(engine)
	return &fixture{app: app, auth: auth, http: engine}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(t testing.TB, method, path, token string, body any) reply {
	t.Helper()
	var r *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	} else {
		r = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.1:1234"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.http.ServeHTTP(w, req)
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	return reply{w.Code, w.Header(), m}
}

func (f *fixture) signup(t testing.TB, email, password string) map[string]any {
	t.Helper()
	r := f.do(t, "POST", "/users", "", map[string]any{"email": email, "password": password})
	if r.status != 201 {
		t.Fatalf("signup: %d %v", r.status, r.body)
	}
	return r.body
}

func (f *fixture) login(t testing.TB, email, password string) string {
	t.Helper()
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": password})
	if r.status != 201 {
		t.Fatalf("login: %d %v", r.status, r.body)
	}
	return r.body["accessToken"].(string)
}

func wantError(t *testing.T, r reply, status int, message string) {
	t.Helper()
	if r.status != status || r.body["message"] != message || r.body["code"] != float64(status) {
		t.Fatalf("got %d %v, want %d %q", r.status, r.body, status, message)
	}
}

func TestLoginShapes(t *testing.T) {
	f := newApp(t)
	user := f.signup(t, "a@b.c", "secret-pw")
	if _, ok := user["password"]; ok {
		t.Fatalf("signup answered the password hash: %v", user)
	}
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	if r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	token := r.body["accessToken"].(string)
	auth := r.body["authentication"].(map[string]any)
	payload := auth["payload"].(map[string]any)
	if auth["strategy"] != "local" || payload["sub"] != "0" || payload["aud"] != "https://yourdomain.com" {
		t.Errorf("authentication %v", auth)
	}
	u := r.body["user"].(map[string]any)
	if u["email"] != "a@b.c" || u["password"] != nil {
		t.Errorf("user %v", u)
	}

	// jwt answers the same token.
	r = f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "jwt", "accessToken": token})
	if r.status != 201 || r.body["accessToken"] != token || r.body["authentication"].(map[string]any)["accessToken"] != token {
		t.Fatalf("jwt: %d %v", r.status, r.body)
	}
}

func TestLoginFailures(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	for _, tc := range []struct {
		name string
		data map[string]any
		msg  string
	}{
		{"wrong password", map[string]any{"strategy": "local", "email": "a@b.c", "password": "nope"}, "Invalid login"},
		{"unknown user", map[string]any{"strategy": "local", "email": "x@b.c", "password": "secret-pw"}, "Invalid login"},
		{"no password", map[string]any{"strategy": "local", "email": "a@b.c"}, "Invalid login"},
		{"password not a string", map[string]any{"strategy": "local", "email": "a@b.c", "password": 5}, "Invalid login"},
		{"no strategy", map[string]any{"email": "a@b.c"}, "Invalid authentication information (no `strategy` set)"},
		{"unknown strategy", map[string]any{"strategy": "magic"}, "Invalid authentication information (strategy not allowed in authStrategies)"},
		{"no token", map[string]any{"strategy": "jwt"}, "No access token"},
		{"bad token", map[string]any{"strategy": "jwt", "accessToken": "x.y"}, "jwt malformed"},
		{"token 0", map[string]any{"strategy": "jwt", "accessToken": 0}, "No access token"},
		{"token false", map[string]any{"strategy": "jwt", "accessToken": false}, "No access token"},
		{"token a number", map[string]any{"strategy": "jwt", "accessToken": 5}, "jwt must be a string"},
		{"token an object", map[string]any{"strategy": "jwt", "accessToken": map[string]any{}}, "jwt must be a string"},
		{"token an array", map[string]any{"strategy": "jwt", "accessToken": []any{}}, "jwt must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.do(t, "POST", "/authentication", "", tc.data), 401, tc.msg)
		})
	}
	wantError(t, f.do(t, "GET", "/authentication", "", nil), 405, "Method `find` is not supported by this endpoint.")
}

func TestThrottle(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	bad := map[string]any{"strategy": "local", "email": "A@b.c", "password": "nope"}
	for range 3 {
		wantError(t, f.do(t, "POST", "/authentication", "", bad), 401, "Invalid login")
	}
	r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "a@b.c", "password": "secret-pw"})
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.body["name"] != "TooManyRequests" {
		t.Fatalf("after 3 failures: %d %v %v", r.status, r.header, r.body)
	}
	// Another account from the same address is not blocked by this counter.
	f.signup(t, "c@d.e", "secret-pw")
	f.login(t, "c@d.e", "secret-pw")
}

// Sockets report their peer as ip:port, a new port each: the address counter
// is per host all the same.
func TestThrottlePerAddressAcrossSockets(t *testing.T) {
	f := newApp(t, func(c *authentication.Config) { c.Throttle.PerAddress = 2 })
	var err error
	for i := range 3 {
		_, err = f.app.Service("authentication").Create(ctx,
			map[string]any{"strategy": "local", "email": fmt.Sprintf("u%d@b.c", i), "password": "nope"},
			&pinion.Params{Provider: pinion.ProviderSocketIO, RemoteAddr: fmt.Sprintf("192.0.2.9:%d", 40000+i)})
	}
	if e := pinion.ToError(err, false); e.Code != 429 {
		t.Fatalf("third failure from one host on three ports: %v", err)
	}
}

func TestAuthenticateHook(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	wantError(t, f.do(t, "GET", "/messages", "", nil), 401, "Not authenticated")
	wantError(t, f.do(t, "GET", "/users", "", nil), 401, "Not authenticated")
	wantError(t, f.do(t, "GET", "/messages", "garbage", nil), 401, "jwt malformed")
	token := f.login(t, "a@b.c", "secret-pw")
	r := f.do(t, "POST", "/messages", token, map[string]any{"text": "hi", "userId": "spoofed"})
	if r.status != 201 || r.body["userId"] != 0.0 || r.body["user"].(map[string]any)["email"] != "a@b.c" {
		t.Fatalf("create message: %d %v", r.status, r.body)
	}
	if _, leaked := r.body["user"].(map[string]any)["password"]; leaked {
		t.Fatal("password in a populated user")
	}
	// Internal calls need no credentials.
	if _, err := f.app.Service("messages").Find(ctx, nil); err != nil {
		t.Fatalf("internal find: %v", err)
	}
	// A Basic header is not a token.
	req := httptest.NewRequest("GET", "/messages", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwdw==")
	w := httptest.NewRecorder()
	f.http.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("Basic: %d", w.Code)
	}
}

func TestLogoutRevokes(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	token := f.login(t, "a@b.c", "secret-pw")
	other := f.login(t, "a@b.c", "secret-pw")
	wantError(t, f.do(t, "DELETE", "/authentication/"+other, token, nil), 401, "Invalid access token")
	r := f.do(t, "DELETE", "/authentication", token, nil)
	if r.status != 200 || r.body["accessToken"] != token {
		t.Fatalf("logout: %d %v", r.status, r.body)
	}
	wantError(t, f.do(t, "GET", "/messages", token, nil), 401, "Token has been revoked")
	wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "jwt", "accessToken": token}), 401, "Token has been revoked")
	// Only that token: the other session goes on.
	if r := f.do(t, "GET", "/messages", other, nil); r.status != 200 {
		t.Fatalf("other session: %d %v", r.status, r.body)
	}
	wantError(t, f.do(t, "DELETE", "/authentication", "", nil), 401, "Invalid authentication information (no `strategy` set)")
}

func TestPasswordChangeAndRemovalRevoke(t *testing.T) {
	f := newApp(t)
	user := f.signup(t, "a@b.c", "secret-pw")
	id := pinion.IDString(user["_id"])
	old := f.login(t, "a@b.c", "secret-pw")
	// A change that is not a password keeps tokens.
	if r := f.do(t, "PATCH", "/users/"+id, old, map[string]any{"name": "A"}); r.status != 200 {
		t.Fatalf("patch: %d %v", r.status, r.body)
	}
	if r := f.do(t, "GET", "/users/"+id, old, nil); r.status != 200 || r.body["name"] != "A" {
		t.Fatalf("the user cache missed the patch: %d %v", r.status, r.body)
	}
	// Update operators would bypass hashing and revocation: refused.
	for _, data := range []map[string]any{
		{"$set": map[string]any{"password": "plain"}},
		{"$unset": map[string]any{"password": ""}},
		{"name": "B", "$set": map[string]any{"email": "junk"}},
	} {
		if r := f.do(t, "PATCH", "/users/"+id, old, data); r.status != 400 {
			t.Fatalf("patch %v: %d %v", data, r.status, r.body)
		}
	}
	wantError(t, f.do(t, "POST", "/users", "", map[string]any{"email": "x@b.c", "password": "secret-pw", "$set": map[string]any{"a": 1}}), 400, "Invalid data: '$set' is not a field")
	if r := f.do(t, "PATCH", "/users/"+id, old, map[string]any{"password": "new-password"}); r.status != 200 || r.body["password"] != nil {
		t.Fatalf("password change: %d %v", r.status, r.body)
	}
	wantError(t, f.do(t, "GET", "/messages", old, nil), 401, "Token has been revoked")
	// A token issued right after the change, within the same second, works.
	fresh := f.login(t, "a@b.c", "new-password")
	if r := f.do(t, "GET", "/messages", fresh, nil); r.status != 200 {
		t.Fatalf("fresh token after a password change: %d %v", r.status, r.body)
	}
	if _, err := f.app.Service("users").Remove(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.do(t, "GET", "/messages", fresh, nil), 401, "Token has been revoked")
}

func TestOnlySelf(t *testing.T) {
	f := newApp(t)
	a := f.signup(t, "a@b.c", "secret-pw")
	f.signup(t, "b@b.c", "secret-pw")
	tokenB := f.login(t, "b@b.c", "secret-pw")
	wantError(t, f.do(t, "PATCH", "/users/"+pinion.IDString(a["_id"]), tokenB, map[string]any{"name": "x"}), 403, "You can only change your own user")
	wantError(t, f.do(t, "DELETE", "/users/"+pinion.IDString(a["_id"]), tokenB, nil), 403, "You can only change your own user")
}

// The chat app's account rules, through REST: an email that looks like one,
// a password of 8 to 72 characters, each refusal naming the field in the
// words of every validation error.
func TestSignupRules(t *testing.T) {
	f := newApp(t)
	f.signup(t, "a@b.c", "secret-pw")
	wantError(t, f.do(t, "POST", "/users", "", map[string]any{"email": "a@b.c", "password": "another-pw"}), 409, "Duplicate value for 'email'")
	cases := []struct {
		data     map[string]any
		message  string
		problems int
	}{
		{map[string]any{"email": "nope", "password": 5}, "", 2},
		{map[string]any{"email": "ada@example.com", "password": "1234567"}, "Invalid data: 'password' must be at least 8 characters long", 1},
		{map[string]any{"email": "ada@example.com", "password": ""}, "Invalid data: 'password' must be at least 8 characters long", 1},
		{map[string]any{"email": "ada@example.com", "password": strings.Repeat("x", 73)}, "Invalid data: 'password' must be at most 72 characters long", 1},
		// 72 characters, but 144 bytes: bcrypt would drop the end.
		{map[string]any{"email": "ada@example.com", "password": strings.Repeat("é", 72)}, "Invalid data: 'password' must be at most 72 bytes long", 1},
		{map[string]any{"email": "a@b", "password": "correct horse"}, "Invalid data: 'email' must be a valid email address", 1},
		{map[string]any{"email": "ada lovelace@example.com", "password": "correct horse"}, "Invalid data: 'email' must be a valid email address", 1},
		{map[string]any{"email": "ada@@example.com", "password": "correct horse"}, "Invalid data: 'email' must be a valid email address", 1},
		{map[string]any{"password": "correct horse"}, "Invalid data: 'email' is required", 1},
		{map[string]any{"email": "ada@example.com", "password": "correct horse", "role": "admin"}, "Invalid data: 'role' is not a field", 1},
	}
	for _, c := range cases {
		r := f.do(t, "POST", "/users", "", c.data)
		problems, _ := r.body["data"].([]any)
		if r.status != 400 || (c.message != "" && r.body["message"] != c.message) || len(problems) != c.problems {
			t.Errorf("signup %v: %d %v, want 400 %q with %d problems", c.data, r.status, r.body, c.message, c.problems)
		}
		if r.status == 400 && c.message != "" {
			field := strings.Split(c.message, "'")[1]
			if p, _ := problems[0].(map[string]any); p["instancePath"] != "/"+field {
				t.Errorf("signup %v: problem %v does not name /%s", c.data, problems[0], field)
			}
		}
	}
	if r := f.do(t, "POST", "/users", "", map[string]any{"email": "ada@example.com", "password": "12345678"}); r.status != 201 {
		t.Fatalf("an 8-character password: %d %v", r.status, r.body)
	}
	u := f.do(t, "POST", "/users", "", map[string]any{"email": "Mixed@Case.com", "password": "secret-pw"}).body
	if u["avatar"] != users.Avatar("mixed@case.com") || !strings.HasPrefix(u["avatar"].(string), "https://s.gravatar.com/avatar/") {
		t.Errorf("avatar %v", u["avatar"])
	}
	id := pinion.IDString(u["_id"])
	token := f.login(t, "mixed@case.com", "secret-pw")
	wantError(t, f.do(t, "PATCH", "/users/"+id, token, map[string]any{"password": "short"}), 400, "Invalid data: 'password' must be at least 8 characters long")
	wantError(t, f.do(t, "PATCH", "/users/"+id, token, map[string]any{"email": "mixed@case"}), 400, "Invalid data: 'email' must be a valid email address")
}

func TestServiceErrors(t *testing.T) {
	app := pinion.New()
	cfg := authentication.DefaultConfig()
	if _, err := authentication.New(app, cfg); err == nil {
		t.Error("no secret accepted")
	}
	cfg.Secret = secret
	auth, _ := authentication.New(app, cfg)
	app.Use("authentication", auth)
	if err := app.Setup(ctx); err == nil || !strings.Contains(err.Error(), `"users"`) {
		t.Errorf("setup without the entity service: %v", err)
	}
	// The hook without an authentication service.
	bare := pinion.New()
	s := bare.Use("things", memory.New(memory.Options{}), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}))
	_, err := s.Find(ctx, &pinion.Params{Provider: "rest", Authentication: &pinion.Authentication{Strategy: "jwt", AccessToken: "x"}})
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Message != "Could not find a valid authentication service" {
		t.Errorf("%v", err)
	}
}

func newRequest(authorization string) *http.Request {
	r := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

// TestBcryptjsHashes logs in users whose password hashes were made by bcryptjs
// (Feathers), in each prefix it reads: $2a$, $2b$ (bcryptjs 3), $2y$.
func TestBcryptjsHashes(t *testing.T) {
	f := newApp(t)
	const hash = "$04$jrna9L0hDfxBQahuiFjWju02Y1aKfBqVrb1.UHeZPmZXKvINjCIJi" // bcryptjs.hashSync("correct horse", 4)
	for _, prefix := range []string{"$2a", "$2b", "$2y"} {
		email := prefix[1:] + "@example.com"
		// Stored as a Feathers deployment left it: straight into the store.
		_, err := f.app.Service("users").Impl().(pinion.Creator).Create(ctx, map[string]any{"email": email, "password": prefix + hash}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "correct horse"}); r.status != 201 {
			t.Errorf("%s hash: %d %v", prefix, r.status, r.body)
		}
		wantError(t, f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "wrong horse"}), 401, "Invalid login")
	}
}
