package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
	"github.com/pinionhq/pinion/transport/socketio/sio"
)

// socketIOServer is the server of the Socket.IO suite, configured as the
// suite's README says: pingInterval 300ms, pingTimeout 200ms, maxPayload 1e6,
// connectTimeout 1s, CORS for any origin; the main namespace emits "auth"
// with the auth payload, answers "message" with "message-back" and acks
// "message-with-ack" with its arguments; "/custom" emits "auth".
func socketIOServer(logger *slog.Logger) (http.Handler, func()) {
	s := sio.NewServer(sio.Options{
		Namespaces:     map[string]sio.Namespace{"/": echoNamespace{messages: true}, "/custom": echoNamespace{}},
		ConnectTimeout: time.Second,
		Logger:         logger,
	})
	eio := engineio.NewServer(engineio.Options{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1e6,
		Logger:       logger,
		OnOpen:       s.Open,
	})
	return anyOrigin(eio), eio.Close
}

// echoNamespace is a namespace of the suite's server; messages turns on the
// handlers of the main one.
type echoNamespace struct{ messages bool }

func (n echoNamespace) Connect(s *sio.Socket, auth map[string]any) (sio.Session, error) {
	return &echoSession{s: s, auth: auth, messages: n.messages}, nil
}

type echoSession struct {
	s        *sio.Socket
	auth     map[string]any
	messages bool
}

// OnConnect emits "auth" a little after the CONNECT answer. The suite reads
// the answer and then the event with two listeners, the second added only
// once the first has run; its WebSocket client (ws 8.5) dispatches every
// frame of one TCP read at once, so an event that arrives in the same read as
// the answer is missed. Node's server passes because its engine writes the
// event one turn of the event loop after the answer; Pinion's may write both
// in one write. socket.io clients read both either way: the gap is for this
// suite's reads, not the protocol.
func (e *echoSession) OnConnect() {
	time.AfterFunc(answerGap, func() { e.s.Emit("auth", e.auth) })
}

// answerGap separates the CONNECT answer from the "auth" event.
const answerGap = 10 * time.Millisecond

func (e *echoSession) OnEvent(ev *sio.Event) {
	if !e.messages {
		return
	}
	switch ev.Args[0] {
	case "message":
		e.s.Emit("message-back", ev.Args[1:]...)
	case "message-with-ack":
		ev.Ack(ev.Args[1:]...)
	}
}

func (e *echoSession) OnDisconnect(string) {}
