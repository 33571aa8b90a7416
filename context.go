package pinion

import (
	"net/http"
	"reflect"
)

// Method names a service method: one of the six standard methods, a custom
// method registered with WithMethod, or All in hook registrations.
type Method string

// The standard service methods.
const (
	MethodFind   Method = "find"
	MethodGet    Method = "get"
	MethodCreate Method = "create"
	MethodUpdate Method = "update"
	MethodPatch  Method = "patch"
	MethodRemove Method = "remove"
)

// StandardMethods lists the six standard methods in Feathers' order.
var StandardMethods = []Method{MethodFind, MethodGet, MethodCreate, MethodUpdate, MethodPatch, MethodRemove}

// IsStandardMethod reports whether m is one of the six standard methods.
func IsStandardMethod(m Method) bool {
	switch m {
	case MethodFind, MethodGet, MethodCreate, MethodUpdate, MethodPatch, MethodRemove:
		return true
	}
	return false
}

// defaultEvent maps a method to the event it emits on success.
func defaultEvent(method Method) string {
	switch method {
	case MethodCreate:
		return "created"
	case MethodUpdate:
		return "updated"
	case MethodPatch:
		return "patched"
	case MethodRemove:
		return "removed"
	}
	return ""
}

// HookType tells a hook where in the chain it runs.
type HookType string

const (
	TypeAround HookType = "around"
	TypeBefore HookType = "before"
	TypeAfter  HookType = "after"
	TypeError  HookType = "error"
)

// HookContext is the state of one service call, shared by every hook of the chain
// and by the transport that made the call.
type HookContext struct {
	App     *App
	Service *Service
	Path    string
	Method  Method
	// Type is before, after or error inside those hooks, around otherwise.
	Type HookType

	ID     any
	Data   any
	Params *Params

	// Result is what the method returned. Setting it (non-nil, or with SetResult) in a
	// before or around hook skips the method; setting it in an error hook swallows
	// the error.
	Result any
	// Dispatch, when set, is what external callers receive instead of Result (for
	// example Result without secrets). Events carry Result to channels, which send
	// Dispatch when present.
	Dispatch any
	// Error is the failure, inside error hooks.
	Error error
	// HTTP lets hooks choose the REST status code, headers and redirect.
	HTTP HTTP
	// Event is the service event emitted on success ("created", …). Set it to "" to
	// suppress the event, or to another name to emit that instead.
	Event string

	resultSet bool
	// idem is the idempotency key of an external write that carries one;
	// replayed is set when the method did not run because the key had
	// answered already (see idempotency.go).
	idem     *idemCall
	replayed bool
}

// HTTP holds REST response details a hook may set.
type HTTP struct {
	// Status overrides the status code chosen by the transport.
	Status int
	// Headers are added to the response.
	Headers http.Header
	// Location, when set, is sent as the Location header with status 303.
	Location string
}

// SetResult sets Result, even to nil: a before or around hook calling it skips the
// method, and an error hook calling it swallows the error.
func (c *HookContext) SetResult(v any) {
	c.Result = v
	c.resultSet = true
}

// HasResult reports whether Result was set.
func (c *HookContext) HasResult() bool { return c.resultSet || c.Result != nil }

func (c *HookContext) clearResult() {
	c.Result = nil
	c.resultSet = false
}

// External is what an external caller receives: Dispatch if set, else Result.
func (c *HookContext) External() any {
	if c.Dispatch != nil {
		return c.Dispatch
	}
	return c.Result
}

// IsMulti reports whether the call works on several records: find, create with an
// array, or patch/remove without an id.
func (c *HookContext) IsMulti() bool {
	return c.Method == MethodFind || isMulti(c.Method, c.ID, c.Data)
}

// isMulti reports whether a call changes several records: create with a
// list, patch or remove without an id.
func isMulti(method Method, id, data any) bool {
	switch method {
	case MethodCreate:
		return isArray(data)
	case MethodPatch, MethodRemove:
		return id == nil
	}
	return false
}

func isArray(v any) bool {
	switch v.(type) {
	case []any, []map[string]any:
		return true
	case nil, map[string]any:
		return false
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Slice && structs(rv.Type().Elem())
}
