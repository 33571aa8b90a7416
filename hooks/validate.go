package hooks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pinionhq/pinion"
)

// Validate returns a before hook that checks the call's data (each record of a
// list) against a JSON Schema (draft 2020-12, formats asserted). A failure is a
// BadRequest "validation failed" whose data lists every problem as
// {"instancePath": "/email", "message": "…"}, the shape Feathers' schema hooks
// give. The schema is compiled once; an invalid schema panics at registration.
func Validate(schema string) pinion.Hook {
	sch := compile(schema)
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

func compile(schema string) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		panic(fmt.Sprintf("hooks.Validate: invalid schema: %v", err))
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
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
		return pinion.BadRequest("validation failed: %v", err)
	}
	var problems []any
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			problems = append(problems, map[string]any{
				"instancePath": prefix + u.InstanceLocation,
				"message":      u.Error.String(),
			})
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.BasicOutput())
	if len(problems) == 0 {
		problems = append(problems, map[string]any{"instancePath": prefix, "message": ve.Error()})
	}
	return pinion.BadRequest("validation failed").WithData(problems)
}
