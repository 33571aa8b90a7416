package pinion

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// A service implements any subset of the six standard methods, each through one of
// these interfaces, plus custom methods registered with WithMethod.
//
// Ids arrive as the transport decoded them: a string over REST, a string or a
// float64 over sockets, anything from Go. Data is decoded JSON (map[string]any, or
// []any for multi create). A method returns a value that encodes to JSON.
type (
	Finder interface {
		Find(ctx context.Context, params *Params) (any, error)
	}
	Getter interface {
		Get(ctx context.Context, id any, params *Params) (any, error)
	}
	Creator interface {
		Create(ctx context.Context, data any, params *Params) (any, error)
	}
	Updater interface {
		Update(ctx context.Context, id any, data any, params *Params) (any, error)
	}
	Patcher interface {
		Patch(ctx context.Context, id any, data any, params *Params) (any, error)
	}
	Remover interface {
		Remove(ctx context.Context, id any, params *Params) (any, error)
	}
)

// CustomMethod is a custom service method. Like Feathers' custom methods it
// takes data and params; over REST it is called with POST and the
// X-Service-Method header. AddCustom and AddCustomOn register one that
// declares its types instead: its data is validated at the edge, and Go
// callers and the API documents know them.
type CustomMethod func(ctx context.Context, data any, params *Params) (any, error)

// MultiChecker is implemented by services that say which methods may work on
// several records at once (the adapters, from their Multi option). For them
// the dispatcher refuses a multi call of another method with 405 before any
// hook runs: a before hook that reshapes data (stamping one record) must
// never turn a refused list into an accepted record, and a call that hooks
// never see cannot slip past their validation.
type MultiChecker interface {
	AllowsMulti(method Method) bool
}

// Setuper is implemented by services that prepare themselves (open collections,
// create indexes) when the app starts.
type Setuper interface {
	Setup(ctx context.Context, app *App, path string) error
}

// Teardowner is implemented by services that release resources when the app stops.
type Teardowner interface {
	Teardown(ctx context.Context) error
}

// Service is a service registered on an App: the implementation plus its options,
// hooks and compiled hook chains. Calls made through it run the hooks.
type Service struct {
	app     *App
	path    string
	impl    any
	std     [standardMethods]invoker // the standard methods it has
	typed   codec                    // a typed service's types; nil for maps
	custom  map[Method]CustomMethod
	customs map[Method]*customDef // the typed ones (AddCustom, AddCustomOn)
	methods []Method              // exposed to external callers
	chosen  bool                  // methods were set by WithMethods
	events  []string              // custom events, emitted by application code only
	// protected fields never reach external callers, nor their queries
	protected []string
	docs      Docs
	owner     *owner // set by WithOwner
	// protectedPaths are the canonical paths of protected, for the query check
	protectedPaths []FieldPath
	// noKeys is set by WithoutIdempotency.
	noKeys bool

	mu         sync.Mutex // guards hooks
	hooks      hookStore
	chains     atomic.Pointer[chainSet]
	publishers publishers
}

// ServiceOption configures a service at registration.
type ServiceOption func(*Service)

// WithMethods sets the methods external callers (REST, sockets) may use. By default
// those are every standard method the service implements and every custom method.
// Methods not listed stay callable from Go.
func WithMethods(methods ...Method) ServiceOption {
	return func(s *Service) { s.methods, s.chosen = slices.Clone(methods), true }
}

// WithMethod registers a custom method.
func WithMethod(name Method, fn CustomMethod) ServiceOption {
	return func(s *Service) {
		if s.custom == nil {
			s.custom = make(map[Method]CustomMethod)
		}
		s.custom[name] = fn
	}
}

// WithEvents declares custom events the service emits itself with Emit. A standard
// event name listed here is no longer emitted automatically.
func WithEvents(events ...string) ServiceOption {
	return func(s *Service) { s.events = append(s.events, events...) }
}

// Docs describe a service for its API documentation (package openapi).
type Docs struct {
	// Summary is a line about the service; Description says more.
	Summary, Description string
	// Secured lists the methods that need authentication (All for all of
	// them): the documentation asks for a Bearer token there. It describes
	// what the service's hooks do; it does not make them.
	Secured []Method
	// Operations are one-line summaries of methods, where the generic ones
	// ("Create messages") say too little.
	Operations map[Method]string
	// Data, Patch and Result are JSON Schema documents of the records of a
	// service that works on maps: what create and update take, what patch
	// takes, what the methods answer. A typed service's come from its struct.
	// A map service's query is described from Result's properties.
	Data, Patch, Result string
	// Failures lists, by method, the HTTP statuses of the errors a method
	// answers beyond those the documentation knows of itself (400, 500 and
	// 503 everywhere; 401 and 403 where Secured; 404 where a record is
	// named; 409 and 413 for writes): 401 and 429 for a login, say.
	Failures map[Method][]int
}

// WithDocs describes the service for its API documentation.
func WithDocs(d Docs) ServiceOption { return func(s *Service) { s.docs = d } }

// Docs returns what WithDocs said about the service.
func (s *Service) Docs() Docs { return s.docs }

// Secures reports whether the documentation says method needs authentication.
func (d Docs) Secures(method Method) bool {
	return slices.Contains(d.Secured, All) || slices.Contains(d.Secured, method)
}

// WithHooks registers hooks together with the service.
func WithHooks(h Hooks) ServiceOption {
	return func(s *Service) { s.hooks.add(h) }
}

// Path is the service path without leading or trailing slashes.
func (s *Service) Path() string { return s.path }

// Impl returns the implementation passed to App.Use.
func (s *Service) Impl() any { return s.impl }

// App returns the app the service is registered on.
func (s *Service) App() *App { return s.app }

// Methods returns the methods external callers may use.
func (s *Service) Methods() []Method { return slices.Clone(s.methods) }

// Exposes reports whether external callers may use method.
func (s *Service) Exposes(method Method) bool { return slices.Contains(s.methods, method) }

// Has reports whether the service implements method at all.
func (s *Service) Has(method Method) bool {
	if i := methodIndex(method); i >= 0 {
		return s.std[i] != nil
	}
	_, ok := s.custom[method]
	return ok
}

// methodIndex is the place of a standard method in StandardMethods, or -1.
func methodIndex(m Method) int {
	switch m {
	case MethodFind:
		return 0
	case MethodGet:
		return 1
	case MethodCreate:
		return 2
	case MethodUpdate:
		return 3
	case MethodPatch:
		return 4
	case MethodRemove:
		return 5
	}
	return -1
}

// standardMethods is the number of standard methods.
const standardMethods = 6

// An invoker calls one standard method of the implementation with what the
// hook context holds.
type invoker func(ctx context.Context, hc *HookContext) (any, error)

// invokers are the standard methods of a service working on maps: the
// interfaces it implements.
func invokers(impl any) (std [standardMethods]invoker) {
	if f, ok := impl.(Finder); ok {
		std[0] = func(ctx context.Context, hc *HookContext) (any, error) { return f.Find(ctx, hc.Params) }
	}
	if g, ok := impl.(Getter); ok {
		std[1] = func(ctx context.Context, hc *HookContext) (any, error) { return g.Get(ctx, hc.ID, hc.Params) }
	}
	if c, ok := impl.(Creator); ok {
		std[2] = func(ctx context.Context, hc *HookContext) (any, error) { return c.Create(ctx, hc.Data, hc.Params) }
	}
	if u, ok := impl.(Updater); ok {
		std[3] = func(ctx context.Context, hc *HookContext) (any, error) {
			return u.Update(ctx, hc.ID, hc.Data, hc.Params)
		}
	}
	if p, ok := impl.(Patcher); ok {
		std[4] = func(ctx context.Context, hc *HookContext) (any, error) {
			return p.Patch(ctx, hc.ID, hc.Data, hc.Params)
		}
	}
	if r, ok := impl.(Remover); ok {
		std[5] = func(ctx context.Context, hc *HookContext) (any, error) { return r.Remove(ctx, hc.ID, hc.Params) }
	}
	return std
}

// Events returns the custom events declared with WithEvents.
func (s *Service) Events() []string { return slices.Clone(s.events) }

// Hooks adds hooks to the service. They run after the app's hooks. It panics
// when h names a method the service does not have.
func (s *Service) Hooks(h Hooks) *Service {
	s.checkHooks(h)
	s.mu.Lock()
	s.hooks.add(h)
	s.mu.Unlock()
	s.app.hookGen.Add(1)
	return s
}

func (s *Service) checkHooks(h Hooks) {
	h.check(s.String(), s.Has, s.implemented())
}

// implemented lists every method the service has, exposed or not.
func (s *Service) implemented() []Method {
	var out []Method
	for _, m := range StandardMethods {
		if s.Has(m) {
			out = append(out, m)
		}
	}
	return append(out, slices.Sorted(maps.Keys(s.custom))...)
}

// Find runs find through the hook chain.
func (s *Service) Find(ctx context.Context, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodFind, nil, nil, params))
}

// Get runs get through the hook chain.
func (s *Service) Get(ctx context.Context, id any, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodGet, id, nil, params))
}

// Create runs create through the hook chain.
func (s *Service) Create(ctx context.Context, data any, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodCreate, nil, data, params))
}

// Update runs update through the hook chain.
func (s *Service) Update(ctx context.Context, id, data any, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodUpdate, id, data, params))
}

// Patch runs patch through the hook chain.
func (s *Service) Patch(ctx context.Context, id, data any, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodPatch, id, data, params))
}

// Remove runs remove through the hook chain.
func (s *Service) Remove(ctx context.Context, id any, params *Params) (any, error) {
	return s.result(s.Call(ctx, MethodRemove, id, nil, params))
}

func (s *Service) result(hc *HookContext, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return hc.Result, nil
}

// Call runs any method, standard or custom, through the hook chain and returns the
// final hook context, from which transports read the result, the dispatch value and
// the HTTP details. For a custom method the payload goes in data; id is ignored.
//
// Call does not check that the method is exposed: that is the transports' job, since
// Go code may call every method.
func (s *Service) Call(ctx context.Context, method Method, id, data any, params *Params) (*HookContext, error) {
	if params == nil {
		params = &Params{}
	}
	a := s.app
	if params.Provider == "" {
		return s.observedCall(ctx, method, id, data, params, nil)
	}
	if a.callTimeout <= 0 && a.available == nil && a.idempotency == nil {
		takeKeyParam(params) // keys are ignored, and no adapter sees them
		return s.observedCall(ctx, method, id, data, params, nil)
	}
	idem, err := s.idempotencyKey(method, id, data, params)
	if err != nil {
		return nil, err
	}
	return s.bounded(ctx, method, func(ctx context.Context) (*HookContext, error) {
		return s.observedCall(ctx, method, id, data, params, idem)
	})
}

// observedCall is call, told to the app's observer if it has one; idem is the
// call's idempotency key, if any.
func (s *Service) observedCall(ctx context.Context, method Method, id, data any, params *Params, idem *idemCall) (*HookContext, error) {
	if obs := s.app.observerOf(); obs != nil {
		hc := &HookContext{App: s.app, Service: s, Path: s.path, Method: method, Type: TypeAround, ID: id, Data: data, Params: params, idem: idem}
		ctx, end := obs.Start(ctx, hc, PhaseCall)
		res, err := s.call(ctx, method, id, data, params, hc)
		end(err)
		return res, err
	}
	if idem != nil {
		hc := &HookContext{App: s.app, Service: s, Path: s.path, Method: method, Type: TypeAround, ID: id, Data: data, Params: params, idem: idem}
		return s.call(ctx, method, id, data, params, hc)
	}
	return s.call(ctx, method, id, data, params, nil)
}

// call is Call; hc, when not nil, is the hook context to use (an observed
// call's, made before the checks).
func (s *Service) call(ctx context.Context, method Method, id, data any, params *Params, hc *HookContext) (*HookContext, error) {
	if !s.Has(method) {
		return nil, MethodNotAllowed("Method '%s' not allowed on service '%s'", method, s.path)
	}
	if params.Provider != "" {
		if err := checkQuery(params.Query, s.protectedPaths, s.app.queryLimits); err != nil {
			return nil, err
		}
	}
	if s.typed != nil {
		var err error
		if id, data, err = s.typed.in(method, id, data, params.Provider != ""); err != nil {
			return nil, err
		}
		if params.Provider != "" {
			if err := s.typed.query(params.Query); err != nil {
				return nil, err
			}
		}
	}
	if def := s.customs[method]; def != nil {
		var err error
		if id, data, err = def.in(id, data, params.Provider != ""); err != nil {
			return nil, err
		}
	}
	if mc, ok := s.impl.(MultiChecker); ok && isMulti(method, id, data) && !mc.AllowsMulti(method) {
		return nil, MethodNotAllowed("Can not %s multiple entries", method)
	}
	if hc == nil {
		hc = &HookContext{App: s.app, Service: s, Path: s.path, Method: method, Type: TypeAround, ID: id, Data: data, Params: params}
	} else {
		hc.ID, hc.Data = id, data // as the typed service converted them
	}
	err := s.chain(method).run(ctx, hc)
	return hc, err
}

// invoke calls the implementation of hc.Method.
func (s *Service) invoke(ctx context.Context, hc *HookContext) (any, error) {
	if i := methodIndex(hc.Method); i >= 0 {
		return s.std[i](ctx, hc)
	}
	if def := s.customs[hc.Method]; def != nil {
		return def.invoke(ctx, hc)
	}
	return s.custom[hc.Method](ctx, hc.Data, hc.Params)
}

// Emit sends a custom event (declared with WithEvents) to the app's event listeners,
// and so to channels. It is how a service publishes something that is not the
// result of a call, like "typing".
func (s *Service) Emit(ctx context.Context, event string, data any) {
	s.app.emit(ctx, Event{Path: s.path, Name: event, Data: data})
}

func (s *Service) String() string { return fmt.Sprintf("service %q", s.path) }
