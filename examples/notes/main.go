// Command notes is the notes app of the guide (docs/guide.md, "11. A whole
// app: notes"): users who sign up and log in, notes on SQLite that only their
// owner sees, a custom "archive" method, and events for each note sent to
// its owner only. It serves on $PORT (3030 by default), keeps its data in
// $DATA_DIR/notes.db (data/ by default) and needs AUTH_SECRET (32 bytes or
// more).
//
//	AUTH_SECRET=$(openssl rand -hex 32) go run ./examples/notes
package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/serve"
)

// User is an account: the login's email and its password's hash.
type User struct {
	ID       string `json:"_id" readOnly:"true"`
	Email    string `json:"email" required:"true" format:"email" maxLength:"200"`
	Password string `json:"password,omitempty" required:"true" minLength:"8" maxLength:"72" protected:"true"`
}

// Note belongs to the user who wrote it. Clients cannot write the fields
// marked readOnly: the server sets them.
type Note struct {
	ID         string    `json:"_id" readOnly:"true"`
	OwnerID    string    `json:"ownerId" readOnly:"true"`
	Author     string    `json:"author" readOnly:"true"`
	Title      string    `json:"title" required:"true" minLength:"1" maxLength:"200"`
	Text       string    `json:"text" maxLength:"10000"`
	Archived   bool      `json:"archived" readOnly:"true"`
	ArchivedAt time.Time `json:"archivedAt,omitzero" readOnly:"true"`
	Reason     string    `json:"reason,omitempty" readOnly:"true"`
}

// ArchiveData is what the archive method takes besides the note's id.
type ArchiveData struct {
	Reason string `json:"reason" maxLength:"200"`
}

func main() {
	serve.Main(newApp, serve.Options{})
}

// newApp opens the database and builds the app, as serve.Main wants.
func newApp() (*pinion.App, error) {
	dir := os.Getenv("DATA_DIR")
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(filepath.Join(dir, "notes.db"), sqlite.WithSynchronous(sqlite.Full))
	if err != nil {
		return nil, err
	}
	return build(db, os.Getenv("AUTH_SECRET"))
}

// build registers the services on a new app.
func build(db *sqlite.DB, secret string) (*pinion.App, error) {
	app := pinion.New()
	cfg := authentication.DefaultConfig()
	cfg.Secret = secret
	// Logouts, login counters, refresh tokens and spent tickets are kept
	// in the same database, so a restart forgets none of them. The store
	// lives as long as the process.
	state := sqlitestore.New(db, sqlitestore.Options{})
	if err := state.Start(context.Background()); err != nil {
		return nil, err
	}
	if _, err := authentication.Install(app, cfg, authentication.WithStore(state)); err != nil {
		return nil, err
	}

	// Users sign up with create; the authentication service reads them
	// from Go. No client lists or reads accounts.
	users := pinion.Use(app, "users", sqlite.Typed[User, string](db, "users", sqlite.Options{Indexes: []sqlite.Index{{Fields: []string{"email"}, Unique: true}}}),
		pinion.WithMethods(pinion.MethodCreate),
		pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{pinion.MethodCreate: {local.HashPassword("password")}}}))

	// me reads the caller as a User, with a string id.
	me := users.Identity()

	// Each note belongs to its author: ownerId is set on create, every
	// other call sees the caller's notes only, events reach the owner only.
	notes := pinion.Use(app, "notes", sqlite.Typed[Note, string](db, "notes", sqlite.Options{Indexes: []sqlite.Index{{Fields: []string{"ownerId"}}}}),
		pinion.WithHooks(pinion.Hooks{
			Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
			Before: pinion.HookMap{pinion.MethodCreate: {pinion.Typed(signed(me))}},
		}),
		pinion.WithOwner(me, "ownerId"))

	// archive is a custom method on one note: POST /notes with
	// X-Service-Method: archive and {"_id": "…", "reason": "…"}.
	pinion.AddCustomOn(notes, "archive", func(ctx context.Context, id string, data ArchiveData, p *pinion.Params) (Note, error) {
		change := Note{Archived: true, ArchivedAt: time.Now().UTC(), Reason: data.Reason}
		// p carries the caller: the patch is limited to their notes too.
		return notes.Patch(ctx, id, pinion.NewPatch(change, "archived", "archivedAt", "reason"), p)
	})
	return app, nil
}

// signed returns a hook that signs new notes with their author's email:
// the caller is a User, read without a cast or a map lookup.
func signed(me pinion.Identity[User, string]) func(context.Context, pinion.Context[Note]) error {
	return func(ctx context.Context, c pinion.Context[Note]) error {
		user, ok := me.User(c.Params)
		if !ok {
			return nil // an internal call without a user: WithOwner refuses it
		}
		for _, note := range c.Data() {
			note.Author = user.Email
		}
		return nil
	}
}
