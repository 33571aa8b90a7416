package pinion_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/pinionhq/pinion"
)

type static struct{ rec map[string]any }

func (s static) Get(ctx context.Context, id any, p *pinion.Params) (any, error) { return s.rec, nil }

// BenchmarkCall is a call through the hook chain with no hooks registered.
func BenchmarkCall(b *testing.B) {
	app := pinion.New()
	s := app.Use("things", static{map[string]any{"id": 1}})
	ctx := context.Background()
	p := &pinion.Params{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "1", p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHookChain is a call with app and service hooks of every kind.
func BenchmarkHookChain(b *testing.B) {
	app := pinion.New()
	nop := func(ctx context.Context, hc *pinion.HookContext) error { return nil }
	around := func(ctx context.Context, hc *pinion.HookContext, next pinion.Next) error { return next(ctx) }
	app.Hooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {around}}, Before: pinion.HookMap{pinion.All: {nop}}, After: pinion.HookMap{pinion.All: {nop}}})
	s := app.Use("things", static{map[string]any{"id": 1}}, pinion.WithHooks(pinion.Hooks{
		Around: pinion.AroundMap{"get": {around}},
		Before: pinion.HookMap{pinion.All: {nop}, "get": {nop, nop}},
		After:  pinion.HookMap{"get": {nop}},
		Error:  pinion.HookMap{pinion.All: {nop}},
	}))
	ctx := context.Background()
	p := &pinion.Params{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "1", p); err != nil {
			b.Fatal(err)
		}
	}
}

type creator struct{}

func (creator) Create(ctx context.Context, data any, p *pinion.Params) (any, error) { return data, nil }

// BenchmarkFanOut1000 is one create whose event reaches 1,000 connections in a
// channel: Pinion's own part of a fan-out (publisher, channel, encoding once,
// one Send per connection), without a transport's writes.
func BenchmarkFanOut1000(b *testing.B) {
	app := pinion.New()
	s := app.Use("messages", creator{})
	var sent atomic.Int64 // a fan-out may deliver from several goroutines
	for i := range 1000 {
		conn := pinion.NewConnection(pinion.ConnectionOptions{ID: string(rune(i)), Provider: pinion.ProviderSocketIO,
			Send: func(event string, data any) { sent.Add(1) }})
		app.Channel("authenticated").Join(conn)
	}
	app.Publish(func(context.Context, pinion.Event) []*pinion.Channel {
		return []*pinion.Channel{app.Channel("authenticated")}
	})
	ctx := context.Background()
	data := map[string]any{"text": "hello", "userId": "0123456789abcdef01234567", "createdAt": 1.7e12}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Create(ctx, data, &pinion.Params{}); err != nil {
			b.Fatal(err)
		}
	}
	if n := sent.Load(); n != int64(1000*b.N) {
		b.Fatalf("%d sends for %d fan-outs", n, b.N)
	}
}

// BenchmarkLookup resolves a service path as the socket transport does on
// every call.
func BenchmarkLookup(b *testing.B) {
	app := pinion.New()
	app.Use("messages", static{})
	app.Use(":orgId/projects", static{})
	b.ReportAllocs()
	for b.Loop() {
		if s, _ := app.Lookup("org1/projects"); s == nil {
			b.Fatal("not found")
		}
	}
}
