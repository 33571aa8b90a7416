package pinion_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pinionhq/pinion"
)

type ctxKey struct{}

// phaseLog is an Observer that logs the phases it is told about, and puts
// the phase in the context it returns.
type phaseLog struct {
	name string
	log  *[]string
}

func (p phaseLog) Start(ctx context.Context, hc *pinion.HookContext, phase pinion.Phase) (context.Context, func(error)) {
	*p.log = append(*p.log, fmt.Sprintf("%s start %s %s/%s", p.name, phase, hc.Path, hc.Method))
	return context.WithValue(ctx, ctxKey{}, phase), func(err error) {
		*p.log = append(*p.log, fmt.Sprintf("%s end %s %v", p.name, phase, err))
	}
}

func TestObserverPhases(t *testing.T) {
	var log []string
	app := pinion.New(pinion.WithObserver(phaseLog{"o", &log}))
	var seen []pinion.Phase // the phase in the context each hook and the method get
	mark := func(ctx context.Context, hc *pinion.HookContext) error {
		seen = append(seen, ctx.Value(ctxKey{}).(pinion.Phase))
		return nil
	}
	app.Hooks(pinion.Hooks{Before: pinion.HookMap{pinion.All: {mark}}, After: pinion.HookMap{pinion.All: {mark}}})
	svc := app.Use("things", &echo{}, pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{"get": {mark, func(ctx context.Context, hc *pinion.HookContext) error {
			if hc.ID == "bad" {
				return pinion.BadRequest("bad id")
			}
			return nil
		}}},
		// An error hook that lets the error through: a phase of its own.
		Error: pinion.HookMap{"get": {func(ctx context.Context, hc *pinion.HookContext) error { return nil }}},
	}))
	if _, err := svc.Get(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"o start call things/get",
		"o start app before things/get", "o end app before <nil>",
		"o start service before things/get", "o end service before <nil>",
		"o start method things/get", "o end method <nil>",
		"o start app after things/get", "o end app after <nil>",
		"o end call <nil>",
	}
	if !slices.Equal(log, want) {
		t.Errorf("phases:\n%q\nwant\n%q", log, want)
	}
	if want := []pinion.Phase{pinion.PhaseAppBefore, pinion.PhaseServiceBefore, pinion.PhaseAppAfter}; !slices.Equal(seen, want) {
		t.Errorf("hooks ran in the contexts of %v, want %v", seen, want)
	}

	// A before hook's error ends its phase with it; error hooks are a phase
	// that ends with nil when they themselves did not fail.
	log = nil
	if _, err := svc.Get(context.Background(), "bad", nil); err == nil {
		t.Fatal("no error")
	}
	want = []string{
		"o start call things/get",
		"o start app before things/get", "o end app before <nil>",
		"o start service before things/get", "o end service before BadRequest: bad id",
		"o start service error things/get", "o end service error <nil>",
		"o end call BadRequest: bad id",
	}
	if !slices.Equal(log, want) {
		t.Errorf("phases:\n%q\nwant\n%q", log, want)
	}

	// A call refused before any hook runs is observed with its error.
	log = nil
	svc.Call(context.Background(), "nope", nil, nil, nil)
	want = []string{"o start call things/nope", "o end call MethodNotAllowed: Method 'nope' not allowed on service 'things'"}
	if !slices.Equal(log, want) {
		t.Errorf("phases:\n%q\nwant\n%q", log, want)
	}
}

func TestObserversNestAndComeLate(t *testing.T) {
	var log []string
	app := pinion.New()
	svc := app.Use("things", &echo{})
	if _, err := svc.Find(context.Background(), nil); err != nil || len(log) != 0 {
		t.Fatal(err, log)
	}
	// Added after the chain was compiled: it is compiled again.
	app.Observe(phaseLog{"a", &log}).Observe(phaseLog{"b", &log})
	svc.Find(context.Background(), nil)
	want := []string{
		"a start call things/find", "b start call things/find",
		"a start method things/find", "b start method things/find",
		"b end method <nil>", "a end method <nil>",
		"b end call <nil>", "a end call <nil>",
	}
	if !slices.Equal(log, want) {
		t.Errorf("phases:\n%q\nwant\n%q", log, want)
	}
}

func TestObservedErrorHookFailure(t *testing.T) {
	var log []string
	app := pinion.New(pinion.WithObserver(phaseLog{"o", &log}))
	boom := errors.New("boom")
	app.Hooks(pinion.Hooks{Error: pinion.HookMap{pinion.All: {func(ctx context.Context, hc *pinion.HookContext) error { return boom }}}})
	svc := app.Use("things", &echo{})
	if _, err := svc.Get(context.Background(), "missing", nil); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	want := []string{
		"o start call things/get",
		"o start method things/get", "o end method NotFound: No record found for id 'missing'",
		"o start app error things/get", "o end app error boom",
		"o end call boom",
	}
	if !slices.Equal(log, want) {
		t.Errorf("phases:\n%q\nwant\n%q", log, want)
	}
}
