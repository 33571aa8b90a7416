package socketio

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/pinionhq/pinion"
)

// decodeArgs decodes the arguments of a call (sio.Options.DecodeArgs) as
// encoding/json does, except that a query's $sort keeps the client's key
// order: {createdAt: -1, _id: 1} must sort by createdAt first, as Feathers
// does, and a Go map forgets the order.
func decodeArgs(b []byte) ([]any, error) {
	var args []any
	if err := json.Unmarshal(b, &args); err != nil {
		return nil, err
	}
	if bytes.Contains(b, []byte(`"$sort"`)) {
		if err := orderSort(args, b); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// orderSort puts the "$sort" object of the last argument (the query, in every
// call the Feathers client makes) in the client's key order, as a
// pinion.Ordered. args are the event's arguments as encoding/json decoded them
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
