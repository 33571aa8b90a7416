//go:build ignore

// Command nats-server is the server behind package natstest: a NATS server on
// a free port of 127.0.0.1, with JetStream when -jetstream names a store
// directory. It is built and started by natstest (through internal/toolbin),
// not by hand. It prints the server's client URL as its first line and stops
// when its standard input closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	store := flag.String("jetstream", "", "enable JetStream, with its store in this directory")
	flag.Parse()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	if *store != "" {
		opts.JetStream, opts.StoreDir = true, *store
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats-server:", err)
		os.Exit(1)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "nats-server: not ready within 10s")
		os.Exit(1)
	}
	fmt.Println(ns.ClientURL())
	io.Copy(io.Discard, os.Stdin) // until the parent closes it, or ends
	ns.Shutdown()
	ns.WaitForShutdown()
}
