package adaptertest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// same reports whether two values are equal as their JSON would be: numbers by
// value whatever their Go type (MongoDB answers int32, int64 or float64 for the
// float64 the suite writes), times by instant, ObjectIds by their hex form (as
// Feathers' tests compare ids with toString), maps and lists member by member.
func same(a, b any) bool {
	if x, ok := adapter.Float64(a); ok {
		y, ok := adapter.Float64(b)
		return ok && x == y
	}
	if isHex(a) || isHex(b) {
		return b != nil && a != nil && pinion.IDString(a) == pinion.IDString(b)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && maps.EqualFunc(x, y, same)
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, same)
	}
	// Some other Go value: compare what it prints, types included.
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

func isHex(v any) bool {
	_, ok := v.(interface{ Hex() string })
	return ok
}

// wantField checks rec[field] against want with same.
func wantField(t *testing.T, rec obj, field string, want any) {
	t.Helper()
	if got, ok := rec[field]; !ok || !same(got, want) {
		t.Errorf("%s = %v (%T), want %v in %v", field, got, got, want, rec)
	}
}

// wantNoField checks that rec has no field, as Feathers' `assert.ok(!data.age)`
// after a $select.
func wantNoField(t *testing.T, rec obj, field string) {
	t.Helper()
	if v, ok := rec[field]; ok {
		t.Errorf("%s = %v, want it absent from %v", field, v, rec)
	}
}

// wantID checks that rec carries the id of want.
func wantID(t *testing.T, rec obj, id string, want obj) {
	t.Helper()
	if got := rec[id]; got == nil || !same(got, want[id]) {
		t.Errorf("%s = %v, want %v", id, got, want[id])
	}
}

// names lists the "name" fields of records, in order.
func names(list []obj) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i], _ = r["name"].(string)
	}
	return out
}

func wantNames(t *testing.T, list []obj, want ...string) {
	t.Helper()
	if got := names(list); !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
}

// wantNamesAnyOrder is wantNames for results whose order the test does not fix.
func wantNamesAnyOrder(t *testing.T, list []obj, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(names(list)))
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("names = %q, want %q in any order", names(list), want)
	}
}

func wantPage(t *testing.T, page *pinion.Page, total, limit, skip int, names ...string) {
	t.Helper()
	if page.Total != total || page.Limit != limit || page.Skip != skip {
		t.Errorf("page {total %d, limit %d, skip %d}, want {%d, %d, %d}",
			page.Total, page.Limit, page.Skip, total, limit, skip)
	}
	wantNames(t, page.Data, names...)
}

// wantError checks that err is a Feathers error of the class of want and has its
// message; a want made with an empty message, like pinion.NotFound(""), which
// pinion names "Error", accepts any message.
func wantError(t *testing.T, err error, want *pinion.Error) *pinion.Error {
	t.Helper()
	var fe *pinion.Error
	if !errors.As(err, &fe) || fe.Code != want.Code {
		t.Fatalf("err = %v, want a %s", err, want.Name())
	}
	if want.Message != "Error" && fe.Message != want.Message {
		t.Errorf("message = %q, want %q", fe.Message, want.Message)
	}
	return fe
}

// notFound checks that a call failed with NotFound: notFound(t)(f.svc.Get(…)).
func notFound(t *testing.T) func(any, error) {
	return func(res any, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("got %v, want a NotFound error", res)
		}
		wantError(t, err, pinion.NotFound(""))
	}
}

// unchanged snapshots data and returns a check that it still holds the same: a
// service must not modify the data it is given.
func unchanged(data obj) func(t *testing.T) {
	orig := maps.Clone(data)
	return func(t *testing.T) {
		t.Helper()
		if !same(data, orig) {
			t.Errorf("the data passed in was modified: %v, was %v", data, orig)
		}
	}
}
