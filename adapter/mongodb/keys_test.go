package mongodb_test

import (
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb"
)

// Keys no document can hold are a client's mistake: 400, never a 500 with
// the driver's text.
func TestInvalidKeys(t *testing.T) {
	svc, _ := service(t, mongodb.Options{})
	rec := create(t, svc, M{"n": 1})
	for _, d := range []M{{"a\x00b": 1}, {"$x": 1}, {"a.b": 1}, {"x": M{"$y": 1}}, {"x": M{"a\x00": 1}}, {"l": []any{M{"\x00": 1}}}} {
		calls := map[string]func() error{
			"create": func() error { _, err := svc.Create(ctx, d, nil); return err },
			"patch":  func() error { _, err := svc.Patch(ctx, rec["_id"], d, nil); return err },
			"update": func() error { _, err := svc.Update(ctx, rec["_id"], d, nil); return err },
		}
		for name, call := range calls {
			err := call()
			if name == "patch" && d["a.b"] != nil {
				continue // a dot path is what patch is for
			}
			if fe := pinion.ToError(err, false); fe == nil || fe.Code != 400 {
				t.Errorf("%s %q: %v, want a 400", name, d, err)
			}
		}
	}
}
