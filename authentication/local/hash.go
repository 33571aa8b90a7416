// Package local holds the HashPassword hook of the local strategy: passwords
// stored as bcrypt hashes, as Feathers stores them. The strategy itself is
// authentication.LocalStrategy.
package local

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/authentication"
)

// MaxPasswordLength is bcrypt's limit: longer passwords would be truncated
// silently (bcryptjs does), so they are refused instead.
const MaxPasswordLength = authentication.MaxPasswordLength

// HashPassword returns a before hook for create, update and patch that replaces
// the field (usually "password") with its bcrypt hash, at the configured cost.
// Lists of records are hashed item by item; records without the field are left
// alone.
//
// The authentication service watches the entity service: when an update or
// patch sets this field, every token issued to that user before is revoked.
func HashPassword(field string) pinion.Hook {
	return func(ctx context.Context, hc *pinion.HookContext) error {
		cost := bcrypt.DefaultCost
		if auth := authentication.From(hc.App); auth != nil {
			cost = auth.Config().Local.HashSize
		}
		for _, rec := range pinion.Records(hc.Data) {
			v, ok := rec.Get(field)
			if !ok || v == nil {
				continue
			}
			pw, ok := v.(string)
			switch {
			case !ok:
				return invalid(field, "must be a string")
			case pw == "":
				return invalid(field, "must not be empty")
			case len(pw) > MaxPasswordLength:
				return invalid(field, fmt.Sprintf("must be at most %d bytes long", MaxPasswordLength))
			}
			hash, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
			if err != nil {
				return err
			}
			if err := rec.Set(field, string(hash)); err != nil {
				return err
			}
		}
		return nil
	}
}

// invalid is the BadRequest of a password refused, in the form of every
// validation error (see hooks.Validate): the message names the field, data
// lists the problem.
func invalid(field, message string) error {
	return pinion.BadRequest("Invalid data: '%s' %s", field, message).
		WithData([]any{map[string]any{"instancePath": "/" + field, "message": message}})
}
