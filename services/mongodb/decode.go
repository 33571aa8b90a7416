package mongodb

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// document converts a BSON document into plain Go values: map[string]any,
// []any, float64/int32/int64, string, bool, nil, time.Time and bson.ObjectID
// (which marshals to its 24-hex string, as Feathers sends ObjectIds). Hooks and
// pinion.Records then see the same shapes whatever the adapter.
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
		return b, nil
	case bson.TypeRegex:
		pattern, opts := v.Regex()
		return "/" + pattern + "/" + opts, nil
	}
	return v.String(), nil
}
