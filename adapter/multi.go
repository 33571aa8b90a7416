package adapter

import (
	"slices"

	"github.com/pinionhq/pinion"
)

// AllowsMulti reports whether method may work on several records. find always
// may; get and update never do.
func (o *Options) AllowsMulti(method pinion.Method) bool {
	switch method {
	case pinion.MethodFind:
		return true
	case pinion.MethodGet, pinion.MethodUpdate:
		return false
	}
	return slices.Contains(o.Multi, method)
}

// CheckMulti applies Feathers' multi rules to a call, with its exact errors:
// update never replaces several records, create with a list and patch or remove
// without an id need the method in Multi.
func (o *Options) CheckMulti(method pinion.Method, id, data any) error {
	multi := false
	switch method {
	case pinion.MethodUpdate:
		if id == nil || isList(data) {
			return pinion.BadRequest("You can not replace multiple instances. Did you mean 'patch'?")
		}
	case pinion.MethodCreate:
		multi = isList(data)
	case pinion.MethodPatch, pinion.MethodRemove:
		multi = id == nil
	}
	if multi && !o.AllowsMulti(method) {
		return pinion.MethodNotAllowed("Can not %s multiple entries", method)
	}
	return nil
}

func isList(v any) bool {
	switch v.(type) {
	case []any, []map[string]any:
		return true
	}
	return false
}
