package qs

import "github.com/pinionhq/pinion"

// Query decodes a Feathers query string (wire spec §1.7): Parse's nested
// brackets and indices, all leaves strings, and a $sort on several fields in
// the order the client wrote it, as pinion.Ordered, because that order is
// its meaning. It is what the REST transport hands services as
// Params.Query.
func Query(raw string) map[string]any {
	if raw == "" {
		return map[string]any{}
	}
	q := Parse(raw)
	if sort, ok := q["$sort"].(map[string]any); ok && len(sort) > 1 {
		ordered := make(pinion.Ordered, 0, len(sort))
		for _, k := range ChildOrder(raw, "$sort") {
			if v, ok := sort[k]; ok {
				ordered = append(ordered, pinion.KeyValue{Key: k, Value: v})
			}
		}
		q["$sort"] = ordered
	}
	return q
}
