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
// The server is built for many idle sockets. A session holds its state in a
// few hundred bytes: nothing is buffered while there is nothing to write, the
// goroutine that writes to a WebSocket runs only while there is something to
// write, and a WebSocket is read frame by frame with no buffer kept between
// frames. A Message is immutable and caches its encodings, so an event sent to
// ten thousand sockets is encoded once and the same bytes are written to each.
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
//
// CORS is left to the caller: wrap the Server in a handler that sets the
// Access-Control headers and answers preflight requests, since which origins
// are allowed is the application's policy.
package engineio
