// Package embedded runs a MongoDB-compatible server for tests and the
// benchmark: FerretDB's embeddable package with its SQLite backend, listening
// on a free loopback port. The MongoDB driver talks to it like to any server.
//
// FerretDB runs in a child process, built from the source in program/ on first
// use (internal/toolbin; it needs the go command and the module proxy or
// cache), so that FerretDB stays out of Pinion's go.mod and out of the module
// graph of every app that imports Pinion.
package embedded

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pinionhq/pinion/internal/toolbin"
)

//go:embed program/main.go program/go.mod.txt program/go.sum.txt
var program embed.FS

// Server is a running embedded server.
type Server struct {
	uri  string
	proc *toolbin.Process
}

// Start starts a server on a free port of 127.0.0.1, keeping its data in SQLite
// files under dir (created if needed). It returns once the server accepts
// connections. ctx bounds the start only; the server runs until Close, or
// until this process ends. The first start of a machine (of a Go version, of
// a change to program/) also builds the server, which takes a minute or more
// on a cold build cache: give it a deadline that allows for that.
//
// logger (slog.Default() if nil) receives FerretDB's errors only, tagged
// component=ferretdb: FerretDB logs every failed command as a warning, which is
// noise for an application whose failed commands are expected (a duplicate key
// is a 409, not a server problem).
//
// FerretDB is not MongoDB: it has no TTL indexes (expireAfterSeconds) and no
// projection in findAndModify, among other gaps. The mongodb adapter copes with
// what it meets; see the package documentation there.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: data directory: %w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "ferretdb")
	src, err := fs.Sub(program, "program")
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	bin, err := toolbin.Build(ctx, "ferretdb", src)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	proc, err := toolbin.Start(ctx, bin, func(line string) { logger.Error(line) }, "-dir", abs)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	return &Server{uri: proc.Addr, proc: proc}, nil
}

// URI is the mongodb:// address of the server.
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits for it to finish. Disconnect clients first
// (mongo.Client.Disconnect): FerretDB gives connected clients 3 seconds to
// leave before it closes their connections. Close kills the server after 10
// seconds rather than hang. Calling it again does nothing.
func (s *Server) Close() error {
	if err := s.proc.Close(); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	return nil
}
