package mongodb

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// project applies an inclusion projection to a decoded document in Go, as
// MongoDB would: dotted paths reach into embedded documents and into the
// documents of arrays. The results of findOneAndUpdate, findOneAndReplace and
// findOneAndDelete are projected here because FerretDB does not implement
// findAndModify's "fields" option; it is also what create uses, which reads
// nothing back.
func project(doc map[string]any, p bson.D) map[string]any {
	if p == nil || doc == nil {
		return doc
	}
	out := make(map[string]any, len(p))
	for _, e := range p {
		include(out, doc, e.Key)
	}
	return out
}

// include copies the value at path from src into dst, creating the embedded
// documents on the way.
func include(dst, src map[string]any, path string) {
	head, rest, nested := strings.Cut(path, ".")
	v, ok := src[head]
	if !ok {
		return
	}
	if !nested {
		dst[head] = v
		return
	}
	switch x := v.(type) {
	case map[string]any:
		sub, _ := dst[head].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
		}
		include(sub, x, rest)
		dst[head] = sub
	case []any:
		// Each embedded document keeps the path; other elements are dropped.
		prev, _ := dst[head].([]any)
		var list []any
		for _, el := range x {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			var sub map[string]any
			if i := len(list); i < len(prev) {
				sub, _ = prev[i].(map[string]any)
			}
			if sub == nil {
				sub = map[string]any{}
			}
			include(sub, m, rest)
			list = append(list, sub)
		}
		if list == nil {
			list = []any{}
		}
		dst[head] = list
	}
}
