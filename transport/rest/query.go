package rest

import (
	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/rest/qs"
)

// parseQuery decodes the query string with qs semantics (wire spec §1.7): nested
// brackets, indices, all leaves strings. A $sort on several fields keeps the order
// the client wrote it in, as pinion.Ordered, because that order is its meaning.
func parseQuery(raw string) map[string]any {
	if raw == "" {
		return map[string]any{}
	}
	q := qs.Parse(raw)
	if sort, ok := q["$sort"].(map[string]any); ok && len(sort) > 1 {
		ordered := make(pinion.Ordered, 0, len(sort))
		for _, k := range qs.ChildOrder(raw, "$sort") {
			if v, ok := sort[k]; ok {
				ordered = append(ordered, pinion.KeyValue{Key: k, Value: v})
			}
		}
		q["$sort"] = ordered
	}
	return q
}
