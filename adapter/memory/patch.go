package memory

import "github.com/pinionhq/pinion/adapter"

// parsePatch takes patch data apart (see adapter.PatchOps), its values
// normalised as stored records are.
func parsePatch(data any, id string) (*adapter.PatchOps, error) {
	return adapter.ParsePatch(data, id, func(field string, v any) (any, error) { return normalize(v) })
}

// apply returns the patched copy of a stored record. Stored records are
// never changed in place, so values of the patch may be shared by the
// records of a multi patch.
func apply(p *adapter.PatchOps, rec map[string]any) (map[string]any, error) {
	return p.Apply(rec)
}
