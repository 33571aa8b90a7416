// Package users is the users service of the chat app, and an example of a service
// defined with hooks: open signup with a gravatar avatar, passwords stored as
// bcrypt hashes that never leave the server, and every other method behind a
// valid token.
//
// One thing differs from feathers-chat on purpose: a user may update, patch or
// remove only their own record (feathers-chat lets any user change any other).
package users

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/local"
	"github.com/pinionhq/pinion/hooks"
)

// Path is where the service is registered.
const Path = "users"

// Register adds the users service to app, storing records in store (a memory or
// MongoDB adapter service; emails must be unique in it).
func Register(app *pinion.App, store any) *pinion.Service {
	auth := authentication.Authenticate("jwt")
	hash := local.HashPassword("password")
	return app.Use(Path, store, pinion.WithProtected("password"), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{
			"find":   {auth},
			"get":    {auth},
			"update": {auth},
			"patch":  {auth},
			"remove": {auth},
		},
		Before: pinion.HookMap{
			"create": {hooks.Validate(signupSchema), setAvatar, hash},
			"update": {onlySelf, hooks.Validate(signupSchema), setAvatar, hash},
			"patch":  {onlySelf, hooks.Validate(patchSchema), hash},
			"remove": {onlySelf},
		},
	}))
}

// Both schemas refuse keys starting with "$": the adapters read those as
// update operators, and {"$set": {"password": …}} would skip hashing,
// validation and the revocation of the user's tokens.
const signupSchema = `{
	"type": "object",
	"required": ["email", "password"],
	"propertyNames": {"pattern": "^[^$]"},
	"properties": {
		"email": {"type": "string", "format": "email", "maxLength": 254},
		"password": {"type": "string", "minLength": 1, "maxLength": 72},
		"name": {"type": "string", "maxLength": 100},
		"avatar": {"type": "string", "maxLength": 2048}
	}
}`

const patchSchema = `{
	"type": "object",
	"propertyNames": {"pattern": "^[^$]"},
	"properties": {
		"email": {"type": "string", "format": "email", "maxLength": 254},
		"password": {"type": "string", "minLength": 1, "maxLength": 72},
		"name": {"type": "string", "maxLength": 100},
		"avatar": {"type": "string", "maxLength": 2048}
	}
}`

// Avatar is the gravatar picture of an email, as feathers-chat makes it.
func Avatar(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	return "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=60"
}

// setAvatar gives every new or replaced user the gravatar of their email.
func setAvatar(ctx context.Context, hc *pinion.HookContext) error {
	for _, u := range pinion.Records(hc.Data) {
		email, _ := u["email"].(string)
		u["avatar"] = Avatar(email)
	}
	return nil
}

// onlySelf lets external callers change or remove only their own record.
func onlySelf(ctx context.Context, hc *pinion.HookContext) error {
	p := hc.Params
	if p.Provider == "" {
		return nil
	}
	// An identity vouched for by the webhook has no record here, whatever its id.
	if hc.ID == nil || authentication.ByWebhook(p.Authentication) {
		return pinion.Forbidden("You can only change your own user")
	}
	if me := pinion.IDString(p.User["_id"]); me == "" || me != pinion.IDString(hc.ID) {
		return pinion.Forbidden("You can only change your own user")
	}
	return nil
}
