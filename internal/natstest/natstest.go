// Package natstest starts a NATS server for tests.
//
// The server runs in a child process built from the source in program/ on
// first use (internal/toolbin), so that nats-server stays out of Pinion's
// go.mod and out of the module graph of every app that imports Pinion.
package natstest

import (
	"context"
	"embed"
	"io/fs"
	"testing"
	"time"

	"github.com/pinionhq/pinion/internal/toolbin"
)

//go:embed program/main.go program/go.mod.txt program/go.sum.txt
var program embed.FS

// Server starts a NATS server on a free local port for the test, with
// JetStream (its store in the test's temporary directory) when jetStream is
// set, and returns its client URL. It is shut down when the test ends.
func Server(t testing.TB, jetStream bool) string {
	t.Helper()
	// The first call of a machine builds the server: allow for it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	src, err := fs.Sub(program, "program")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := toolbin.Build(ctx, "nats-server", src)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	if jetStream {
		args = []string{"-jetstream", t.TempDir()}
	}
	p, err := toolbin.Start(ctx, bin, func(line string) { t.Log("nats-server:", line) }, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p.Addr
}
