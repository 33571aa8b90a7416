// Package embedded runs a MongoDB-compatible server inside the process: FerretDB's
// embeddable package with its SQLite backend, listening on a free loopback port.
// It is what makes `go run ./cmd/server` work on a machine without MongoDB, and
// what tests use instead of an external database. The MongoDB driver talks to it
// like to any server.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// newMu serialises ferretdb.New, which writes package state of FerretDB's
// (its version information) without a lock.
var newMu sync.Mutex

// Server is a running embedded server.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts a server on a free port of 127.0.0.1, keeping its data in SQLite
// files under dir (created if needed). It returns once the server accepts
// connections. ctx bounds the start only; the server runs until Close.
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
	quiet := slog.New(levelFilter{logger.Handler(), slog.LevelError}).With("component", "ferretdb")
	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    quiet,
	})
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		f.Run(runCtx)
	}()
	// MongoDBURI blocks until the listener is up.
	uri := make(chan string, 1)
	go func() { uri <- f.MongoDBURI() }()
	select {
	case s.uri = <-uri:
	case <-s.done:
		return nil, errors.New("embedded: the server stopped while starting")
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
	return s, nil
}

// URI is the mongodb:// address of the server.
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits for it to finish. Disconnect clients first
// (mongo.Client.Disconnect): FerretDB gives connected clients 3 seconds to
// leave before it closes their connections. Close gives up after 10 seconds
// rather than hang. Calling it again does nothing.
func (s *Server) Close() error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("embedded: the server did not stop within 10s")
	}
}

// levelFilter drops records below a level, whatever the wrapped handler allows.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(as), f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(name), f.min}
}
