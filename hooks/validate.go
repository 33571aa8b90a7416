package hooks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/schema"
)

// Validate returns a before hook that checks the call's data (each record of a
// list) against a JSON Schema (draft 2020-12, formats asserted). A failure is a
// BadRequest whose message names the first problem ("Invalid data: 'email'
// must be a valid email") and whose data lists every problem as
// {"instancePath": "/email", "message": "must be a valid email"}: the shape
// of Feathers' schema hooks, in the words of a typed service's refusals
// (pinion.Use), so that a client shows both the same way. Format "email" is
// schema.IsEmail's. The schema is compiled once; an invalid schema panics at
// registration.
func Validate(src string) pinion.Hook {
	sch := compile(src)
	return func(ctx context.Context, hc *pinion.HookContext) error {
		switch d := hc.Data.(type) {
		case []any:
			for i, e := range d {
				if err := check(sch, e, fmt.Sprintf("/%d", i)); err != nil {
					return err
				}
			}
			return nil
		case map[string]any, nil:
			return check(sch, d, "")
		}
		// A typed service's data: its JSON form is checked.
		recs := pinion.Records(hc.Data)
		if len(recs) == 0 {
			return check(sch, hc.Data, "")
		}
		for i, r := range recs {
			prefix := ""
			if len(recs) > 1 {
				prefix = fmt.Sprintf("/%d", i)
			}
			if err := check(sch, r.Map(), prefix); err != nil {
				return err
			}
		}
		return nil
	}
}

func compile(src string) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		panic(fmt.Sprintf("hooks.Validate: invalid schema: %v", err))
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "email", Validate: func(v any) error {
		if s, ok := v.(string); ok && !schema.IsEmail(s) {
			return errors.New("not an email address")
		}
		return nil
	}})
	if err := c.AddResource("schema.json", doc); err != nil {
		panic(fmt.Sprintf("hooks.Validate: invalid schema: %v", err))
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		panic(fmt.Sprintf("hooks.Validate: invalid schema: %v", err))
	}
	return sch
}

func check(sch *jsonschema.Schema, v any, prefix string) error {
	err := sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return pinion.BadRequest("Invalid data: %v", err)
	}
	var problems []schema.Problem
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			problems = append(problems, describe(prefix+u.InstanceLocation, u.Error)...)
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.BasicOutput())
	if len(problems) == 0 {
		problems = append(problems, schema.Problem{Path: prefix, Message: ve.Error()})
	}
	data := make([]any, len(problems))
	for i, p := range problems {
		data[i] = map[string]any{"instancePath": p.Path, "message": p.Message}
	}
	se := &schema.Error{Problems: problems}
	return pinion.BadRequest("Invalid data: %s", se.Summary()).WithData(data)
}

// describe words the problem e at path as the schema package words a typed
// service's ("is required", "must be at least 8 characters long"), one
// problem per field; kinds it has no words for keep the validator's.
func describe(path string, e *jsonschema.OutputError) []schema.Problem {
	one := func(format string, args ...any) []schema.Problem {
		return []schema.Problem{{Path: path, Message: fmt.Sprintf(format, args...)}}
	}
	each := func(names []string, message string) []schema.Problem {
		out := make([]schema.Problem, len(names))
		for i, n := range names {
			out[i] = schema.Problem{Path: path + "/" + n, Message: message}
		}
		return out
	}
	switch k := e.Kind.(type) {
	case *kind.Required:
		return each(k.Missing, "is required")
	case *kind.AdditionalProperties:
		return each(k.Properties, "is not a field")
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = article(w)
		}
		return one("must be %s", strings.Join(want, " or "))
	case *kind.MinLength:
		return one("%s", schema.MinLengthMessage(k.Want))
	case *kind.MaxLength:
		return one("must be at most %d characters long", k.Want)
	case *kind.Format:
		return one("%s", schema.FormatMessage(k.Want))
	case *kind.Pattern:
		return one("must match the pattern %s", k.Want)
	case *kind.Enum:
		return one("must be one of %v", k.Want)
	case *kind.Minimum:
		return one("must be at least %s", k.Want.RatString())
	case *kind.Maximum:
		return one("must be at most %s", k.Want.RatString())
	}
	return one("%s", e.String())
}

// article is a JSON type with its article: "a string", "an object".
func article(t string) string {
	switch t {
	case "object", "array", "integer":
		return "an " + t
	}
	return "a " + t
}
