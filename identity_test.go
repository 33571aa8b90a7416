package pinion_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
)

// Member is a user type of the identity tests.
type Member struct {
	ID    int    `json:"_id" readOnly:"true"`
	Email string `json:"email"`
	Admin bool   `json:"admin"`
}

// The caller reads as the app's user type wherever it is: in params, on a
// connection; ids arrive as the authentication service loaded them (a
// float64 from JSON, an int from Go) and read as K.
func TestIdentity(t *testing.T) {
	app := pinion.New()
	members := pinion.Use(app, "members", memory.Typed[Member, int](memory.Options{Options: adapter.Options{ID: "_id"}}))
	me := members.Identity()
	if me.IDField() != "_id" {
		t.Fatalf("id field %q", me.IDField())
	}
	for _, c := range []struct {
		name   string
		user   map[string]any
		id     int
		ok     bool
		member Member
	}{
		{"from JSON", map[string]any{"_id": 3.0, "email": "ada@example.com", "admin": true}, 3, true, Member{3, "ada@example.com", true}},
		{"from Go", map[string]any{"_id": 4, "email": "bob@example.com"}, 4, true, Member{ID: 4, Email: "bob@example.com"}},
		{"extra fields", map[string]any{"_id": 5, "nickname": "x"}, 5, true, Member{ID: 5}},
		{"anonymous", nil, 0, false, Member{}},
		{"an id of another type", map[string]any{"_id": "x"}, 0, false, Member{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &pinion.Params{User: c.user}
			if id, ok := me.ID(p); id != c.id || ok != c.ok {
				t.Errorf("ID = %v, %v; want %v, %v", id, ok, c.id, c.ok)
			}
			conn := pinion.NewConnection(pinion.ConnectionOptions{ID: "c"})
			conn.SetAuthenticated(&pinion.Authentication{Strategy: "jwt"}, c.user)
			if id, ok := me.ConnID(conn); id != c.id || ok != c.ok {
				t.Errorf("ConnID = %v, %v; want %v, %v", id, ok, c.id, c.ok)
			}
			if c.user == nil || c.ok {
				if m, ok := me.User(p); m != c.member || ok != (c.user != nil) {
					t.Errorf("User = %+v, %v; want %+v", m, ok, c.member)
				}
				if m, ok := me.ConnUser(conn); m != c.member || ok != (c.user != nil) {
					t.Errorf("ConnUser = %+v, %v; want %+v", m, ok, c.member)
				}
			}
		})
	}
	if _, ok := me.ID(nil); ok {
		t.Error("nil params have a user")
	}
	if _, ok := me.ConnUser(nil); ok {
		t.Error("no connection has a user")
	}
}

// A service that does not name its id field needs NewIdentity.
func TestIdentityNeedsAnIDField(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "NewIdentity") {
			t.Errorf("recovered %v", r)
		}
	}()
	app := pinion.New()
	pinion.Use(app, "todos", plainTodos{}).Identity()
}

// plainTodos is a typed service that does not name its id field.
type plainTodos struct{ pinion.Types[Todo, int] }

func (plainTodos) Get(ctx context.Context, id int, p *pinion.Params) (Todo, error) {
	return Todo{}, nil
}

// Events of an owned service reach the owner's connections only, whoever
// publishes them; an event without an owner reaches nobody.
func TestOwnedEvents(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	me := pinion.NewIdentity[Member, int]("_id")
	notes := app.Use("notes", memory.New(memory.Options{}), pinion.WithOwner(me, "ownerId"), pinion.WithEvents("note"))
	ada, bob, anon := newConn("ada"), newConn("bob"), newConn("anon")
	ada.conn.SetAuthenticated(&pinion.Authentication{}, map[string]any{"_id": 1.0})
	bob.conn.SetAuthenticated(&pinion.Authentication{}, map[string]any{"_id": 2.0})
	app.Channel(pinion.Authenticated).Join(ada.conn, bob.conn)
	app.Channel(pinion.Anonymous).Join(anon.conn)
	// Even a publisher that sends everything everywhere is narrowed.
	notes.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel(pinion.Authenticated, pinion.Anonymous)}
	})
	if _, err := notes.Create(ctx, map[string]any{"text": "ada's"}, &pinion.Params{Provider: pinion.ProviderREST, User: map[string]any{"_id": 1}}); err != nil {
		t.Fatal(err)
	}
	notes.Emit(ctx, "note", map[string]any{"text": "whose?"})
	want := `notes created {"id":0,"ownerId":1,"text":"ada's"}`
	if got := ada.take(); len(got) != 1 || got[0] != want {
		t.Errorf("ada got %q, want %q", got, want)
	}
	if got := bob.take(); len(got) != 0 {
		t.Errorf("bob got %q", got)
	}
	if got := anon.take(); len(got) != 0 {
		t.Errorf("an anonymous connection got %q", got)
	}
}
