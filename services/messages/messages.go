// Package messages is the messages service of the chat app, and an example of a
// service defined with hooks: every method needs a valid token, a new message is
// stamped with its author and time, and every message is answered (and published)
// with its author as "user". A message may name a room ("channel"): it is then
// published to that room only, and only members of it may post there.
package messages

import (
	"context"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/hooks"
	"github.com/pinionhq/pinion/services/rooms"
)

// Path is where the service is registered.
const Path = "messages"

// Register adds the messages service to app, storing records in store.
func Register(app *pinion.App, store any) *pinion.Service {
	return app.Use(Path, store, pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
		Before: pinion.HookMap{"create": {hooks.Validate(schema), rooms.AuthorizePublish("channel"), stamp}},
		After:  pinion.HookMap{pinion.All: {withUser}},
	}))
}

const schema = `{
	"type": "object",
	"required": ["text"],
	"properties": {
		"text": {"type": "string", "minLength": 1, "maxLength": 10000},
		"channel": {"type": "string", "minLength": 1, "maxLength": 100}
	}
}`

// stamp keeps only the text of a new message (and its room, if any) and adds
// who wrote it and when, as feathers-chat does: {text, userId, createdAt (ms)}.
func stamp(ctx context.Context, hc *pinion.HookContext) error {
	data, _ := hc.Data.(map[string]any)
	user := hc.Params.User
	if user == nil {
		return pinion.NotAuthenticated("Not authenticated")
	}
	msg := map[string]any{
		"text":      data["text"],
		"userId":    user["_id"],
		"createdAt": time.Now().UnixMilli(),
	}
	if ch, ok := data["channel"].(string); ok {
		msg["channel"] = ch
	}
	hc.Data = msg
	return nil
}

// withUser adds the author (without password) to every message of the result. It
// reads users through the authentication service's entity cache, so a page of
// messages by a few people costs a few lookups at most, usually none.
func withUser(ctx context.Context, hc *pinion.HookContext) error {
	auth := authentication.From(hc.App)
	if auth == nil {
		return nil
	}
	for _, m := range pinion.Records(hc.Result) {
		id := pinion.IDString(m["userId"])
		if id == "" {
			continue
		}
		user, err := auth.Entity(ctx, id)
		if err != nil {
			if pinion.ToError(err, false).Code == 401 {
				continue // the author was removed; the message stays
			}
			return err
		}
		m["user"] = user
	}
	return nil
}
