// Package testlock keeps tests that time the server at a fine grain apart
// from tests that load the machine heavily. go test runs several packages at
// once: the official Engine.IO and Socket.IO suites expect a PONG within 200
// ms and a session closed 500 ms after its handshake, and a headless Chromium
// rendering the chat page in another package starves them of the CPU for
// longer than that on a 2-core machine (2 of 6 runs of the Socket.IO suite
// failed beside the browser tests, none alone).
//
// Both kinds take one machine-wide lock: the heavy tests share it, a timing
// test holds it alone. Where flock is missing, the functions do nothing.
package testlock

import "testing"

// Heavy marks t as a test that loads the machine (a browser): it waits while
// a timing test runs, and holds timing tests off until t ends. Heavy tests may
// run together.
func Heavy(t testing.TB) {
	t.Helper()
	t.Cleanup(lock(t, false))
}

// Timing marks t as a test whose outcome depends on the server answering
// within a few hundred milliseconds: it waits until no heavy test runs, and
// holds them off until t ends.
func Timing(t testing.TB) {
	t.Helper()
	t.Cleanup(lock(t, true))
}
