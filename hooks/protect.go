// Package hooks holds stock hooks that any service can use.
package hooks

import (
	"context"

	"github.com/pinionhq/pinion"
)

// Protect is an after hook that keeps fields (a password hash, say) from every
// external caller: it sets hc.Dispatch to the result without them, for single
// records, lists and pages alike, and events carry that form to channels. For
// external calls the result itself is replaced too, so later hooks cannot leak
// it; internal calls still see the full record.
func Protect(fields ...string) pinion.Hook {
	return func(ctx context.Context, hc *pinion.HookContext) error {
		src := hc.Dispatch
		if src == nil {
			src = hc.Result
		}
		if src == nil {
			return nil
		}
		hc.Dispatch = without(src, fields)
		if hc.Params.Provider != "" {
			hc.Result = hc.Dispatch
		}
		return nil
	}
}

func without(v any, fields []string) any {
	switch r := v.(type) {
	case map[string]any:
		return omit(r, fields)
	case []map[string]any:
		out := make([]map[string]any, len(r))
		for i, m := range r {
			out[i] = omit(m, fields)
		}
		return out
	case []any:
		out := make([]any, len(r))
		for i, e := range r {
			out[i] = without(e, fields)
		}
		return out
	case *pinion.Page:
		p := *r
		p.Data = without(r.Data, fields).([]map[string]any)
		return &p
	}
	return v
}

// omit copies m without fields; m itself may be shared with a store or a cache.
func omit(m map[string]any, fields []string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, f := range fields {
		delete(out, f)
	}
	return out
}
