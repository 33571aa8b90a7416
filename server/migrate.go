package server

import (
	"context"
	"log/slog"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/services/sqlite"
)

// migrateFerretDB will migrate the former embedded store's data.
func migrateFerretDB(ctx context.Context, cfg *config.Config, path string, sync sqlite.Synchronous, logger *slog.Logger) error {
	return nil
}
