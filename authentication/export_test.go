package authentication

import (
	"context"

	"github.com/pinionhq/pinion"
)

// Renew renews the token of conn's session now, as the renewal timer does
// (Config.Renewal), so that tests need no clock.
func Renew(ctx context.Context, s *Service, conn *pinion.Connection) {
	s.sessions.mu.Lock()
	se := s.sessions.byConn[conn]
	s.sessions.mu.Unlock()
	if se != nil {
		s.renew(ctx, se)
	}
}
