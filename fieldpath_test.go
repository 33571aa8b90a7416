package pinion_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

func TestParseFieldPath(t *testing.T) {
	for _, name := range []string{"a", "_id", "email", "profile.first-name", "a.0.b", "A9_-", strings.Repeat("a.", 15) + "a"} {
		p, err := pinion.ParseFieldPath(name)
		if err != nil || p.String() != name {
			t.Errorf("ParseFieldPath(%q) = %q, %v", name, p, err)
		}
		if got := strings.Join(slices.Collect(p.Segments()), "."); got != name {
			t.Errorf("segments of %q join to %q", name, got)
		}
	}
	for _, name := range []string{
		"", ".", "a.", ".a", "a..b", `pass\u0077ord`, `a\`, `a"b`, "a'b", "$where", "a.$ne", "a b", "a\x00",
		"a\n", "ｐａｓｓ", "pаss", "a\u200b", "é", "a[0]", "a]", "*", "a%70", "a/b", "a.-0.b", "-a", strings.Repeat("a", 257),
		strings.Repeat("a.", 16) + "a",
	} {
		_, err := pinion.ParseFieldPath(name)
		var fe *pinion.Error
		if !errors.As(err, &fe) || fe.Code != 400 || fe.Data.(map[string]any)["field"] != name {
			t.Errorf("ParseFieldPath(%q): %v, want a 400 naming it", name, err)
		}
	}
}

func TestFieldPathWithin(t *testing.T) {
	p := func(s string) pinion.FieldPath {
		f, err := pinion.ParseFieldPath(s)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		a, b   string
		within bool
	}{
		{"password", "password", true},
		{"password.x", "password", true},
		{"password", "password.x", false},
		{"passwords", "password", false},
		{"pass", "password", false},
		{"a.b.c", "a.b", true},
	} {
		if got := p(tc.a).Within(p(tc.b)); got != tc.within {
			t.Errorf("%s within %s = %v", tc.a, tc.b, got)
		}
		if got, want := p(tc.a).Overlaps(p(tc.b)), tc.within || p(tc.b).Within(p(tc.a)); got != want {
			t.Errorf("%s overlaps %s = %v", tc.a, tc.b, got)
		}
	}
}
