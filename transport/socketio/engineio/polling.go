package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// separator joins the packets of a long-polling payload.
const separator = 0x1e

// packet is one decoded packet of a payload.
type packet struct {
	typ    byte
	binary bool
	data   []byte
}

var errBadPacket = errors.New("engineio: malformed packet")

// decodePayload returns the packets of a long-polling payload: packets
// joined by the record separator, each a type digit and its text, or "b"
// and base64 for binary data. The text packets' data share body.
func decodePayload(body []byte) ([]packet, error) {
	if len(body) == 0 {
		return nil, errBadPacket
	}
	n := bytes.Count(body, []byte{separator}) + 1
	packets := make([]packet, 0, n)
	for part := range bytes.SplitSeq(body, []byte{separator}) {
		if len(part) == 0 {
			return nil, errBadPacket
		}
		if part[0] == 'b' {
			data := make([]byte, base64.StdEncoding.DecodedLen(len(part)-1))
			n, err := base64.StdEncoding.Decode(data, part[1:])
			if err != nil {
				return nil, errBadPacket
			}
			packets = append(packets, packet{typ: typeMessage, binary: true, data: data[:n]})
			continue
		}
		if part[0] < typeOpen || part[0] > typeNoop {
			return nil, errBadPacket
		}
		packets = append(packets, packet{typ: part[0], data: part[1:]})
	}
	return packets, nil
}

// appendPayload appends the long-polling payload of msgs to b.
func appendPayload(b []byte, msgs []*Message) []byte {
	for i, m := range msgs {
		if i > 0 {
			b = append(b, separator)
		}
		b = append(b, m.pollingBytes()...)
	}
	return b
}

// upgradeCheck is how long a GET that comes during an upgrade waits before
// its NOOP.
const upgradeCheck = 100 * time.Millisecond

// waitingGET is a long-polling GET that waits for something to send.
type waitingGET struct {
	wake    chan struct{} // closed to answer it
	at      time.Time     // when it arrived, zero if not known
	refused bool          // an overlapping GET arrived before it: this one gets the 400
}

// overlapping is the message of the 400 that refuses a second GET.
const overlapping = "overlapping GET requests"

// poll answers a long-polling GET, which arrived at at (zero if not known),
// with what is queued, waiting for something to be queued if need be.
func (s *Socket) poll(w http.ResponseWriter, r *http.Request, at time.Time) {
	s.expired()
	s.mu.Lock()
	if s.transport != transportPolling || s.closed && !s.draining {
		s.mu.Unlock()
		refuse(w, http.StatusBadRequest, codeBadRequest, "")
		return
	}
	overlap := false
	if g := s.pollWait; g != nil {
		// Only one GET may wait: a second one is a broken client, and ends
		// the session. As in engine.io, the GET that arrived second is
		// refused and the first gets the CLOSE packet. The second is this
		// one, unless it is known to have arrived before the waiting GET,
		// whose handler then ran first (see ConnContext): this one takes
		// its place.
		if !earlier(at, g.at) {
			s.mu.Unlock()
			s.close(ReasonTransportError)
			refuse(w, http.StatusBadRequest, codeBadRequest, overlapping)
			return
		}
		g.refused = true
		s.wake()
		overlap = true
	}
	if len(s.queue) == 0 || s.noop || overlap {
		// Wait for something to send. During an upgrade (s.noop), a GET
		// gets a NOOP within upgradeCheck, as from engine.io's upgrade
		// check: unless the UPGRADE packet, already on its way, comes first.
		var check <-chan time.Time
		if s.noop {
			t := time.NewTimer(upgradeCheck)
			defer t.Stop()
			check = t.C
		}
		g := &waitingGET{wake: make(chan struct{}), at: at}
		s.pollWait = g
		s.mu.Unlock()
		if overlap {
			// This GET waits for the CLOSE packet.
			s.close(ReasonTransportError)
		}
		select {
		case <-g.wake:
		case <-check:
		case <-r.Context().Done():
			s.mu.Lock()
			gone := s.pollWait == g
			if gone {
				s.pollWait = nil
			}
			s.mu.Unlock()
			if gone {
				s.close(ReasonTransportClose)
				return
			}
		}
		s.mu.Lock()
		if s.pollWait == g {
			s.pollWait = nil
		}
		if g.refused {
			s.mu.Unlock()
			refuse(w, http.StatusBadRequest, codeBadRequest, overlapping)
			return
		}
		if s.transport != transportPolling {
			s.mu.Unlock()
			refuse(w, http.StatusBadRequest, codeBadRequest, "")
			return
		}
	}
	var msgs []*Message
	if s.noop {
		msgs = []*Message{pollNoop}
	} else {
		msgs = s.take()
	}
	last := s.draining
	s.draining = false
	s.mu.Unlock()
	if last {
		s.srv.remove(s)
	}
	var body []byte
	if len(msgs) == 1 {
		body = msgs[0].pollingBytes()
	} else {
		body = appendPayload(nil, msgs)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// post reads the packets of a long-polling POST and handles them in order.
func (s *Socket) post(w http.ResponseWriter, r *http.Request) {
	s.expired()
	s.mu.Lock()
	bad := s.transport != transportPolling || s.closed
	s.mu.Unlock()
	if bad {
		refuse(w, http.StatusBadRequest, codeBadRequest, "")
		return
	}
	max := s.srv.opts.MaxPayload
	if r.ContentLength > max {
		s.close(ReasonTransportError)
		refuse(w, http.StatusRequestEntityTooLarge, codeBadRequest, "payload too large")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		s.close(ReasonTransportError)
		refuse(w, http.StatusBadRequest, codeBadRequest, "")
		return
	}
	if int64(len(body)) > max {
		s.close(ReasonTransportError)
		refuse(w, http.StatusRequestEntityTooLarge, codeBadRequest, "payload too large")
		return
	}
	packets, err := decodePayload(body)
	if err != nil {
		s.close(ReasonParseError)
		refuse(w, http.StatusBadRequest, codeBadRequest, "malformed payload")
		return
	}
	s.deliver.Lock()
	for _, p := range packets {
		if !s.onPacket(p.typ, p.data, p.binary) {
			break
		}
	}
	s.deliver.Unlock()
	w.Header().Set("Content-Type", "text/html")
	io.WriteString(w, "ok")
}

// onPacket handles a packet from the client, on either transport; it
// reports whether the socket is still open. Its callers hold s.deliver.
func (s *Socket) onPacket(typ byte, data []byte, binary bool) bool {
	switch typ {
	case typeMessage:
		s.onMessage(data, binary)
	case typePong:
		s.pong()
	case typeNoop:
	case typeClose:
		s.close(ReasonTransportClose)
		return false
	default:
		// OPEN and UPGRADE have no place here; a PING from the client is
		// the heartbeat of Engine.IO v3, the wrong way round for v4.
		s.close(ReasonParseError)
		return false
	}
	return true
}
