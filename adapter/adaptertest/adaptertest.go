// Package adaptertest is the conformance suite for Pinion database adapters: a Go
// port of Feathers' @feathersjs/adapter-tests (basic, methods, syntax), with the
// same test names, plus Pinion's own additions. Every adapter runs it:
//
//	func TestAdapter(t *testing.T) {
//		adaptertest.Run(t, "_id", func(t testing.TB, opts adapter.Options) any {
//			return mongodb.New(freshCollection(t), mongodb.Options{Options: opts})
//		})
//	}
package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// Factory returns a new, empty service implementation configured with opts
// (opts.ID is set by the suite). The suite registers it on a fresh app.
type Factory func(t testing.TB, opts adapter.Options) any

// Run runs the whole suite against the adapter made by newService, whose id field
// is idField ("id" or "_id").
func Run(t *testing.T, idField string, newService Factory) {
	s := &suite{id: idField, factory: newService}
	t.Run("basic", s.basic)
	t.Run("methods", s.methods)
	t.Run("syntax", s.syntax)
	t.Run("extras", s.extras)
}

type suite struct {
	id      string
	factory Factory
}

// people is one test's service, registered as "people" on its own app.
type people struct {
	t       *testing.T
	id      string
	app     *pinion.App
	svc     *pinion.Service
	options adapter.Options
}

var ctx = context.Background()

// service registers a fresh adapter service with the adapter options and service
// options a test needs.
func (s *suite) service(t *testing.T, opts adapter.Options, svcOpts ...pinion.ServiceOption) *people {
	t.Helper()
	opts.ID = s.id
	app := pinion.New()
	svc := app.Use("people", s.factory(t, opts), svcOpts...)
	if err := app.Setup(ctx); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return &people{t: t, id: s.id, app: app, svc: svc, options: opts}
}

// M is a record literal.
type M = map[string]any

func q(query M) *pinion.Params { return &pinion.Params{Query: query} }

func (p *people) create(data M) M {
	p.t.Helper()
	res, err := p.svc.Create(ctx, data, nil)
	if err != nil {
		p.t.Fatalf("create %v: %v", data, err)
	}
	return record(p.t, res)
}

func (p *people) remove(id any) {
	p.t.Helper()
	if _, err := p.svc.Remove(ctx, id, nil); err != nil {
		p.t.Fatalf("remove %v: %v", id, err)
	}
}

func (p *people) find(params *pinion.Params) []M {
	p.t.Helper()
	res, err := p.svc.Find(ctx, params)
	if err != nil {
		p.t.Fatalf("find: %v", err)
	}
	list, ok := res.([]map[string]any)
	if !ok {
		p.t.Fatalf("find returned %T, want a list", res)
	}
	return list
}

func (p *people) page(params *pinion.Params) *pinion.Page {
	p.t.Helper()
	res, err := p.svc.Find(ctx, params)
	if err != nil {
		p.t.Fatalf("find: %v", err)
	}
	page, ok := res.(*pinion.Page)
	if !ok {
		p.t.Fatalf("find returned %T, want a *pinion.Page", res)
	}
	return page
}

func record(t *testing.T, v any) M {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("got %T (%v), want a record", v, v)
	}
	return m
}

func records(t *testing.T, v any) []M {
	t.Helper()
	list, ok := v.([]map[string]any)
	if !ok {
		t.Fatalf("got %T, want a list of records", v)
	}
	return list
}

// wantError checks that err is a Feathers error of the given class.
func wantError(t *testing.T, err error, class *pinion.Error) *pinion.Error {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != class.Code {
		t.Fatalf("err = %v, want a %s", err, class.Name())
	}
	return fe
}

// num reads any numeric type as float64; adapters return int32, int64 or float64.
func num(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// same compares field values, numbers by value whatever their Go type.
func same(a, b any) bool {
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func wantField(t *testing.T, rec M, field string, want any) {
	t.Helper()
	if got, ok := rec[field]; !ok || !same(got, want) {
		t.Errorf("%s = %v (%T), want %v in %v", field, got, got, want, rec)
	}
}

func wantNoField(t *testing.T, rec M, field string) {
	t.Helper()
	if v, ok := rec[field]; ok {
		t.Errorf("%s = %v, want it absent from %v", field, v, rec)
	}
}

func names(list []M) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i], _ = r["name"].(string)
	}
	return out
}

func wantNames(t *testing.T, list []M, want ...string) {
	t.Helper()
	got := names(list)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}

// idString prints an id for comparisons (ObjectIds print as their hex).
func idString(v any) string {
	if h, ok := v.(interface{ Hex() string }); ok {
		return h.Hex()
	}
	return fmt.Sprint(v)
}

func (s *suite) basic(t *testing.T) {
	t.Run(".id", func(t *testing.T) {
		p := s.service(t, adapter.Options{})
		doc := p.create(M{"name": "Doug"})
		if _, ok := doc[s.id]; !ok {
			t.Fatalf("created record has no %s: %v", s.id, doc)
		}
	})
	t.Run(".options", func(t *testing.T) {
		p := s.service(t, adapter.Options{Paginate: pinion.Paginate{Default: 3}, Multi: []string{"create"}})
		if o := p.options; !o.AllowsMulti("create") || o.AllowsMulti("patch") {
			t.Error("service multi options not applied")
		}
		if page := p.page(nil); page.Limit != 3 {
			t.Errorf("paginate option: limit = %d", page.Limit)
		}
	})
	t.Run(".events", func(t *testing.T) {
		p := s.service(t, adapter.Options{}, pinion.WithEvents("testing"))
		if got := p.svc.Events(); len(got) != 1 || got[0] != "testing" {
			t.Errorf("events = %v", got)
		}
	})
	for _, m := range []string{"find", "get", "create", "update", "patch", "remove"} {
		t.Run("."+m, func(t *testing.T) {
			p := s.service(t, adapter.Options{})
			if !p.svc.Has(m) || !p.svc.Exposes(m) {
				t.Errorf("the adapter does not implement %s", m)
			}
		})
	}
}
