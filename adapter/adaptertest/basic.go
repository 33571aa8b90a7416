package adaptertest

import (
	"context"
	"slices"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// basic ports basic.ts ("Basic Functionality").
func (s *suite) basic(t *testing.T) {
	t.Run(".id", func(t *testing.T) {
		// Feathers checks service.id; here the id field must be where records
		// carry their id, and get must find a record by it.
		f := s.service(t, adapter.Options{})
		doug := f.create(obj{"name": "Doug"})
		if doug[s.id] == nil {
			t.Fatalf("created record has no %s: %v", s.id, doug)
		}
		wantID(t, f.get(doug[s.id], nil), s.id, doug)
	})
	t.Run(".options", func(t *testing.T) {
		// Feathers checks that service.options exists; here the options given to
		// the factory must be in effect.
		f := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 3}, Multi: []pinion.Method{"create"}})
		if _, err := f.svc.Create(ctx, []any{obj{"name": "A"}, obj{"name": "B"}}, nil); err != nil {
			t.Errorf("Multi create: %v", err)
		}
		_, err := f.svc.Patch(ctx, nil, obj{"age": 1.0}, nil)
		wantError(t, err, pinion.MethodNotAllowed("Can not patch multiple entries"))
		if page := f.page(nil); page.Limit != 3 || page.Total != 2 {
			t.Errorf("Paginate: limit %d total %d, want 3 and 2", page.Limit, page.Total)
		}
	})
	t.Run(".events", func(t *testing.T) {
		f := s.service(t, adapter.Options{}, pinion.WithEvents("testing"))
		if !slices.Contains(f.svc.Events(), "testing") {
			t.Errorf("events = %v, want them to include testing", f.svc.Events())
		}
		var got []pinion.Event
		f.app.OnEvent(func(_ context.Context, e pinion.Event) { got = append(got, e) })
		doug := f.create(obj{"name": "Doug"})
		if len(got) != 1 || got[0].Name != "created" || got[0].Path != "people" {
			t.Fatalf("events %v, want one people created", got)
		}
		wantID(t, record(t, got[0].Data), s.id, doug)
	})
	t.Run("raw methods", func(t *testing.T) {
		// Feathers' _get, _find… are the methods without hooks: in Pinion, the
		// implementation itself.
		f := s.service(t, adapter.Options{})
		for _, m := range pinion.StandardMethods {
			t.Run("._"+string(m), func(t *testing.T) {
				if !f.svc.Has(m) || !f.svc.Exposes(m) {
					t.Errorf("the adapter does not implement %s", m)
				}
			})
		}
	})
}
