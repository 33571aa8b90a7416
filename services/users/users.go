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
	"maps"
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
	return app.Use(Path, store, pinion.WithProtected("password"), pinion.WithDocs(pinion.Docs{
		Summary: "Users: open signup, then only your own record changes",
		Secured: []pinion.Method{pinion.MethodFind, pinion.MethodGet, pinion.MethodUpdate, pinion.MethodPatch, pinion.MethodRemove},
		Data:    signupSchema, Patch: patchSchema, Result: userSchema,
	}), pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{
			"find":   {auth},
			"get":    {auth},
			"update": {auth},
			"patch":  {auth},
			"remove": {auth},
		},
		Before: pinion.HookMap{
			pinion.All: {normalizeEmails},
			"create":   {hooks.Validate(signupSchema), setAvatar, hash},
			"update":   {onlySelf, hooks.Validate(signupSchema), setAvatar, hash},
			"patch":    {onlySelf, hooks.Validate(patchSchema), hash},
			"remove":   {onlySelf},
		},
	}))
}

// The account rules: an email that looks like one (schema.IsEmail: one @,
// a local part, a domain with a dot, no spaces), a password of 8 to 72
// characters (bcrypt reads no further than 72 bytes: local.HashPassword
// refuses longer ones), a name of up to 100. A refusal names the field in
// the words of every validation error ("Invalid data: 'password' must be at
// least 8 characters long"; see hooks.Validate).
//
// A user record holds exactly these fields, each bounded: the schemas refuse
// any other key (a client-chosen _id, "role", "isAdmin", update operators such
// as {"$set": {"password": …}} that would skip hashing and revocation), so
// what is stored, and populated into every message, stays small and declared.
// The avatar is set by the server from the email; a patch may replace it with
// an https URL.
const signupSchema = `{
	"type": "object",
	"required": ["email", "password"],
	"additionalProperties": false,
	"properties": {
		"email": {"type": "string", "format": "email", "maxLength": 254},
		"password": {"type": "string", "minLength": 8, "maxLength": 72},
		"name": {"type": "string", "maxLength": 100},
		"avatar": {"type": "string", "maxLength": 2048}
	}
}`

const patchSchema = `{
	"type": "object",
	"additionalProperties": false,
	"properties": {
		"email": {"type": "string", "format": "email", "maxLength": 254},
		"password": {"type": "string", "minLength": 8, "maxLength": 72},
		"name": {"type": "string", "maxLength": 100},
		"avatar": {"type": "string", "maxLength": 2048, "pattern": "^https://"}
	}
}`

// userSchema is a user as the service answers it.
const userSchema = `{
	"type": "object",
	"required": ["_id", "email"],
	"properties": {
		"_id": {"type": ["string", "number"], "readOnly": true},
		"email": {"type": "string", "format": "email"},
		"name": {"type": "string"},
		"avatar": {"type": "string"}
	}
}`

// NormalizeEmail is the form an email is stored, looked up and throttled
// in: trimmed and lower-cased, so that ALICE@example.com is Alice's account
// rather than a second one.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// normalizeEmails normalizes the emails of the data (signup, changes) and of
// the query (lookups, the local strategy's login lookup among them) of every
// call.
func normalizeEmails(ctx context.Context, hc *pinion.HookContext) error {
	for _, u := range pinion.Records(hc.Data) {
		if email, ok := u.Get("email"); ok {
			if s, ok := email.(string); ok {
				if err := u.Set("email", NormalizeEmail(s)); err != nil {
					return err
				}
			}
		}
	}
	if v, ok := hc.Params.Query["email"]; ok {
		q := maps.Clone(hc.Params.Query) // the caller's map stays as it was
		q["email"] = normalizeCondition(v)
		hc.Params.Query = q
	}
	return nil
}

// normalizeCondition normalizes the emails of a condition: a value, a list,
// or an object of operators.
func normalizeCondition(v any) any {
	switch x := v.(type) {
	case string:
		return NormalizeEmail(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeCondition(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeCondition(e)
		}
		return out
	}
	return v
}

// Avatar is the gravatar picture of an email, as feathers-chat makes it.
func Avatar(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	return "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=60"
}

// setAvatar gives every new or replaced user the gravatar of their email.
func setAvatar(ctx context.Context, hc *pinion.HookContext) error {
	for _, u := range pinion.Records(hc.Data) {
		if err := u.Set("avatar", Avatar(u.String("email"))); err != nil {
			return err
		}
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
