// Package engineio is an Engine.IO v4 server: the transport under Socket.IO v5
// (https://github.com/socketio/engine.io-protocol).
//
// A Server is an http.Handler, mounted by the caller at its path (/socket.io/
// or /engine.io/); it does not look at the path. It speaks both transports of
// the protocol, HTTP long-polling and WebSocket, and the upgrade from one to
// the other, and it keeps each session alive with a heartbeat: the server
// sends a PING every PingInterval and closes a session whose PONG has not come
// within PingTimeout ("ping timeout").
//
// The server is built for many idle sockets. Nothing is buffered while there
// is nothing to write; a message to an idle WebSocket is written from the
// sender's goroutine as far as the connection takes it without waiting, and
// a writer goroutine runs only for the rest. A WebSocket is read frame by
// frame straight from its connection, hijacked from net/http without
// net/http's buffers, and, on Linux, an idle WebSocket has no goroutine at
// all: the server's own epoll instance (poller_linux.go) watches it and
// starts a reader when it has something to read. A Message is immutable and
// caches its encodings, so an event sent to ten thousand sockets is encoded
// once and the same bytes are written to each.
//
// Measured with `go run ./bench -engine 10000` (the engine alone, in its own
// process, after a GC; 2-core VM, Go 1.26): an idle WebSocket costs 1.4 KB
// of heap objects (1.6 KB of heap in use), no goroutine, and 2.8 KB of RSS,
// 2.8 MB per 1,000 sockets; with a goroutine blocked in a read per
// connection it was 1.8 KB of heap, 2 KB of stack and 5-6 KB of RSS. What is
// left, by the heap profile: the Socket and its Handshake (the query and
// headers kept), the heartbeat's timer, and net's connection (netFD and its
// two addresses). An idle long-polling session holds its pending GET,
// which net/http serves with a goroutine and 8 KB of buffers (about 20 KB);
// clients upgrade to WebSocket at once.
//
// What the package gives its user (the socket.io layer):
//
//   - Options.Allow vets every handshake and upgrade (origins, auth by
//     header); an error refuses it with its status code (see HTTPError).
//   - Options.OnOpen is called once per session and returns its Handler,
//     whose OnMessage gets the messages in order, one at a time (a handler
//     that blocks stops the reads of its socket), and whose OnClose gets the
//     reason once.
//   - Socket.Send queues messages without ever blocking; past
//     MaxQueuedBytes or MaxQueuedMessages the socket is closed as "too slow".
//   - ConnContext, given to the http.Server, lets the server tell which of
//     two overlapping long-polling GETs arrived first (the second is refused
//     and the session closed), whatever the order net/http runs them in.
//
// CORS is left to the caller: wrap the Server in a handler that sets the
// Access-Control headers and answers preflight requests, since which origins
// are allowed is the application's policy.
package engineio
