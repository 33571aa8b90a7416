package mongodb

import (
	"encoding/json"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// objectID turns a 24-hex string into an ObjectId. It is the converter given
// to adapter.Options.Parse, for the "_id" id and fields declared as
// adapter.ObjectID, inside $in and $nin too.
func objectID(s string) (any, bool) {
	oid, err := bson.ObjectIDFromHex(s)
	return oid, err == nil
}

// id validates and converts a method's id argument. Ids arrive as the
// transport decoded them: strings over REST, strings or float64 over sockets.
//
// For "_id" a 24-hex string is an ObjectId; any other string or number is kept
// and simply matches nothing unless documents use such ids. A custom id field
// declared as adapter.Number in Fields takes numeric strings as numbers. Other
// values are a BadRequest, as in Feathers.
func (s *Service) id(id any) (any, error) {
	switch v := id.(type) {
	case string:
		if s.opts.ID == "_id" {
			if oid, ok := objectID(v); ok {
				return oid, nil
			}
		} else if s.opts.Fields[s.opts.ID] == adapter.Number {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f, nil
			}
		}
		return v, nil
	case bson.ObjectID,
		float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	}
	b, err := json.Marshal(id)
	if err != nil {
		b = []byte(pinion.IDString(id))
	}
	return nil, pinion.BadRequest("Invalid id '%s'", b)
}

// notFound is the error of a method called with an id that matches nothing.
func notFound(id any) error {
	return pinion.NotFound("No record found for id '%s'", pinion.IDString(id))
}
