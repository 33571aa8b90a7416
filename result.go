package pinion

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Page is a paginated find result, sent as {"total","limit","skip","data"}.
type Page struct {
	Total int              `json:"total"`
	Limit int              `json:"limit"`
	Skip  int              `json:"skip"`
	Data  []map[string]any `json:"data"`
}

// Ordered is a JSON object whose key order carries meaning, like a $sort on several
// fields. Go maps do not keep order, so a transport that sees the order (the REST
// query parser does) hands such objects over as Ordered.
type Ordered []KeyValue

// KeyValue is one member of an Ordered object.
type KeyValue struct {
	Key   string
	Value any
}

// MarshalJSON writes o as a JSON object in its order.
func (o Ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// IDString formats an id the way Feathers does with String(id): ObjectIds (any
// value with a Hex method) as their hex, numbers without exponent, nil as "".
// Comparing ids of different types (a REST string, a stored ObjectId) goes
// through it.
func IDString(id any) string {
	switch v := id.(type) {
	case string:
		return v
	case nil:
		return ""
	case interface{ Hex() string }:
		return v.Hex()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(id)
}
