package pinion_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
)

// BenchmarkOwned compares a get through the hook chain, and a create whose
// event is published to 1000 logged-in connections, on a plain service and
// on one WithOwner (its query scoped, its event narrowed to the owner's
// connection: a check of each connection's user id).
func BenchmarkOwned(b *testing.B) {
	me := pinion.NewIdentity[Member, int]("_id")
	for _, owned := range []bool{false, true} {
		app := pinion.New()
		var opts []pinion.ServiceOption
		if owned {
			opts = append(opts, pinion.WithOwner(me, "ownerId"))
		}
		svc := app.Use("notes", memory.New(memory.Options{}), opts...)
		for i := range 1000 {
			c := pinion.NewConnection(pinion.ConnectionOptions{ID: fmt.Sprint(i), Send: func(string, any) {}})
			c.SetAuthenticated(&pinion.Authentication{}, map[string]any{"_id": float64(i)})
			app.Channel(pinion.Authenticated).Join(c)
		}
		ctx := context.Background()
		p := &pinion.Params{Provider: pinion.ProviderREST, User: map[string]any{"_id": 7.0}}
		created, err := svc.Create(ctx, map[string]any{"text": "x"}, p)
		if err != nil {
			b.Fatal(err)
		}
		id := pinion.Records(created)[0].Map()["id"]
		b.Run(fmt.Sprintf("owned=%v/get", owned), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Get(ctx, id, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("owned=%v/create-1000-conns", owned), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Create(ctx, map[string]any{"text": "x"}, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
