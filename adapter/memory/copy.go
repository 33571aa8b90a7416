package memory

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/pinionhq/pinion"
)

// Records hold JSON-like values: map[string]any, []any, strings, numbers of any
// Go type, booleans and nil, plus time.Time, []byte and ids with a Hex method
// (ObjectIds). normalize brings data into that form on the way in, copying it so
// that the caller keeps nothing that aliases the store; clone copies a stored
// value on the way out, so that hooks may change results freely.

// normalizeRecord returns a normalised deep copy of data.
func normalizeRecord(data map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(data))
	for k, v := range data {
		n, err := normalize(v)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, time.Time,
		float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	case map[string]any:
		return normalizeRecord(x)
	case []any:
		return normalizeList(x)
	case []map[string]any:
		return normalizeList(x)
	case []byte:
		return bytes.Clone(x), nil
	case interface{ Hex() string }:
		return v, nil
	}
	// Any other Go value (a struct, a typed slice or map) is stored as its JSON
	// form, as the MongoDB adapter stores its BSON form.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, pinion.BadRequest("Invalid data: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, pinion.BadRequest("Invalid data: %v", err)
	}
	return out, nil
}

func normalizeList[T any](list []T) ([]any, error) {
	out := make([]any, len(list))
	for i, e := range list {
		n, err := normalize(e)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
