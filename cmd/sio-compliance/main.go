// Command sio-compliance serves the servers that the official protocol
// test suites expect, on one port, so that the suites can be run against
// Pinion's own Engine.IO and Socket.IO servers:
//
//   - /engine.io/: the echo server of the Engine.IO v4 suite,
//     test-suite/ of github.com/socketio/engine.io-protocol, kept in
//     test/compliance/engine.io-protocol;
//   - /socket.io/: the server of the Socket.IO v5 suite,
//     test-suite/ of github.com/socketio/socket.io-protocol, kept in
//     test/compliance/socket.io-protocol.
//
// It listens on $PORT, default 3000, where the suites look (localhost:3000).
// To run a suite by hand:
//
//	go run ./cmd/sio-compliance &
//	cd test/compliance/engine.io-protocol && npm ci && npx mocha test-suite.js
//
// `go test ./test/compliance/...` does the same, and runs in CI.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", port))
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, ln, logger); err != nil {
		logger.Error("serve", "err", err)
		os.Exit(1)
	}
}

// serve serves the suites' servers on ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	mux := http.NewServeMux()
	eio, closeEIO := engineIOServer(logger)
	defer closeEIO()
	mux.Handle("/engine.io/", eio)
	sio, closeSIO := socketIOServer(logger)
	defer closeSIO()
	mux.Handle("/socket.io/", sio)

	// ConnContext lets the Engine.IO servers tell which of two overlapping
	// GETs arrived first, whatever the order net/http runs them in: the
	// suite's "closes the session upon duplicate poll requests" expects the
	// first to get the CLOSE packet, the second a 400.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ConnContext: engineio.ConnContext}
	logger.Info("compliance server listening", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			return err
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
