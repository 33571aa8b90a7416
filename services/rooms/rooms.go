// Package rooms is claims-based channel authorization, after SocketCluster's
// publish middleware: a token may carry a "channels" claim (a list of names, put
// there by a hook on authentication create); a real-time connection can join
// the channel "rooms/<name>" only for names in its claim, and a message can be
// published to a room only by someone allowed in it.
//
//	socket.emit('create', 'rooms', {name: 'general'}, {}, ack)   // join
//	socket.emit('remove', 'rooms', 'general', {}, ack)           // leave
package rooms

import (
	"context"
	"slices"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// Path is where the service is registered; Prefix starts the channel names.
const (
	Path   = "rooms"
	Prefix = "rooms/"
)

// Claim is the token claim that lists the channels a user may use.
const Claim = "channels"

// Service joins and leaves rooms for the calling connection.
type Service struct{ app *pinion.App }

// Register adds the rooms service to app. Joining and leaving are not events
// anyone else needs, so nothing is published.
func Register(app *pinion.App) *pinion.Service {
	svc := app.Use(Path, &Service{app: app}, pinion.WithDocs(pinion.Docs{
		Summary:    "Join (create {name}) and leave (remove name) rooms, on a socket",
		Secured:    []pinion.Method{pinion.All},
		Operations: map[pinion.Method]string{pinion.MethodCreate: "Join a room", pinion.MethodRemove: "Leave a room"},
		Data:       `{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}`,
		Result:     `{"type": "object", "properties": {"name": {"type": "string"}}}`,
	}), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}))
	svc.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return nil })
	return svc
}

// AllowsMulti implements pinion.MultiChecker: rooms are joined and left one
// at a time.
func (s *Service) AllowsMulti(pinion.Method) bool { return false }

// Create joins the room {name}.
func (s *Service) Create(ctx context.Context, data any, params *pinion.Params) (any, error) {
	m, _ := data.(map[string]any)
	name, _ := m["name"].(string)
	if name == "" {
		return nil, pinion.BadRequest("A room needs a name")
	}
	conn := params.Connection
	if conn == nil {
		return nil, pinion.BadRequest("Rooms are joined on a real-time connection")
	}
	if !Allowed(params, name) {
		return nil, pinion.Forbidden("You are not authorized to join the %s channel", name)
	}
	s.app.Channel(Prefix + name).Join(conn)
	return map[string]any{"name": name}, nil
}

// Remove leaves the room named by the id.
func (s *Service) Remove(ctx context.Context, id any, params *pinion.Params) (any, error) {
	name, _ := id.(string)
	if name == "" {
		return nil, pinion.BadRequest("A room needs a name")
	}
	if params.Connection == nil {
		return nil, pinion.BadRequest("Rooms are left on a real-time connection")
	}
	s.app.Channel(Prefix + name).Leave(params.Connection)
	return map[string]any{"name": name}, nil
}

// Claimed lists the rooms the verified token of a call names in its
// channels claim.
func Claimed(params *pinion.Params) []any {
	if params.Authentication == nil {
		return nil
	}
	var out []any
	list, _ := params.Authentication.Payload[Claim].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Allowed reports whether the verified token of a call lists name in its
// channels claim.
func Allowed(params *pinion.Params, name string) bool {
	if params.Authentication == nil {
		return false
	}
	list, _ := params.Authentication.Payload[Claim].([]any)
	return slices.ContainsFunc(list, func(v any) bool { s, _ := v.(string); return s == name })
}

// AuthorizePublish is a before hook for create on a service whose records may
// name a room in field: creating one for a room outside the caller's claim is
// 403 Forbidden. Internal calls pass.
func AuthorizePublish(field string) pinion.Hook {
	return func(ctx context.Context, hc *pinion.HookContext) error {
		if hc.Params.Provider == "" {
			return nil
		}
		for _, rec := range pinion.Records(hc.Data) {
			v, ok := rec.Get(field)
			if !ok || v == nil {
				continue
			}
			name, ok := v.(string)
			if !ok || name == "" {
				return pinion.BadRequest("'%s' must be a room name", field)
			}
			if !Allowed(hc.Params, name) {
				return pinion.Forbidden("You are not authorized to publish to the %s channel", name)
			}
		}
		return nil
	}
}

// Channel returns the room a record is published to, from field, or "".
func Channel(rec any, field string) string {
	if recs := pinion.Records(rec); len(recs) == 1 {
		return recs[0].String(field)
	}
	return ""
}
