package pinion

import (
	"fmt"
	"reflect"

	"github.com/pinionhq/pinion/schema"
)

// Identity reads who is calling as the app's own user type U, with ids of
// type K. The authentication service keeps the user of a call in
// Params.User and on its Connection as the map it loaded; an Identity
// decodes it, so that services, hooks, channel filters and publishers ask
// "who is this" without a cast or a map lookup:
//
//	var users = pinion.Use(app, "users", store) // a ServiceOf[User, int]
//	var me = users.Identity()
//	…
//	user, ok := me.User(params)   // a User
//	id, ok := me.ID(params)       // an int
//	id, ok := me.ConnID(conn)     // in a channel filter
//
// The zero Identity knows no id field; make one with NewIdentity or
// ServiceOf.Identity. An Identity is a small value: copy it freely.
type Identity[U any, K comparable] struct {
	idField string
	st      *schema.Struct
}

// NewIdentity returns the Identity of users of type U whose id is the JSON
// field idField (for example "_id"), of type K.
func NewIdentity[U any, K comparable](idField string) Identity[U, K] {
	if idField == "" {
		panic("pinion: NewIdentity needs the user's id field")
	}
	return Identity[U, K]{idField: idField, st: schema.For[U]()}
}

// Identity returns the Identity of the users this service stores: U is its
// record type, K its id type, and the id field the one the service names
// (IDFielder, as the adapters do). It panics for a service that does not
// name its id field: use NewIdentity then.
func (s ServiceOf[T, K]) Identity() Identity[T, K] {
	c, ok := s.typed.(*typedCodec[T, K])
	if !ok || c.id == "" {
		panic(fmt.Sprintf("pinion: %s does not name its id field; use NewIdentity", s.Service))
	}
	return NewIdentity[T, K](c.id)
}

// IDField is the JSON name of the user's id field.
func (i Identity[U, K]) IDField() string { return i.idField }

// User returns the authenticated user of the call p, and false when the
// call has none (an anonymous or internal call) or when the user does not
// decode as a U.
func (i Identity[U, K]) User(p *Params) (U, bool) {
	if p == nil {
		var zero U
		return zero, false
	}
	return i.decode(p.User)
}

// ID returns the id of the authenticated user of the call p, and false
// when the call has none.
func (i Identity[U, K]) ID(p *Params) (K, bool) {
	if p == nil {
		var zero K
		return zero, false
	}
	return i.id(p.User)
}

// ConnUser returns the user logged in on a real-time connection, and false
// for an anonymous one.
func (i Identity[U, K]) ConnUser(c *Connection) (U, bool) {
	if c == nil {
		var zero U
		return zero, false
	}
	return i.decode(c.User())
}

// ConnID returns the id of the user logged in on a real-time connection,
// and false for an anonymous one.
func (i Identity[U, K]) ConnID(c *Connection) (K, bool) {
	if c == nil {
		var zero K
		return zero, false
	}
	return i.id(c.User())
}

func (i Identity[U, K]) decode(m map[string]any) (U, bool) {
	var u U
	if m == nil || i.st == nil {
		return u, false
	}
	if err := i.st.Load(m, reflect.ValueOf(&u)); err != nil {
		return u, false
	}
	return u, true
}

func (i Identity[U, K]) id(m map[string]any) (K, bool) {
	var zero K
	v, ok := m[i.idField]
	if !ok || v == nil {
		return zero, false
	}
	k, err := idOf[K](v)
	if err != nil {
		return zero, false
	}
	return k.(K), true
}
