// Command todos-mongo is a typed todos service with users and
// authentication, on the MongoDB at MONGODB_URL or, without it, on the
// embedded store (an SQLite file under ./data; the same types work on both
// adapters): every user sees and changes only their own todos.
//
//	go run ./examples/todos-mongo
//	curl -s localhost:3030/users -H 'Content-Type: application/json' -d '{"email":"ada@example.com","password":"correct horse"}'
//	TOKEN=$(curl -s localhost:3030/authentication -H 'Content-Type: application/json' \
//	  -d '{"strategy":"local","email":"ada@example.com","password":"correct horse"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\1/')
//	curl -s localhost:3030/todos -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"title":"write docs"}'
package main

import (
	"context"
	"log"
	"os"
	"path/filepath"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
	"github.com/pinionhq/pinion/authentication/mongostore"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/serve"
)

// User is an account; the password is stored as a bcrypt hash and never sent.
// Its id is an ObjectId's hex, which both adapters make.
type User struct {
	ID       string `json:"_id" readOnly:"true"`
	Email    string `json:"email" required:"true" format:"email" maxLength:"254"`
	Password string `json:"password,omitempty" required:"true" minLength:"8" maxLength:"72" protected:"true"`
}

// Todo belongs to the user who created it.
type Todo struct {
	ID    string `json:"_id" readOnly:"true"`
	Title string `json:"title" required:"true" minLength:"1" maxLength:"200"`
	Done  bool   `json:"done"`
	Owner string `json:"owner" readOnly:"true"`
}

// stores are the typed services of users and todos, and the authentication
// state (revoked tokens, login counters) beside them, so that a restart
// forgets no logout.
type stores struct {
	users *adapter.Typed[User, string]
	todos *adapter.Typed[Todo, string]
	auth  authentication.Store
	close func()
}

func main() {
	ctx := context.Background()
	st, err := open(ctx, os.Getenv("MONGODB_URL"), "data")
	if err != nil {
		log.Fatal(err)
	}
	defer st.close()
	app, err := newApp(st, "data")
	if err != nil {
		log.Fatal(err)
	}
	if err := serve.Run(app, serve.Options{}); err != nil {
		log.Print(err)
	}
}

// newApp registers users, authentication and todos on the stores.
func newApp(st stores, dataDir string) (*pinion.App, error) {
	app := pinion.New()
	cfg := authentication.DefaultConfig()
	cfg.Secret = os.Getenv("AUTH_SECRET")
	if _, err := cfg.ResolveSecret(false, dataDir); err != nil { // generated and kept in dataDir without AUTH_SECRET
		return nil, err
	}
	if _, err := authentication.Install(app, cfg, authentication.WithStore(st.auth)); err != nil {
		return nil, err
	}
	pinion.Use(app, "users", st.users,
		pinion.WithHooks(pinion.Hooks{
			Around: pinion.AroundMap{pinion.MethodFind: {authentication.Authenticate("jwt")}, pinion.MethodGet: {authentication.Authenticate("jwt")}},
			Before: pinion.HookMap{pinion.MethodCreate: {local.HashPassword("password")}},
		}), pinion.WithMethods(pinion.MethodFind, pinion.MethodGet, pinion.MethodCreate))
	pinion.Use(app, "todos", st.todos, pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
		Before: pinion.HookMap{pinion.All: {ownTodos}, pinion.MethodCreate: {pinion.Typed(stampOwner)}, pinion.MethodUpdate: {pinion.Typed(stampOwner)}},
	}))
	return app, nil
}

// ownTodos narrows every external call to the caller's own todos: a find
// lists them, a get, patch or remove of another user's todo is a 404.
func ownTodos(ctx context.Context, hc *pinion.HookContext) error {
	if hc.Params.Provider == "" {
		return nil
	}
	q := map[string]any{}
	for k, v := range hc.Params.Query {
		q[k] = v
	}
	q["owner"] = pinion.IDString(hc.Params.User["_id"])
	hc.Params.Query = q
	return nil
}

// stampOwner makes the caller the owner of each new or replaced todo (the
// client cannot set it: the field is read-only).
func stampOwner(ctx context.Context, c pinion.Context[Todo]) error {
	for _, todo := range c.Data() {
		todo.Owner = pinion.IDString(c.Params.User["_id"])
	}
	return nil
}

// open opens the stores: in the SQLite file dir/todos.db, or, when url is
// set, in the MongoDB there. Emails are unique in both; todos are indexed by
// owner, which every call of a client filters on.
func open(ctx context.Context, url, dir string) (stores, error) {
	if url == "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return stores{}, err
		}
		db, err := sqlite.Open(filepath.Join(dir, "todos.db"))
		if err != nil {
			return stores{}, err
		}
		auth := sqlitestore.New(db, sqlitestore.Options{})
		if err := auth.Start(ctx); err != nil {
			db.Close()
			return stores{}, err
		}
		return stores{
			users: sqlite.Typed[User, string](db, "users", sqlite.Options{Indexes: []sqlite.Index{{Fields: []string{"email"}, Unique: true}}}),
			todos: sqlite.Typed[Todo, string](db, "todos", sqlite.Options{Indexes: []sqlite.Index{{Fields: []string{"owner"}}}}),
			auth:  auth,
			close: func() { auth.Close(); db.Close() },
		}, nil
	}
	client, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		return stores{}, err
	}
	return onMongo(ctx, client.Database("todos"), func() { client.Disconnect(context.Background()) })
}

// onMongo returns the stores in db; close releases the database.
func onMongo(ctx context.Context, db *mongo.Database, close func()) (stores, error) {
	unique := mongo.IndexModel{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)}
	owner := mongo.IndexModel{Keys: bson.D{{Key: "owner", Value: 1}}}
	auth := mongostore.New(db, mongostore.Options{})
	if err := auth.Start(ctx); err != nil {
		close()
		return stores{}, err
	}
	return stores{
		users: mongodb.Typed[User, string](db.Collection("users"), mongodb.Options{Indexes: []mongo.IndexModel{unique}}),
		todos: mongodb.Typed[Todo, string](db.Collection("todos"), mongodb.Options{Indexes: []mongo.IndexModel{owner}}),
		auth:  auth,
		close: func() { auth.Close(); close() },
	}, nil
}
