package mongodb

import (
	"bytes"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// document converts a BSON document into plain Go values, recursively:
// documents become map[string]any, arrays []any, doubles float64, 32- and 64-bit
// integers int32 and int64, dates time.Time in UTC, null nil; strings and
// booleans stay so, and ObjectIds stay bson.ObjectID, which encodes to its
// 24-hex JSON string as Feathers sends ObjectIds. Hooks and pinion.Records
// then see the same shapes whatever the adapter, and the result shares no
// memory with raw.
//
// The rarer types become what JSON can carry: Decimal128 its decimal text,
// binary data []byte (base64 in JSON), a regular expression "/pattern/flags",
// a timestamp the time.Time of its seconds, JavaScript code and symbols their
// text, anything else its extended JSON.
func document(raw bson.Raw) (map[string]any, error) {
	elems, err := raw.Elements()
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(elems))
	for _, e := range elems {
		v, err := value(e.Value())
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", e.Key(), err)
		}
		out[e.Key()] = v
	}
	return out, nil
}

func value(v bson.RawValue) (any, error) {
	switch v.Type {
	case bson.TypeDouble:
		return v.Double(), nil
	case bson.TypeString:
		return v.StringValue(), nil
	case bson.TypeEmbeddedDocument:
		return document(v.Document())
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return nil, err
		}
		out := make([]any, len(vals))
		for i, e := range vals {
			if out[i], err = value(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case bson.TypeObjectID:
		return v.ObjectID(), nil
	case bson.TypeBoolean:
		return v.Boolean(), nil
	case bson.TypeDateTime:
		return time.UnixMilli(v.DateTime()).UTC(), nil
	case bson.TypeNull, bson.TypeUndefined:
		return nil, nil
	case bson.TypeInt32:
		return v.Int32(), nil
	case bson.TypeInt64:
		return v.Int64(), nil
	case bson.TypeTimestamp:
		t, _ := v.Timestamp()
		return time.Unix(int64(t), 0).UTC(), nil
	case bson.TypeDecimal128:
		return v.Decimal128().String(), nil
	case bson.TypeBinary:
		_, b := v.Binary()
		return bytes.Clone(b), nil
	case bson.TypeRegex:
		pattern, opts := v.Regex()
		return "/" + pattern + "/" + opts, nil
	case bson.TypeJavaScript:
		return v.JavaScript(), nil
	case bson.TypeSymbol:
		return v.Symbol(), nil
	}
	return v.String(), nil
}
