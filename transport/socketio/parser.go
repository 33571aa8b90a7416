package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/pinionhq/pinion"
)

// packetParser is the library's socket.io parser with two changes, both in
// the decoder:
//
//   - A query's $sort keeps the client's key order. The library decodes
//     arguments into Go maps, which forget it, and {createdAt: -1, _id: 1}
//     must sort by createdAt first, as Feathers does.
//   - The packets that follow a CONNECT wait until the connection is set up.
//     The library acknowledges a CONNECT before it registers the socket with
//     its client, on another goroutine, and closes the connection when an
//     event arrives in between ("invalid state"): a client that calls a
//     method as soon as it is connected, as the Feathers client does, lost its
//     connection now and then.
type packetParser struct{ parser.Parser }

func newParser() parser.Parser { return packetParser{parser.NewParser()} }

// NewDecoder implements parser.Parser.
func (p packetParser) NewDecoder() parser.Decoder {
	d := &decoder{EventEmitter: types.NewEventEmitter(), inner: p.Parser.NewDecoder()}
	d.inner.On("decoded", d.decoded)
	return d
}

// decoder wraps the library's decoder: the library listens to its "decoded"
// events, which it re-emits after its changes.
type decoder struct {
	types.EventEmitter
	inner parser.Decoder

	mu   sync.Mutex
	raw  string       // the text packet being decoded, when it names $sort
	gate *connectGate // handed out with the CONNECT being decoded
}

// connectGate holds a connection's next packets until its CONNECT is set up.
// The decoder puts it in the CONNECT's auth payload; the handshake takes it
// (only the namespace Pinion serves has one) and opens it once the socket is
// connected, refused, or gone.
type connectGate struct {
	taken atomic.Bool
	once  sync.Once
	done  chan struct{}
}

// gateKey is the auth payload key of the gate: a JSON client can send the
// key, but not a *connectGate.
const gateKey = "\x00pinion.connect"

// gateTimeout bounds the wait, as the library's connect timeout does.
const gateTimeout = 10 * time.Second

func (g *connectGate) open() {
	if g != nil {
		g.once.Do(func() { close(g.done) })
	}
}

// takeGate removes the gate from a handshake's auth payload and takes it.
func takeGate(auth map[string]any) *connectGate {
	g, _ := auth[gateKey].(*connectGate)
	delete(auth, gateKey)
	if g != nil {
		g.taken.Store(true)
	}
	return g
}

// Add implements parser.Decoder. The inner decoder emits synchronously, so
// decoded sees raw of the same packet, and the library has run the
// handshake of a CONNECT when the inner Add returns.
func (d *decoder) Add(data any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var text string
	switch v := data.(type) {
	case string:
		text = v
	case *types.StringBuffer: // what the engine hands over
		// The unread part, not consumed; copied only when it names $sort.
		if b := v.Bytes(); bytes.Contains(b, []byte(`"$sort"`)) {
			text = string(b)
		}
	}
	if strings.HasPrefix(text, "2") && strings.Contains(text, `"$sort"`) {
		d.raw = text
		defer func() { d.raw = "" }()
	}
	err := d.inner.Add(data)
	if g := d.gate; g != nil {
		d.gate = nil
		if g.taken.Load() {
			t := time.NewTimer(gateTimeout)
			select {
			case <-g.done:
			case <-t.C:
			}
			t.Stop()
		}
	}
	return err
}

// Destroy implements parser.Decoder.
func (d *decoder) Destroy() { d.inner.Destroy() }

func (d *decoder) decoded(args ...any) {
	if len(args) == 1 {
		if p, ok := args[0].(*parser.Packet); ok {
			switch {
			case p.Type == parser.CONNECT:
				auth, _ := p.Data.(map[string]any)
				if auth == nil {
					auth = map[string]any{}
				}
				d.gate = &connectGate{done: make(chan struct{})}
				auth[gateKey] = d.gate
				p.Data = auth
			case p.Type == parser.EVENT && d.raw != "":
				// The library's arguments, with $sort in order; unchanged
				// if the text does not read as they do.
				if args, ok := p.Data.([]any); ok {
					if i := argsOffset(d.raw); i > 0 {
						orderSort(args, []byte(d.raw[i:]))
					}
				}
			}
		}
	}
	d.Emit("decoded", args...)
}

// argsOffset is where the JSON arguments of a text EVENT packet start:
// "2", then an optional "/namespace,", then an optional ack id, then "[".
// It is 0 when the packet has another shape.
func argsOffset(raw string) int {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		comma := strings.IndexByte(raw[i:], ',')
		if comma < 0 {
			return 0
		}
		i += comma + 1
	}
	for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
		i++
	}
	if i >= len(raw) || raw[i] != '[' {
		return 0
	}
	return i
}

// orderSort puts the "$sort" object of the last argument (the query, in every
// call the Feathers client makes) in the client's key order, as a
// pinion.Ordered. args are the event's arguments as the library decoded them
// from b, their JSON text; only the key order is read from b. Other
// arguments, such as data, keep plain maps whatever keys they hold.
func orderSort(args []any, b []byte) error {
	if len(args) == 0 {
		return nil
	}
	query, ok := args[len(args)-1].(map[string]any)
	if !ok {
		return nil
	}
	sort, ok := query["$sort"].(map[string]any)
	if !ok {
		return nil
	}
	var raws []json.RawMessage
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	if len(raws) != len(args) {
		return errors.New("the arguments do not match their text")
	}
	if err := json.Unmarshal(raws[len(raws)-1], &fields); err != nil {
		return err
	}
	keys, err := keyOrder(fields["$sort"])
	if err != nil {
		return err
	}
	ordered := make(pinion.Ordered, 0, len(keys))
	for _, k := range keys {
		ordered = append(ordered, pinion.KeyValue{Key: k, Value: sort[k]})
	}
	query["$sort"] = ordered
	return nil
}

// keyOrder lists the keys of a JSON object in their order; a repeated key
// keeps its first place (and, in the decoded map, its last value).
func keyOrder(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("$sort is not an object")
	}
	seen := map[string]bool{}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return keys, nil
}
