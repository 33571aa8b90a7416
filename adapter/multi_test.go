package adapter_test

import (
	"errors"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

func TestCheckMulti(t *testing.T) {
	list := []any{map[string]any{"a": 1}}
	cases := []struct {
		multi   []pinion.Method
		method  pinion.Method
		id      any
		data    any
		code    int
		message string
	}{
		{nil, "create", nil, list, 405, "Can not create multiple entries"},
		{[]pinion.Method{"create"}, "create", nil, list, 0, ""},
		{[]pinion.Method{"create"}, "create", nil, []any{}, 0, ""},
		{nil, "create", nil, map[string]any{}, 0, ""},
		{[]pinion.Method{"create"}, "patch", nil, map[string]any{}, 405, "Can not patch multiple entries"},
		{[]pinion.Method{"patch"}, "patch", nil, map[string]any{}, 0, ""},
		{nil, "patch", "1", map[string]any{}, 0, ""},
		{nil, "remove", nil, nil, 405, "Can not remove multiple entries"},
		{[]pinion.Method{"remove"}, "remove", nil, nil, 0, ""},
		{[]pinion.Method{"create", "patch", "remove"}, "update", nil, map[string]any{}, 400, "You can not replace multiple instances. Did you mean 'patch'?"},
		{nil, "update", "1", list, 400, "You can not replace multiple instances. Did you mean 'patch'?"},
		{nil, "update", "1", map[string]any{}, 0, ""},
	}
	for _, tc := range cases {
		o := adapter.Options{Multi: tc.multi}
		err := o.CheckMulti(tc.method, tc.id, tc.data)
		if tc.code == 0 {
			if err != nil {
				t.Errorf("%s %v multi=%v: %v", tc.method, tc.id, tc.multi, err)
			}
			continue
		}
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != tc.code || fe.Message != tc.message {
			t.Errorf("%s %v multi=%v: %v, want %d %q", tc.method, tc.id, tc.multi, err, tc.code, tc.message)
		}
	}
	o := adapter.Options{}
	if !o.AllowsMulti("find") || o.AllowsMulti("get") || o.AllowsMulti("update") || o.AllowsMulti("remove") {
		t.Error("AllowsMulti defaults")
	}
}
