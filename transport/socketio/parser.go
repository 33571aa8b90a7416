package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
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
			// "2[/nsp,][id][…]": the arguments are the JSON array at the end.
			if i := strings.IndexByte(d.raw, '['); i >= 0 {
				if v, err := decodeOrdered([]byte(d.raw[i:])); err == nil {
					p.Data = v
				}
			}
		}
	}
	d.Emit("decoded", args...)
}

// decodeOrdered decodes JSON as encoding/json does into any, except that the
// object value of every "$sort" key becomes a pinion.Ordered.
func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	v, err := orderedValue(dec, false)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

func orderedValue(dec *json.Decoder, ordered bool) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			list := []any{}
			for dec.More() {
				v, err := orderedValue(dec, false)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ]
			return list, err
		case '{':
			var kvs pinion.Ordered
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string) // object keys are strings
				v, err := orderedValue(dec, k == "$sort")
				if err != nil {
					return nil, err
				}
				if ordered {
					// A repeated key keeps its first place and its last value.
					if i := slices.IndexFunc(kvs, func(kv pinion.KeyValue) bool { return kv.Key == k }); i >= 0 {
						kvs[i].Value = v
					} else {
						kvs = append(kvs, pinion.KeyValue{Key: k, Value: v})
					}
				} else {
					m[k] = v
				}
			}
			if _, err := dec.Token(); err != nil { // }
				return nil, err
			}
			if ordered {
				return kvs, nil
			}
			return m, nil
		}
	}
	return tok, nil // string, float64, bool or nil
}
