package sqlite

import (
	"strings"

	"github.com/pinionhq/pinion/adapter"
)

// parsePatch takes patch data apart (see adapter.PatchOps): field paths are
// checked, values normalised at the depth they are written. Patches are
// applied in Go, inside the write transaction, so they mean exactly what
// they mean for the memory adapter.
func parsePatch(data any, id string) (*adapter.PatchOps, error) {
	return adapter.ParsePatch(data, id, func(field string, v any) (any, error) {
		if err := checkPath(field); err != nil {
			return nil, err
		}
		return normalize(v, strings.Count(field, ".")+1)
	})
}

// apply returns the patched record, normalised again as a whole (so that it
// is checked, nesting depth included, and shares nothing with the patch or
// with the other records of a multi patch). The id never changes.
func apply(p *adapter.PatchOps, rec map[string]any) (map[string]any, error) {
	next, err := p.Apply(rec)
	if err != nil {
		return nil, err
	}
	return normalizeRecord(next)
}
