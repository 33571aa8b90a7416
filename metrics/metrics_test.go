package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/metrics"
)

type things struct{}

func (things) Get(ctx context.Context, id any, p *pinion.Params) (any, error) {
	if id == "boom" {
		return nil, errors.New("the disk is on fire")
	}
	return map[string]any{"id": id}, nil
}

func TestCallsAndHookErrors(t *testing.T) {
	app := pinion.New()
	m := metrics.New()
	m.Observe(app)
	svc := app.Use("things", things{}, pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{"get": {func(ctx context.Context, hc *pinion.HookContext) error {
			if hc.ID == "refused" {
				return pinion.Forbidden("no")
			}
			return nil
		}}},
	}))
	ctx := context.Background()
	svc.Get(ctx, "a", &pinion.Params{Provider: "rest"})
	svc.Get(ctx, "refused", &pinion.Params{Provider: "socketio"})
	svc.Get(ctx, "boom", nil)
	svc.Call(ctx, "made-up", nil, nil, nil)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	svc.Call(cctx, "get", "x", nil, &pinion.Params{Provider: "rest", Query: map[string]any{}})

	if got, want := series(t, m.Registry(), "pinion_hook_errors_total"), map[string]float64{
		`level="service",method="get",service="things",type="before"`: 1,
	}; !maps.Equal(got, want) {
		t.Errorf("hook errors %v, want %v", got, want)
	}
	if got, want := series(t, m.Registry(), "pinion_service_calls_total"), map[string]float64{
		`code="403",method="get",provider="socketio",service="things"`:   1,
		`code="405",method="other",provider="internal",service="things"`: 1,
		`code="500",method="get",provider="internal",service="things"`:   1,
		`code="ok",method="get",provider="rest",service="things"`:        2,
	}; !maps.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

// series returns the counters of a family that are not 0, by their labels.
func series(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(labels)
			if v := m.GetCounter().GetValue(); v != 0 { // a call's series are made at its first call, at 0
				out[strings.Join(labels, ",")] = v
			}
		}
	}
	return out
}

func TestCode(t *testing.T) {
	for err, want := range map[error]string{
		nil:                           "ok",
		pinion.NotFound("x"):          "404",
		context.Canceled:              "499",
		context.DeadlineExceeded:      "408",
		errors.New("x"):               "500",
		pinion.Unavailable("db gone"): "503",
	} {
		if got := metrics.Code(err); got != want {
			t.Errorf("Code(%v) = %s, want %s", err, got, want)
		}
	}
}

// What counting costs a call, beside pinion's BenchmarkCall.
func BenchmarkObservedCall(b *testing.B) {
	app := pinion.New()
	metrics.New().Observe(app)
	svc := app.Use("things", things{})
	ctx := context.Background()
	p := &pinion.Params{Provider: "rest"}
	b.ReportAllocs()
	for b.Loop() {
		svc.Get(ctx, "a", p)
	}
}
