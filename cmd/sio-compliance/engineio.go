package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// engineIOServer is the echo server of the Engine.IO suite, configured as
// the suite's README says: pingInterval 300ms, pingTimeout 200ms, maxPayload
// 1e6, CORS for any origin, and every message sent back to its socket.
func engineIOServer(logger *slog.Logger) (http.Handler, func()) {
	srv := engineio.NewServer(engineio.Options{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1e6,
		Logger:       logger,
		OnOpen:       func(s *engineio.Socket) engineio.Handler { return echo{s} },
	})
	return anyOrigin(srv), srv.Close
}

// echo sends each message back to its socket.
type echo struct{ s *engineio.Socket }

func (e echo) OnMessage(data []byte, binary bool) {
	// data is valid only during the call: the message gets its own copy.
	data = append([]byte(nil), data...)
	if binary {
		e.s.Send(engineio.NewBinary(data))
	} else {
		e.s.Send(engineio.NewText(data))
	}
}

func (echo) OnClose(string) {}

// anyOrigin is CORS with origin "*", the suite's setting, for running the
// suite in a browser (its index.html).
func anyOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
