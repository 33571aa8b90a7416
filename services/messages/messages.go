// Package messages is the messages service of the chat app, and an example of a
// service defined with hooks: every method needs a valid token, a new message is
// stamped with its author and time, only its author may change or remove it,
// and every message is answered (and published) with its author as "user". A
// message may name a room ("channel"): it is then published to that room only,
// and only members of it may post there.
//
// feathers-chat lets anyone change or remove anyone's message; Pinion does
// not.
package messages

import (
	"context"
	"maps"
	"slices"
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
	return app.Use(Path, store, pinion.WithDocs(pinion.Docs{
		Summary: "Messages, stamped with their author; only the author changes them",
		Secured: []pinion.Method{pinion.All},
		Data:    schema, Patch: changeSchema, Result: messageSchema,
	}), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}},
		Before: pinion.HookMap{
			"find":   {inRooms},
			"get":    {inRooms},
			"create": {hooks.Validate(schema), rooms.AuthorizePublish("channel"), stamp},
			"update": {hooks.Validate(schema), rooms.AuthorizePublish("channel"), mayChange, keepAuthor},
			"patch":  {hooks.Validate(changeSchema), rooms.AuthorizePublish("channel"), mayChange},
			"remove": {mayChange},
		},
		After: pinion.HookMap{pinion.All: {withUser}},
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

// changeSchema is what a patch may change: the text and the room. The author
// and the time stay; keys starting with "$" (update operators) are refused
// with every other key.
const changeSchema = `{
	"type": "object",
	"additionalProperties": false,
	"properties": {
		"text": {"type": "string", "minLength": 1, "maxLength": 10000},
		"channel": {"type": "string", "minLength": 1, "maxLength": 100}
	}
}`

// messageSchema is a message as the service answers it.
const messageSchema = `{
	"type": "object",
	"required": ["_id", "text", "userId", "createdAt"],
	"properties": {
		"_id": {"type": ["string", "number"], "readOnly": true},
		"text": {"type": "string"},
		"channel": {"type": "string", "description": "the room it was posted to"},
		"userId": {"type": ["string", "number"]},
		"createdAt": {"type": "number", "description": "milliseconds since 1970"},
		"user": {
			"type": "object",
			"description": "the author (UserFields), added to every message answered and published",
			"required": ["_id", "email"],
			"properties": {
				"_id": {"type": ["string", "number"]},
				"email": {"type": "string"},
				"name": {"type": "string"},
				"avatar": {"type": "string"}
			}
		}
	}
}`

// inRooms narrows what an external caller reads to the messages for
// everyone and those of the rooms in their claim: a room's messages are its
// members' only, read or published.
func inRooms(ctx context.Context, hc *pinion.HookContext) error {
	if hc.Params.Provider == "" {
		return nil
	}
	q := make(map[string]any, len(hc.Params.Query)+1)
	for k, v := range hc.Params.Query {
		q[k] = v
	}
	var and []any
	switch a := q["$and"].(type) {
	case []any:
		and = slices.Clone(a)
	case map[string]any: // qs: $and[0][…]=…
		for _, k := range slices.Sorted(maps.Keys(a)) {
			and = append(and, a[k])
		}
	}
	q["$and"] = append(and, visible(hc.Params))
	hc.Params.Query = q
	return nil
}

// visible is the condition of the messages the caller may see: those for
// everyone and those of the rooms in their claim.
func visible(p *pinion.Params) map[string]any {
	or := []any{map[string]any{"channel": nil}} // nil matches a missing field too
	if claim := rooms.Claimed(p); len(claim) > 0 {
		or = append(or, map[string]any{"channel": map[string]any{"$in": claim}})
	}
	return map[string]any{"$or": or}
}

// existingKey is where mayChange leaves the record it read, for keepAuthor.
const existingKey = "messages/existing"

// mayChange lets an external caller change or remove a message only if they
// wrote it, and, for a message of a room, only if the room is in their claim
// (the change is published to that room). A message the caller may not see
// (another room's) is 404, as a get of it is, so that neither its room nor
// its existence shows; others' visible messages are 403.
func mayChange(ctx context.Context, hc *pinion.HookContext) error {
	if hc.Params.Provider == "" || hc.ID == nil {
		return nil // internal calls; multi changes are refused by the adapter
	}
	old, err := hc.Service.Get(ctx, hc.ID, &pinion.Params{Route: hc.Params.Route, Query: visible(hc.Params)})
	if err != nil {
		return err
	}
	m, _ := old.(map[string]any)
	me := pinion.IDString(hc.Params.User["_id"])
	if me == "" || me != pinion.IDString(m["userId"]) || authentication.ByWebhook(hc.Params.Authentication) {
		return pinion.Forbidden("You can only change or remove your own messages")
	}
	hc.Params.Set(existingKey, m)
	return nil
}

// keepAuthor makes an update (which replaces the record) keep only the text
// and room it was given, and the author and time of the message it replaces.
func keepAuthor(ctx context.Context, hc *pinion.HookContext) error {
	data, _ := hc.Data.(map[string]any)
	v, _ := hc.Params.Value(existingKey)
	old, _ := v.(map[string]any)
	if old == nil {
		return nil // an internal call replaces what it likes
	}
	msg := map[string]any{"text": data["text"], "userId": old["userId"], "createdAt": old["createdAt"]}
	if ch, ok := data["channel"].(string); ok {
		msg["channel"] = ch
	}
	hc.Data = msg
	return nil
}

// stamp keeps only the text of each new message (and its room, if any) and
// adds who wrote it and when, as feathers-chat does: {text, userId, createdAt
// (ms)}.
func stamp(ctx context.Context, hc *pinion.HookContext) error {
	user := hc.Params.User
	if user == nil {
		return pinion.NotAuthenticated("Not authenticated")
	}
	author := user["_id"]
	if authentication.ByWebhook(hc.Params.Authentication) {
		// Never a local user's id, even in a token from before webhook
		// identities had their prefix.
		author = authentication.WebhookSubject(pinion.IDString(author))
	}
	now := time.Now().UnixMilli()
	one := func(data map[string]any) map[string]any {
		msg := map[string]any{"text": data["text"], "userId": author, "createdAt": now}
		if ch, ok := data["channel"].(string); ok {
			msg["channel"] = ch
		}
		return msg
	}
	switch d := hc.Data.(type) {
	case map[string]any:
		hc.Data = one(d)
	case []any:
		list := make([]any, len(d))
		for i, e := range d {
			m, ok := e.(map[string]any)
			if !ok {
				return pinion.BadRequest("A message must be an object")
			}
			list[i] = one(m)
		}
		hc.Data = list
	default:
		return pinion.BadRequest("A message must be an object")
	}
	return nil
}

// UserFields are the fields of the author that every message carries as
// "user": what a chat page shows, nothing else, however large the rest of a
// user record may be.
var UserFields = []string{"_id", "email", "name", "avatar"}

// withUser adds the author (without password) to every message of the result. It
// reads users through the authentication service's entity cache, so a page of
// messages by a few people costs a few lookups at most, usually none. The
// author of a message posted by a webhook identity is that identity alone,
// {"_id": "webhook:…"}: it is no user's record.
func withUser(ctx context.Context, hc *pinion.HookContext) error {
	auth := authentication.From(hc.App)
	if auth == nil {
		return nil
	}
	for _, m := range pinion.Records(hc.Result) {
		userID, _ := m.Get("userId")
		id := pinion.IDString(userID)
		if id == "" {
			continue
		}
		if authentication.WebhookIdentity(id) {
			if err := m.Set("user", map[string]any{"_id": id}); err != nil {
				return err
			}
			continue
		}
		user, err := auth.Entity(ctx, id)
		if err != nil {
			if pinion.ToError(err, false).Code == 401 {
				continue // the author was removed; the message stays
			}
			return err
		}
		author := make(map[string]any, len(UserFields))
		for _, f := range UserFields {
			if v, ok := user[f]; ok {
				author[f] = v
			}
		}
		if err := m.Set("user", author); err != nil {
			return err
		}
	}
	return nil
}
