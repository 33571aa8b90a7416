// Command server runs Pinion's default app: the feathers-chat server (users,
// messages, authentication) over REST and socket.io, on MongoDB or, without
// MONGODB_URL, on an embedded store under ./data.
//
//	go run ./cmd/server
//
// Configuration: config/default.json, config/$APP_ENV.json, then PORT, HOST,
// MONGODB_URL, DATA_DIR, AUTH_SECRET, LOG_LEVEL, STORAGE, ORIGINS. An invalid
// configuration exits with status 2.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pinion:", err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.Production() {
		handler = slog.NewJSONHandler(os.Stderr, opts)
	}
	logger := slog.New(handler)
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		logger.Error("could not start", "error", err)
		if errors.Is(err, config.ErrInvalid) {
			return 2
		}
		return 1
	}
	if err := srv.Run(ctx); err != nil {
		logger.Error("server stopped with an error", "error", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
