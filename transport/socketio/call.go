package socketio

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/socketio/engineio"
	"github.com/pinionhq/pinion/transport/socketio/sio"
)

// paramsPosition is where the query sits among a method's arguments (wire spec
// §3.3): find(query), get(id, query), create(data, query), update(id, data,
// query), patch(id, data, query), remove(id, query), custom(data, query).
func paramsPosition(method pinion.Method) int {
	switch method {
	case pinion.MethodFind:
		return 0
	case pinion.MethodUpdate, pinion.MethodPatch:
		return 2
	}
	return 1
}

// call runs one method call from a client and answers its ack. The calls of
// one connection run one after the other (package sio), so they keep their
// order.
func (s *Server) call(sock *sio.Socket, conn *pinion.Connection, method pinion.Method, e *sio.Event) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("panic in a socket call", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			s.reply(sock, e, []any{pinion.GeneralError("Internal server error")})
		}
	}()
	ctx, cancel := context.WithTimeout(conn.Context(), s.opts.CallTimeout)
	defer cancel()
	result, err := s.run(ctx, conn, method, e.Args[1:])
	if err != nil {
		s.reply(sock, e, []any{s.app.ExternalError(ctx, err)})
		return
	}
	s.reply(sock, e, []any{nil, result})
}

// reply answers e, if the client asked for an answer.
func (s *Server) reply(sock *sio.Socket, e *sio.Event, args []any) {
	err := e.Ack(args...)
	if errors.Is(err, engineio.ErrTooSlow) {
		s.tooSlow(sock, err)
	} else if err != nil && !errors.Is(err, engineio.ErrClosed) {
		s.logger.Error("socket.io: an answer could not be encoded", "error", err)
	}
}

// kind names the JSON type of a decoded argument, for error messages;
// attachments are "binary".
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case []byte:
		return "binary"
	}
	return "object"
}

func (s *Server) run(ctx context.Context, conn *pinion.Connection, method pinion.Method, args []any) (any, error) {
	if len(args) == 0 {
		return nil, pinion.NotFound("Invalid service path")
	}
	path, ok := args[0].(string)
	if !ok {
		if _, bin := args[0].([]byte); bin {
			return nil, pinion.BadRequest("Invalid service path: got binary, want string")
		}
		return nil, pinion.NotFound("Invalid service path")
	}
	svc, route := s.app.Lookup(path)
	if svc == nil {
		return nil, pinion.NotFound("Service '%s' not found", path)
	}
	if !svc.Exposes(method) {
		return nil, pinion.MethodNotAllowed("Method '%s' not allowed on service '%s'", method, path)
	}
	args = args[1:]
	pos := paramsPosition(method)
	if len(args) > pos+1 {
		return nil, pinion.BadRequest("Too many arguments for '%s' method", method)
	}
	var query map[string]any
	if len(args) > pos && args[pos] != nil {
		q, ok := args[pos].(map[string]any)
		if !ok {
			return nil, pinion.BadRequest("The query of '%s' must be an object: got %s", method, kind(args[pos]))
		}
		query = q
	}
	if query == nil {
		query = map[string]any{}
	}
	arg := func(i int) any {
		if i < len(args) && i < pos {
			return args[i]
		}
		return nil
	}
	var id, data any
	switch method {
	case pinion.MethodFind:
	case pinion.MethodGet, pinion.MethodRemove:
		id = arg(0)
	case pinion.MethodUpdate, pinion.MethodPatch:
		id, data = arg(0), arg(1)
	default: // create and custom methods
		data = arg(0)
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	// get(null) has no meaning for any service (Feathers hands it on and the
	// adapter answers NotFound for 'null'); update(null) goes on to the
	// service, whose adapter answers Feathers' "You can not replace multiple
	// instances".
	if method == pinion.MethodGet && id == nil {
		return nil, pinion.BadRequest("An id is required for '%s'", method)
	}
	if data == nil && method != pinion.MethodFind && method != pinion.MethodGet && method != pinion.MethodRemove {
		data = map[string]any{}
	}
	p := &pinion.Params{
		Query:          query,
		Provider:       pinion.ProviderSocketIO,
		Route:          route,
		Headers:        conn.Headers,
		RemoteAddr:     conn.RemoteAddr,
		Connection:     conn,
		Authentication: conn.Authentication(),
		User:           conn.User(),
	}
	hc, err := svc.Call(ctx, method, id, data, p)
	if err != nil {
		return nil, err
	}
	return hc.External(), nil
}

// checkID accepts the ids a client can mean: strings, numbers and null.
func checkID(id any) error {
	switch id.(type) {
	case nil, string, float64:
		return nil
	case []byte:
		return pinion.BadRequest("Invalid id: got binary, want a string or a number")
	}
	return pinion.BadRequest("Invalid id: an id must be a string or a number")
}
