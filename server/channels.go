package server

import (
	"context"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/services/rooms"
)

// channels are the feathers-chat channels: a connection is "anonymous" until it
// logs in, then "authenticated", and every service event is published to the
// authenticated connections only.
func channels(app *pinion.App, auth *authentication.Service) {
	app.OnConnection(func(ctx context.Context, conn *pinion.Connection) {
		if conn.User() == nil { // a handshake login already made it authenticated
			app.Channel("anonymous").Join(conn)
		}
	})
	auth.OnLogin(func(ctx context.Context, res *authentication.Result, params *pinion.Params) {
		if conn := params.Connection; conn != nil {
			app.Channel("anonymous").Leave(conn)
			app.Channel("authenticated").Join(conn)
		}
	})
	// After a logout, an expiry or a revocation the connection has left every
	// channel; it stays connected as an anonymous one.
	auth.OnLogout(func(ctx context.Context, res *authentication.Result, params *pinion.Params) {
		if conn := params.Connection; conn != nil {
			app.Channel("anonymous").Join(conn)
		}
	})
	// Every event goes to the authenticated connections, except messages for a
	// room, which go to its members only.
	app.Publish(func(ctx context.Context, e pinion.Event) []*pinion.Channel {
		if room := rooms.Channel(e.Data, "channel"); room != "" {
			return []*pinion.Channel{app.Channel(rooms.Prefix + room)}
		}
		return []*pinion.Channel{app.Channel("authenticated")}
	})
}
