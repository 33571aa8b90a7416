// Command server runs Pinion's default app: the feathers-chat server (users,
// messages, authentication) over REST and socket.io, on the embedded SQLite
// store (./data/pinion.db) or, with MONGODB_URL, on MongoDB.
//
//	go run ./cmd/server
//
// Configuration: config/default.json, config/$APP_ENV.json (CONFIG_DIR moves
// the directory), then APP_ENV, PORT, HOST, MONGODB_URL, NATS_URL, DATA_DIR,
// AUTH_SECRET, LOG_LEVEL, STORAGE, SQLITE_SYNCHRONOUS, ORIGINS, TRUSTED_PROXIES, METRICS,
// METRICS_ADDR. An invalid configuration exits with status 2. DEBUG_ADDR
// (e.g. 127.0.0.1:6060) serves Go's profiling endpoints on a separate
// address. OTEL_EXPORTER_OTLP_ENDPOINT exports traces over OTLP (see package
// tracing and docs/operations.md).
//
// Its subcommands describe the app without serving it or opening a
// database (`go run ./cmd/pinion openapi` and `types` run them):
//
//	go run ./cmd/server openapi [-o FILE]   the OpenAPI 3.1 document
//	go run ./cmd/server types [-o FILE]     TypeScript types for the Feathers client
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/server"
	"github.com/pinionhq/pinion/tracing"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-healthcheck" {
		os.Exit(healthcheck())
	}
	if len(os.Args) > 1 {
		os.Exit(describe(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Getenv, os.Stderr))
}

// healthcheck asks a running server whether it is ready, for container health
// checks in images without curl: exit status 0 when /readyz answers 200.
func healthcheck() int {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3030"
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/readyz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "unhealthy: /readyz answered", resp.Status)
		return 1
	}
	return 0
}

// describe runs a describing subcommand (serve.Describe) on the app as
// configured, with its services in memory: the same services, with nothing
// opened or written. It returns the exit status.
func describe(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var srv *server.Server
	newApp := func() (*pinion.App, error) {
		cfg, err := config.Load(getenv)
		if err != nil {
			return nil, err
		}
		cfg.Storage, cfg.NATSURL = "memory", ""
		cfg.AuthSecret = rand.Text() + rand.Text() // only to build the app; no token is made
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if srv, err = server.New(context.Background(), cfg, logger); err != nil {
			return nil, err
		}
		return srv.App, nil
	}
	err := serve.Describe(args, stdout, newApp, server.Info)
	if srv != nil {
		srv.Close(context.Background())
	}
	if err != nil {
		fmt.Fprintln(stderr, "pinion:", err)
		if errors.Is(err, serve.ErrUsage) || errors.Is(err, config.ErrInvalid) {
			return 2
		}
		return 1
	}
	return 0
}

// run starts the server and blocks until ctx ends; it returns the exit status:
// 2 for an invalid configuration, 1 for any other failure.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "pinion:", err)
		return 2
	}
	debugAddr := getenv("DEBUG_ADDR")
	if err := checkDebugAddr(debugAddr); err != nil {
		fmt.Fprintln(stderr, "pinion:", config.Invalid(err))
		return 2
	}
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	var handler slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.Production() {
		handler = slog.NewJSONHandler(stderr, opts)
	}
	// Records logged with a context carry its trace and request ids.
	logger := slog.New(tracing.LogHandler(handler))
	slog.SetDefault(logger)
	logger.Info("configuration", "env", cfg.Env, "sources", strings.Join(cfg.Sources, ", "))

	if debugAddr != "" {
		// Profiling endpoints (/debug/pprof/) on a separate, private address.
		if !loopback(debugAddr) {
			logger.Warn("DEBUG_ADDR serves the profiling endpoints beyond this machine: anyone who reaches it can read goroutine stacks and the command line, and keep the CPU busy profiling; use 127.0.0.1:PORT", "addr", debugAddr)
		}
		go func() { logger.Error("debug listener stopped", "error", http.ListenAndServe(debugAddr, nil)) }()
	}
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

// checkDebugAddr checks DEBUG_ADDR: empty, or host:port.
func checkDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return fmt.Errorf("DEBUG_ADDR=%.64q: want host:port, e.g. 127.0.0.1:6060", addr)
	}
	return nil
}

// loopback reports whether the address addr listens on this machine only.
func loopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
