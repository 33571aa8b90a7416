package authentication_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
	"github.com/pinionhq/pinion/transport/rest"
)

// User is a users service written as a struct: the authentication service
// must treat it as it treats maps.
type User struct {
	ID       int    `json:"_id" readOnly:"true"`
	Email    string `json:"email" required:"true" format:"email"`
	Name     string `json:"name,omitempty" maxLength:"100"`
	Password string `json:"password,omitempty" required:"true" protected:"true" maxLength:"72"`
}

func typedUsers(t *testing.T) (*fixture, pinion.ServiceOf[User, int]) {
	t.Helper()
	cfg := authentication.DefaultConfig()
	cfg.Secret = secret
	cfg.Local.HashSize = 4
	app := pinion.New()
	auth, err := authentication.Install(app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	protect := authentication.Authenticate("jwt")
	users := pinion.Use(app, "users", memory.Typed[User, int](memory.Options{Unique: []string{"email"}, Options: adapter.Options{ID: "_id"}}),
		pinion.WithHooks(pinion.Hooks{
			Around: pinion.AroundMap{pinion.MethodGet: {protect}, pinion.MethodPatch: {protect}, pinion.MethodFind: {protect}},
			Before: pinion.HookMap{pinion.MethodCreate: {local.HashPassword("password")}, pinion.MethodPatch: {local.HashPassword("password")}},
		}))
	if err := app.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	rest.New(app, rest.Options{Authentication: auth.Parse}).Mount(engine)
	return &fixture{app: app, auth: auth, http: engine}, users
}

// A typed users service: signup hashes the password into the struct, login
// finds the user, the password never leaves, the user cache follows changes
// and a password change revokes the user's tokens.
func TestTypedUsers(t *testing.T) {
	f, users := typedUsers(t)
	created := f.signup(t, "ada@example.com", "secret-1")
	if _, leaked := created["password"]; leaked {
		t.Fatalf("the password came back: %v", created)
	}
	if stored, _ := users.Get(context.Background(), 0, nil); !strings.HasPrefix(stored.Password, "$2") {
		t.Fatalf("the stored password is not a bcrypt hash: %q", stored.Password)
	}
	token := f.login(t, "ada@example.com", "secret-1")
	me := f.do(t, "GET", "/users/0", token, nil)
	if me.status != 200 || me.body["email"] != "ada@example.com" || me.body["password"] != nil {
		t.Fatalf("get: %d %v", me.status, me.body)
	}
	// The cache: a change of the user is what the next call sees.
	if r := f.do(t, "PATCH", "/users/0", token, map[string]any{"name": "Ada"}); r.status != 200 {
		t.Fatalf("patch: %d %v", r.status, r.body)
	}
	entity, err := f.auth.Entity(context.Background(), "0")
	if err != nil || entity["name"] != "Ada" || entity["password"] != nil {
		t.Fatalf("cached entity after a change: %v %v", entity, err)
	}
	// A password change voids the earlier tokens.
	if r := f.do(t, "PATCH", "/users/0", token, map[string]any{"password": "secret-2"}); r.status != 200 {
		t.Fatalf("password change: %d %v", r.status, r.body)
	}
	wantError(t, f.do(t, "GET", "/users/0", token, nil), 401, "Token has been revoked")
	if f.do(t, "GET", "/users/0", f.login(t, "ada@example.com", "secret-2"), nil).status != 200 {
		t.Fatal("the new password does not log in")
	}
	// Queries may not reach the hash.
	if r := f.do(t, "GET", "/users?password[$gt]=a", f.login(t, "ada@example.com", "secret-2"), nil); r.status != 400 {
		t.Fatalf("a query on the protected field: %d %v", r.status, r.body)
	}
}
