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

func (e *echoSession) OnConnect() { e.s.Emit("auth", e.auth) }

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
