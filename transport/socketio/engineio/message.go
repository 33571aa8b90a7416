package engineio

import (
	"encoding/base64"
	"sync/atomic"
)

// Packet types of Engine.IO v4, as they are written on the wire.
const (
	typeOpen    = '0'
	typeClose   = '1'
	typePing    = '2'
	typePong    = '3'
	typeMessage = '4'
	typeUpgrade = '5'
	typeNoop    = '6'
)

// A Message is one Engine.IO packet to send. It is immutable and may be sent
// to any number of sockets: it encodes itself once per transport, on first
// use, and every socket writes the same bytes.
type Message struct {
	typ    byte // packet type; binary messages are always typeMessage
	binary bool
	data   []byte

	polling atomic.Pointer[[]byte] // the packet in a polling payload
	frame   atomic.Pointer[[]byte] // the packet as a whole WebSocket frame
}

// NewText returns a text message. data is not copied: it must not change
// afterwards.
func NewText[T []byte | string](data T) *Message {
	return &Message{typ: typeMessage, data: []byte(data)}
}

// NewBinary returns a binary message. data is not copied: it must not change
// afterwards.
func NewBinary(data []byte) *Message {
	return &Message{typ: typeMessage, binary: true, data: data}
}

// Data returns the message's payload; the caller must not change it.
func (m *Message) Data() []byte { return m.data }

// Binary reports whether m is a binary message.
func (m *Message) Binary() bool { return m.binary }

// size is what the message counts for in a socket's queue.
func (m *Message) size() int { return len(m.data) + 1 }

// pollingBytes is the packet as it appears in a long-polling payload: its
// type and text, or "b" and the base64 of binary data.
func (m *Message) pollingBytes() []byte {
	if p := m.polling.Load(); p != nil {
		return *p
	}
	var b []byte
	if m.binary {
		b = make([]byte, 1+base64.StdEncoding.EncodedLen(len(m.data)))
		b[0] = 'b'
		base64.StdEncoding.Encode(b[1:], m.data)
	} else {
		b = make([]byte, 1+len(m.data))
		b[0] = m.typ
		copy(b[1:], m.data)
	}
	m.polling.Store(&b)
	return b
}

// frameBytes is the packet as one unmasked WebSocket frame: a binary frame
// of the data, or a text frame of the type and text.
func (m *Message) frameBytes() []byte {
	if p := m.frame.Load(); p != nil {
		return *p
	}
	var b []byte
	if m.binary {
		b = appendFrameHeader(nil, opBinary, len(m.data))
		b = append(b, m.data...)
	} else {
		b = appendFrameHeader(nil, opText, 1+len(m.data))
		b = append(b, m.typ)
		b = append(b, m.data...)
	}
	m.frame.Store(&b)
	return b
}

// control packets, shared by every socket.
func newControl(typ byte, data string) *Message {
	return &Message{typ: typ, data: []byte(data)}
}
