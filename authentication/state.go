package authentication

import (
	"fmt"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
)

// Store keeps all of the service's state: revoked tokens and per-user
// cut-offs, failed-login counters, refresh tokens and spent tickets. The
// store packages make one beside the app's data: authentication/sqlitestore
// on the SQLite file of adapter/sqlite, authentication/mongostore on a
// MongoDB database. MemoryStore keeps it in this process.
type Store interface {
	Revocations
	Throttler
	RefreshTokens
	TicketStore
}

// WithStore keeps all of the service's state in st. Give it the store of the
// app's data, so that a restart forgets no logout:
//
//	store := sqlitestore.New(db, sqlitestore.Options{})
//	if err := store.Start(ctx); err != nil { … }
//	defer store.Close()
//	auth, err := authentication.Install(app, cfg, authentication.WithStore(store))
func WithStore(st Store) Option {
	return func(s *Service) {
		s.revocations, s.throttle, s.refresh, s.tickets = st, st, st, st
		s.stateChosen = true
	}
}

// WithMemoryStore keeps the service's state in this process, on purpose: a
// restart forgets every logout, revocation and spent refresh token, and
// instances do not share them. It is the default only when the users
// service keeps its own records in memory (adapter/memory); an app whose
// users are in a database must choose (see WithStore).
func WithMemoryStore() Option {
	return func(s *Service) { WithStore(NewMemoryStore())(s) }
}

// checkState refuses to start an app whose users outlive a restart while
// the service's state would not, unless the application chose where the
// state lives: such an app would forget every logout when it restarts.
func (s *Service) checkState(app *pinion.App) error {
	if s.stateChosen || s.cfg.Entity == "" {
		return nil
	}
	svc := app.Service(s.cfg.Service)
	if svc == nil {
		return nil
	}
	impl := svc.Impl()
	for {
		if _, ok := impl.(*memory.Service); ok {
			return nil // users go with the process too
		}
		in, ok := impl.(interface{ Inner() adapter.MapService })
		if !ok {
			break
		}
		impl = in.Inner()
	}
	return fmt.Errorf("authentication: the %s service keeps its records in %T, but revocations, login counters, refresh tokens and spent tickets "+
		"would be kept in memory, and a restart would forget every logout: give Install the store of the app's data "+
		"(authentication.WithStore(sqlitestore.New(db, …)) or mongostore), or authentication.WithMemoryStore() to keep them in memory on purpose",
		s.cfg.Service, svc.Impl())
}
