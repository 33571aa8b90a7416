package adapter

import "bytes"

// CloneRecord deep-copies a normalised record (maps, slices, byte slices and
// scalars, as an adapter stores them), so that a patch or a caller can change
// the copy without touching what is stored.
func CloneRecord(rec map[string]any) map[string]any {
	out := make(map[string]any, len(rec))
	for k, v := range rec {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return CloneRecord(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case []byte:
		return bytes.Clone(x)
	}
	return v
}
