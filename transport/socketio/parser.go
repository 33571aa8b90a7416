package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/pinionhq/pinion"
)

// sortParser is the library's socket.io parser with one change: a query's
// $sort keeps the client's key order. The library decodes arguments into Go
// maps, which forget it, and {createdAt: -1, _id: 1} must sort by createdAt
// first, as Feathers does. Packets that do not mention $sort are untouched.
type sortParser struct{ parser.Parser }

func newParser() parser.Parser { return sortParser{parser.NewParser()} }

// NewDecoder implements parser.Parser.
func (p sortParser) NewDecoder() parser.Decoder {
	d := &sortDecoder{EventEmitter: types.NewEventEmitter(), inner: p.Parser.NewDecoder()}
	d.inner.On("decoded", d.decoded)
	return d
}

// sortDecoder wraps the library's decoder: the library listens to its
// "decoded" events, which it re-emits after putting $sort in order.
type sortDecoder struct {
	types.EventEmitter
	inner parser.Decoder

	mu  sync.Mutex
	raw string // the text packet being decoded, when it names $sort
}

// Add implements parser.Decoder. The inner decoder emits synchronously, so
// decoded sees raw of the same packet.
func (d *sortDecoder) Add(data any) error {
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
	return d.inner.Add(data)
}

// Destroy implements parser.Decoder.
func (d *sortDecoder) Destroy() { d.inner.Destroy() }

func (d *sortDecoder) decoded(args ...any) {
	if d.raw != "" && len(args) == 1 {
		if p, ok := args[0].(*parser.Packet); ok && p.Type == parser.EVENT {
			if i := argsOffset(d.raw); i > 0 {
				if v, err := decodeOrdered([]byte(d.raw[i:])); err == nil {
					p.Data = v
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

// decodeOrdered decodes the arguments of an event as encoding/json does,
// except that the "$sort" object of the last argument (the query, in every
// call the Feathers client makes) becomes a pinion.Ordered in the client's
// key order. Other arguments, such as data, keep plain maps whatever keys
// they hold.
func decodeOrdered(b []byte) ([]any, error) {
	var args []any
	if err := json.Unmarshal(b, &args); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return args, nil
	}
	query, ok := args[len(args)-1].(map[string]any)
	if !ok {
		return args, nil
	}
	sort, ok := query["$sort"].(map[string]any)
	if !ok {
		return args, nil
	}
	var raws []json.RawMessage
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raws[len(raws)-1], &fields); err != nil {
		return nil, err
	}
	keys, err := keyOrder(fields["$sort"])
	if err != nil {
		return nil, err
	}
	ordered := make(pinion.Ordered, 0, len(keys))
	for _, k := range keys {
		ordered = append(ordered, pinion.KeyValue{Key: k, Value: sort[k]})
	}
	query["$sort"] = ordered
	return args, nil
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
