// Package hooks holds stock hooks that any service can use.
package hooks

import (
	"context"

	"github.com/pinionhq/pinion"
)

// Protect is an after hook that keeps fields from every external caller: it
// sets hc.Dispatch to the result without them, for single records, lists and
// pages alike, and events carry that form to channels. For external calls the
// result itself is replaced too, so later hooks cannot leak it; internal calls
// still see the full record.
//
// Protect only hides fields from results. A field that must stay secret (a
// password hash) should be declared with pinion.WithProtected instead, which
// does the same and also refuses external queries that filter, sort or
// select by it: a query can reveal a value it never returns.
func Protect(fields ...string) pinion.Hook {
	return func(ctx context.Context, hc *pinion.HookContext) error {
		src := hc.External()
		if src == nil {
			return nil
		}
		hc.Dispatch = pinion.Without(src, fields...)
		if hc.Params.Provider != "" {
			hc.Result = hc.Dispatch
		}
		return nil
	}
}
