//go:build ignore

// Command ferretdb is the server behind package embedded: FerretDB's
// embeddable package with its SQLite backend, on a free port of 127.0.0.1.
// It is built and started by package embedded (through internal/toolbin), not
// by hand. It prints the server's mongodb:// URI as its first line, logs
// FerretDB's errors (not its warnings: FerretDB logs every failed command, and
// an application's failed commands, such as a duplicate key, are expected) to
// standard error, and stops when its standard input closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dir := flag.String("dir", "", "the directory of the SQLite files")
	flag.Parse()
	abs, err := filepath.Abs(*dir)
	if *dir == "" || err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: -dir is required")
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin) // until the parent closes it, or ends
		cancel()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	fmt.Println(f.MongoDBURI()) // blocks until the listener is up
	<-done
}
