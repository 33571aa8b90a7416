package schema

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validate checks the fields of v (a struct of s's type, or a pointer to
// one) against their rules and returns every problem, or nil.
//
// given reports which fields the data gave (from DecodeJSON or DecodeMap);
// nil means the data came from Go, where a field is given when it is not the
// zero value. With whole set (create, update), required fields must be
// given; without (patch), only the given fields are checked.
func (s *Struct) Validate(v reflect.Value, given func(name string) bool, whole bool) error {
	var p problems
	s.validate(reflect.Indirect(v), given, whole, &p)
	return p.err()
}

func (s *Struct) validate(v reflect.Value, given func(string) bool, whole bool, p *problems) {
	for _, f := range s.Fields {
		fv := f.Value(v)
		if !fv.IsValid() {
			continue
		}
		var has bool
		if given != nil {
			has = given(f.Name)
		} else {
			has = !fv.IsZero()
		}
		if !has {
			if whole && f.Required && !f.ReadOnly {
				p.add("/"+f.Name, "is required")
			}
			continue
		}
		n := p.n()
		f.check(fv, p)
		in := f.info
		if in.kind == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv, in = fv.Elem(), in.elemInfo()
		}
		if in.object {
			in.structOf().validate(fv, nil, true, p) // a nested object is written whole
		}
		p.within(n, f.Name)
	}
}

// check applies the field's rules to its value.
func (f *Field) check(fv reflect.Value, p *problems) {
	r := &f.Rules
	if !r.checked {
		return
	}
	fv = reflect.Indirect(fv)
	if !fv.IsValid() {
		return
	}
	if fv.CanInt() || fv.CanUint() || fv.CanFloat() {
		n := number(fv)
		if r.Minimum != nil && n < *r.Minimum {
			p.add("", "must be at least %v", *r.Minimum)
		}
		if r.Maximum != nil && n > *r.Maximum {
			p.add("", "must be at most %v", *r.Maximum)
		}
	}
	if fv.Kind() == reflect.String {
		s := fv.String()
		if r.MinLength != nil || r.MaxLength != nil {
			n := utf8.RuneCountInString(s)
			if r.MinLength != nil && n < *r.MinLength {
				p.add("", "%s", MinLengthMessage(*r.MinLength))
			}
			if r.MaxLength != nil && n > *r.MaxLength {
				p.add("", "must be at most %d characters long", *r.MaxLength)
			}
		}
		if r.pattern != nil && !r.pattern.MatchString(s) {
			p.add("", "must match the pattern %s", r.Pattern)
		}
		if r.Format != "" && !formats[r.Format](s) {
			p.add("", "%s", FormatMessage(r.Format))
		}
	}
	if len(r.Enum) > 0 && !slices.Contains(r.Enum, fmt.Sprint(fv.Interface())) {
		p.add("", "must be one of %v", r.Enum)
	}
}

func number(v reflect.Value) float64 {
	switch {
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	}
	return v.Float()
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// formats are the string formats a field may declare, as JSON Schema names
// them.
var formats = map[string]func(string) bool{
	"email": IsEmail,
	"uri": func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
	},
	"date-time": func(s string) bool { _, err := time.Parse(time.RFC3339Nano, s); return err == nil },
	"date":      func(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil },
	"uuid":      uuidPattern.MatchString,
}

// IsEmail reports whether s looks like an email address, the check of the
// "email" format: exactly one @, a local part before it, a domain after it
// with a dot inside (not first, not last, never two in a row), and no
// spaces or control characters anywhere. It does not try to follow RFC
// 5322 (quoted local parts, comments, IP literals): only a message sent to
// the address proves it exists, and this catches the typos a person makes
// ("ada@example", "ada example.com", "ada@@example.com").
func IsEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// MinLengthMessage is the problem of a string shorter than min characters:
// "must not be empty" for 1, "must be at least 8 characters long" beyond.
func MinLengthMessage(min int) string {
	if min == 1 {
		return "must not be empty"
	}
	return fmt.Sprintf("must be at least %d characters long", min)
}

// FormatMessage is the problem of a string not of format: "must be a valid
// email address", "must be a valid date-time".
func FormatMessage(format string) string {
	if format == "email" {
		return "must be a valid email address"
	}
	return "must be a valid " + format
}
