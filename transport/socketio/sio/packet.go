package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// PacketType is the type of a Socket.IO packet, its first character on the
// wire.
type PacketType byte

// The packet types of Socket.IO v5.
const (
	TypeConnect PacketType = iota
	TypeDisconnect
	TypeEvent
	TypeAck
	TypeConnectError
	TypeBinaryEvent
	TypeBinaryAck
)

// maxAttachments bounds the binary attachments of one packet: each is a
// message of up to the engine's MaxPayload, held until the packet is whole.
const maxAttachments = 32

// maxIDDigits bounds an ack id to what a JavaScript number holds exactly.
const maxIDDigits = 15

// reserved are the event names a client may not emit (socket.io-parser's
// RESERVED_EVENTS).
var reserved = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true, "disconnecting": true,
	"newListener": true, "removeListener": true,
}

// errParse is wrapped by every decoding error: the connection is closed with
// "parse error".
var errParse = errors.New("parse error")

func parseErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errParse, fmt.Sprintf(format, args...))
}

// header is a text packet split into its fields.
type header struct {
	typ         PacketType
	attachments int
	nsp         string
	id          int64 // -1: none
	payload     []byte
}

// parseHeader reads
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// strictly: a type out of range, a binary packet without its count, an ack id
// that is not a number and anything a packet of its type may not carry are
// errors. The payload is checked by the caller, who decodes it.
func parseHeader(b []byte) (header, error) {
	h := header{id: -1, nsp: "/"}
	if len(b) == 0 {
		return h, parseErr("empty packet")
	}
	if b[0] < '0' || b[0] > '6' {
		return h, parseErr("unknown packet type %q", b[0])
	}
	h.typ = PacketType(b[0] - '0')
	i := 1
	if h.typ == TypeBinaryEvent || h.typ == TypeBinaryAck {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i || j >= len(b) || b[j] != '-' || j-i > 2 {
			return h, parseErr("illegal attachments")
		}
		n, _ := strconv.Atoi(string(b[i:j]))
		if n > maxAttachments {
			return h, parseErr("%d attachments, at most %d", n, maxAttachments)
		}
		h.attachments, i = n, j+1
	}
	if i < len(b) && b[i] == '/' {
		j := bytes.IndexByte(b[i:], ',')
		if j < 0 {
			h.nsp, i = string(b[i:]), len(b)
		} else {
			h.nsp, i = string(b[i:i+j]), i+j+1
		}
	}
	if j := i; j < len(b) && b[j] >= '0' && b[j] <= '9' {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j-i > maxIDDigits {
			return h, parseErr("ack id too long")
		}
		if h.typ == TypeConnect || h.typ == TypeDisconnect || h.typ == TypeConnectError {
			return h, parseErr("an ack id on a packet of type %d", h.typ)
		}
		h.id, _ = strconv.ParseInt(string(b[i:j]), 10, 64)
		i = j
	}
	h.payload = b[i:]
	return h, nil
}

// firstByte is the first byte of a JSON text past its white space, 0 if none.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// decodeAuth decodes a CONNECT payload: none, or an object.
func decodeAuth(payload []byte) (map[string]any, error) {
	if len(payload) == 0 {
		return map[string]any{}, nil
	}
	if firstByte(payload) != '{' {
		return nil, parseErr("the CONNECT payload is not an object")
	}
	var auth map[string]any
	if err := json.Unmarshal(payload, &auth); err != nil {
		return nil, parseErr("CONNECT payload: %v", err)
	}
	return auth, nil
}

// decodeArgs decodes the payload of an EVENT or an ACK: a JSON array,
// non-empty for an event, whose first element (the event's name) is a
// string that is not reserved, a number, or, in a binary event, a
// placeholder. decode decodes the array (Options.DecodeArgs).
func decodeArgs(h header, decode func([]byte) ([]any, error)) ([]any, error) {
	if firstByte(h.payload) != '[' {
		return nil, parseErr("the payload is not an array")
	}
	args, err := decode(h.payload)
	if err != nil {
		return nil, parseErr("payload: %v", err)
	}
	if h.typ != TypeEvent && h.typ != TypeBinaryEvent {
		return args, nil
	}
	if len(args) == 0 {
		return nil, parseErr("an event without a name")
	}
	switch name := args[0].(type) {
	case string:
		if reserved[name] {
			return nil, parseErr("reserved event name %q", name)
		}
	case float64:
	case map[string]any:
		if h.typ != TypeBinaryEvent || name["_placeholder"] != true {
			return nil, parseErr("an event name that is an object")
		}
	default:
		return nil, parseErr("an event name that is not a string")
	}
	return args, nil
}

// reconstruct replaces the placeholders of v ({"_placeholder":true,"num":i})
// by their attachments, in place, and returns v.
func reconstruct(v any, attachments [][]byte) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		if x["_placeholder"] == true {
			n, ok := x["num"].(float64)
			if !ok || n < 0 || n >= float64(len(attachments)) || n != float64(int(n)) {
				return nil, parseErr("illegal attachment %v", x["num"])
			}
			return attachments[int(n)], nil
		}
		for k, e := range x {
			r, err := reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}

// hasBinary reports whether v holds a []byte, in the maps and slices that
// Emit and Ack look into.
func hasBinary(v any) bool {
	switch x := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range x {
			if hasBinary(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasBinary(e) {
				return true
			}
		}
	}
	return false
}

// deconstruct returns v with its []byte values replaced by placeholders, and
// the attachments in their order. It copies the maps and slices it changes.
func deconstruct(v any, attachments *[][]byte) any {
	switch x := v.(type) {
	case []byte:
		*attachments = append(*attachments, x)
		return map[string]any{"_placeholder": true, "num": len(*attachments) - 1}
	case []any:
		if !hasBinary(x) {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deconstruct(e, attachments)
		}
		return out
	case map[string]any:
		if !hasBinary(x) {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deconstruct(e, attachments)
		}
		return out
	}
	return v
}

// appendHeader writes a packet's header: its type, the count of its
// attachments, its namespace unless "/", and its ack id unless negative.
func appendHeader(b []byte, typ PacketType, attachments int, nsp string, id int64) []byte {
	b = append(b, '0'+byte(typ))
	if typ == TypeBinaryEvent || typ == TypeBinaryAck {
		b = strconv.AppendInt(b, int64(attachments), 10)
		b = append(b, '-')
	}
	if nsp != "/" && nsp != "" {
		b = append(b, nsp...)
		b = append(b, ',')
	}
	if id >= 0 {
		b = strconv.AppendInt(b, id, 10)
	}
	return b
}

// Encode returns the engine messages of a packet: the text packet and its
// binary attachments. data is the payload: nil for none, the arguments
// ([]any) of an EVENT or ACK, an object for CONNECT and CONNECT_ERROR. The
// []byte values of the arguments, in their maps and slices, are sent as
// binary attachments (the packet becomes a BINARY_EVENT or a BINARY_ACK);
// a json.RawMessage is written as is.
func Encode(typ PacketType, nsp string, id int64, data any) ([]*engineio.Message, error) {
	var attachments [][]byte
	if (typ == TypeEvent || typ == TypeAck) && hasBinary(data) {
		data = deconstruct(data, &attachments)
		typ += TypeBinaryEvent - TypeEvent
	}
	b := appendHeader(make([]byte, 0, 64), typ, len(attachments), nsp, id)
	if data != nil {
		j, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		b = append(b, j...)
	}
	msgs := make([]*engineio.Message, 0, 1+len(attachments))
	msgs = append(msgs, engineio.NewText(b))
	for _, a := range attachments {
		msgs = append(msgs, engineio.NewBinary(a))
	}
	return msgs, nil
}

// EncodeEvent is the EVENT packet `2["<name>",<raw>]` (with its namespace
// unless "/") for an event whose data is JSON already: what a fan-out writes
// to every member.
func EncodeEvent(nsp, name string, raw ...json.RawMessage) *engineio.Message {
	q, _ := json.Marshal(name)
	n := len(q) + 8 + len(nsp)
	for _, r := range raw {
		n += len(r) + 1
	}
	b := appendHeader(make([]byte, 0, n), TypeEvent, 0, nsp, -1)
	b = append(b, '[')
	b = append(b, q...)
	for _, r := range raw {
		b = append(b, ',')
		b = append(b, r...)
	}
	b = append(b, ']')
	return engineio.NewText(b)
}
