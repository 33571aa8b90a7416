package authentication

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"github.com/pinionhq/pinion"
)

// MaxPasswordLength is bcrypt's limit: longer passwords would be truncated
// silently (bcryptjs does), so they are refused, at signup (local.HashPassword)
// and at login.
const MaxPasswordLength = 72

// LocalStrategy is the "local" strategy: a username (by default the email)
// and a password checked against the bcrypt hash stored on the user, as
// Feathers stores it, so users move between Feathers and Pinion with their
// passwords. Install registers it when authStrategies lists "local".
type LocalStrategy struct {
	auth  *Service
	cfg   Local
	dummy []byte // compared against when no user matches, so the answer takes as long
}

// NewLocal returns the local strategy of auth.
func NewLocal(auth *Service) *LocalStrategy {
	cfg := auth.Config().Local
	dummy, err := bcrypt.GenerateFromPassword([]byte("pinion-timing-equaliser"), cfg.HashSize)
	if err != nil {
		panic(err) // only for an invalid cost, which Config.Validate rejects
	}
	return &LocalStrategy{auth: auth, cfg: cfg, dummy: dummy}
}

// Authenticate implements Strategy. Every failure answers the same
// "Invalid login" after the same work: an unknown username still costs a bcrypt
// comparison (Feathers answers early and so tells which emails exist).
func (l *LocalStrategy) Authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error) {
	username := req.String(l.cfg.UsernameField)
	password := req.String(l.cfg.PasswordField)
	invalid := pinion.NotAuthenticated("%s", l.cfg.ErrorMessage)
	if password == "" || username == "" {
		return nil, invalid
	}
	// bcrypt reads 72 bytes and ignores the rest: a longer password would log
	// in with any tail. Signup refuses it (HashPassword), so does login, before
	// any bcrypt work.
	if len(password) > MaxPasswordLength {
		return nil, pinion.BadRequest("'%s' must be at most %d bytes long", l.cfg.PasswordField, MaxPasswordLength)
	}
	att, err := l.attempt(ctx, username, params)
	if err != nil {
		return nil, err
	}
	user, err := l.find(ctx, username)
	if err != nil {
		return nil, err
	}
	hash, _ := user[l.cfg.PasswordField].(string)
	if user == nil || hash == "" {
		bcrypt.CompareHashAndPassword(l.dummy, []byte(password))
		return nil, att.fail(ctx, invalid)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, att.fail(ctx, invalid)
	}
	att.succeed(ctx)
	entity, err := l.auth.Entity(ctx, idOf(user, l.auth.Config().EntityID))
	if err != nil {
		return nil, err
	}
	return &Result{
		Authentication: pinion.Authentication{Strategy: "local"},
		Entity:         entity,
	}, nil
}

// find looks the user up with an internal call, as Feathers does:
// users.find({query: {email, $limit: 1}}).
func (l *LocalStrategy) find(ctx context.Context, username string) (map[string]any, error) {
	svc := l.auth.App().Service(l.auth.Config().Service)
	if svc == nil {
		return nil, pinion.NotAuthenticated("Could not find entity service")
	}
	res, err := svc.Find(ctx, &pinion.Params{Query: map[string]any{l.cfg.UsernameField: username, "$limit": 1}})
	if err != nil {
		return nil, err
	}
	if recs := pinion.Records(res); len(recs) > 0 {
		return recs[0].Map(), nil
	}
	return nil, nil
}

func idOf(user map[string]any, field string) string {
	if field == "" {
		field = "_id"
	}
	return pinion.IDString(user[field])
}
