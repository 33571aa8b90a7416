// Package presence serves who is connected in a channel, to its members only:
//
//	GET /presence/rooms%2Fgeneral                       (REST)
//	socket.emit('get', 'presence', 'rooms/general', {}, ack)
//	socket.emit('find', 'presence', {channel: 'rooms/general'}, ack)
//
// answer {"channel": "rooms/general", "users": [{"user": "<sub>",
// "connections": 2}], "connections": 2}, on every instance (see
// pinion.App.Presence). Members receive "presence joined" and "presence
// left" events ({channel, user}) as users come and go. A caller is a member
// when one of its user's connections is in the channel, on any instance;
// anyone else, for a channel that exists or not, tracked or not, gets the
// same 403, so that nothing is learnt from asking.
package presence

import (
	"context"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// Path is where the service is registered.
const Path = "presence"

// Service answers presence queries.
type Service struct{ app *pinion.App }

// Channel is the answer for one channel.
type Channel struct {
	Channel     string          `json:"channel"`
	Users       []pinion.Member `json:"users"`
	Connections int             `json:"connections"`
}

// Register adds the service to app. It publishes nothing: joins and leaves
// reach members as presence events.
func Register(app *pinion.App) *pinion.Service {
	svc := app.Use(Path, &Service{app: app}, pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
	}), pinion.WithDocs(pinion.Docs{
		Summary: "Who is connected in a channel, for its members",
		Secured: []pinion.Method{pinion.All},
		Result:  channelSchema,
	}))
	svc.Publish(func(context.Context, pinion.Event) []*pinion.Channel { return nil })
	return svc
}

// channelSchema is a Channel as the service answers it.
const channelSchema = `{
	"type": "object",
	"required": ["channel", "users", "connections"],
	"properties": {
		"channel": {"type": "string", "description": "the channel's name, such as rooms/general"},
		"users": {"type": "array", "items": {
			"type": "object",
			"required": ["user", "connections"],
			"properties": {
				"user": {"type": "string", "description": "the user's id (the token's sub)"},
				"connections": {"type": "integer", "description": "how many of the user's connections are in the channel"}
			}
		}},
		"connections": {"type": "integer", "description": "every connection in the channel"}
	}
}`

// Get answers the presence of the channel named by the id.
func (s *Service) Get(ctx context.Context, id any, params *pinion.Params) (any, error) {
	name, _ := id.(string)
	return s.channel(name, params)
}

// Find answers the presence of query.channel, as a list of one.
func (s *Service) Find(ctx context.Context, params *pinion.Params) (any, error) {
	name, _ := params.Query["channel"].(string)
	if name == "" {
		return nil, pinion.BadRequest("Name the channel: ?channel=<name>")
	}
	ch, err := s.channel(name, params)
	if err != nil {
		return nil, err
	}
	return []any{ch}, nil
}

func (s *Service) channel(name string, params *pinion.Params) (*Channel, error) {
	if name == "" || len(name) > 256 {
		return nil, pinion.BadRequest("Name the channel")
	}
	sub := ""
	if params.Authentication != nil {
		sub, _ = params.Authentication.Payload["sub"].(string)
	}
	if !s.app.Tracked(name) || !s.app.InChannel(name, sub) {
		return nil, pinion.Forbidden("You are not a member of this channel")
	}
	ch := &Channel{Channel: name, Users: s.app.Presence(name)}
	for _, m := range ch.Users {
		ch.Connections += m.Connections
	}
	return ch, nil
}
