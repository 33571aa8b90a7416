package pinion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// App is a Pinion application: a registry of services with app-wide hooks, values
// and event listeners. Transports (REST, socket.io) call its services; it imports
// neither transports nor databases.
type App struct {
	logger       *slog.Logger
	exposeErrors bool

	mu       sync.Mutex // guards services, hooks, values and the setup state
	services []*Service // in registration order
	ready    map[*Service]bool
	hooks    hookStore
	hookGen  atomic.Uint64 // bumped on every hook registration; invalidates compiled chains
	router   atomic.Pointer[router]
	values   map[string]any

	listeners  atomic.Pointer[[]*listener]
	channels   channelRegistry
	publishers publishers
	fallback   atomic.Pointer[Publisher]
	lifecycle  lifecycle
	observer   atomic.Pointer[Observer] // see Observe
	history    history
	relay      atomic.Pointer[func(context.Context, Event)]
	instance   string // in event ids
	presence   presence
	owned      atomic.Bool // a service WithOwner is registered: events are narrowed
	// queryLimits bound external queries (WithQueryLimits).
	queryLimits QueryLimits

	// See outcome.go and idempotency.go.
	callTimeout time.Duration
	available   func() error
	idempotency *idempotency
}

// Option configures an App.
type Option func(*App)

// WithLogger sets the logger the app and its transports use (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *App) { a.logger = l } }

// WithExposedErrors makes unexpected (non-Feathers) errors reach clients with their
// original message, as Feathers does. Use it in development only: in production
// clients see "Internal server error" and the message goes to the log.
func WithExposedErrors(expose bool) Option { return func(a *App) { a.exposeErrors = expose } }

// New returns an empty app.
func New(opts ...Option) *App {
	a := &App{logger: slog.Default(), ready: map[*Service]bool{}, values: map[string]any{}, instance: randomID(5), queryLimits: DefaultQueryLimits}
	a.history.opts = HistoryOptions{}.withDefaults()
	a.history.epoch = randomID(5)
	for _, o := range opts {
		o(a)
	}
	a.router.Store(&router{})
	return a
}

// Logger returns the app's logger.
func (a *App) Logger() *slog.Logger { return a.logger }

// Use registers a service at path and returns it. Path may contain placeholders,
// e.g. "/:orgId/projects", whose values calls receive in Params.Route.
//
// Use panics when the path is empty or taken, or when svc implements no method:
// like http.ServeMux, a wrong registration is a programming error.
func (a *App) Use(path string, svc any, opts ...ServiceOption) *Service {
	return a.use(path, svc, invokers(svc), nil, opts)
}

// use registers a service whose standard methods are std; see Use and the
// typed Use.
func (a *App) use(path string, svc any, std [standardMethods]invoker, typed codec, opts []ServiceOption) *Service {
	path = CleanPath(path)
	if path == "" {
		panic("pinion: empty service path")
	}
	s := &Service{app: a, path: path, impl: svc, std: std, typed: typed}
	if typed != nil {
		s.protected = typed.protected()
	}
	for _, o := range opts {
		o(s)
	}
	s.protectedPaths = fieldPaths(s.protected)
	if !slices.ContainsFunc(StandardMethods, s.Has) && len(s.custom) == 0 {
		panic(fmt.Sprintf("pinion: invalid service object passed for path %q: it implements no method", path))
	}
	if s.methods == nil {
		s.methods = s.implemented()
	}
	for _, m := range s.methods {
		if !s.Has(m) {
			panic(fmt.Sprintf("pinion: service %q exposes %q, which it does not implement", path, m))
		}
	}
	s.checkHooks(s.hooks.registration())

	a.mu.Lock()
	defer a.mu.Unlock()
	for _, o := range a.services {
		if o.path == path {
			panic(fmt.Sprintf("pinion: a service is already registered at %q", path))
		}
	}
	a.services = append(a.services, s)
	r := &router{}
	for _, s := range a.services {
		r.insert(s)
	}
	a.router.Store(r)
	return s
}

// Service returns the service registered at exactly path (placeholders included,
// e.g. ":orgId/projects"), or nil.
func (a *App) Service(path string) *Service {
	path = CleanPath(path)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.services {
		if s.path == path {
			return s
		}
	}
	return nil
}

// Lookup resolves a service path to a service, filling placeholder values. It is
// what the socket transport uses: "org1/projects" finds ":orgId/projects" with
// orgId=org1.
func (a *App) Lookup(path string) (*Service, map[string]string) {
	var buf [8]string // on the stack: paths are short, and this runs on every socket call
	segs := buf[:0]
	for seg := range strings.SplitSeq(CleanPath(path), "/") {
		segs = append(segs, seg)
	}
	m, _ := a.router.Load().lookup(segs, false)
	return m.service, m.route
}

// LookupID resolves the segments of a REST path, already unescaped one by one,
// where the last segment may be an id: ["messages", "5"] is the service
// "messages" with id "5". A literal segment wins over an id or a placeholder,
// as in Feathers' router. It reports false when no service matches.
func (a *App) LookupID(segments []string) (svc *Service, route map[string]string, id string, hasID bool) {
	m, ok := a.router.Load().lookup(segments, true)
	if !ok {
		return nil, nil, "", false
	}
	return m.service, m.route, m.id, m.hasID
}

// Services returns the registered services in registration order.
func (a *App) Services() []*Service {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.services)
}

// Hooks adds app-wide hooks: they run for every service, around the service's own.
// Their keys are All, standard methods, or custom methods of services registered
// before; Hooks panics for any other key.
func (a *App) Hooks(h Hooks) *App {
	known := slices.Clone(StandardMethods)
	for _, s := range a.Services() {
		for m := range s.custom {
			if !slices.Contains(known, m) {
				known = append(known, m)
			}
		}
	}
	h.check("the app", func(m Method) bool { return slices.Contains(known, m) }, known)
	a.mu.Lock()
	a.hooks.add(h)
	a.mu.Unlock()
	a.hookGen.Add(1)
	return a
}

func (a *App) hookSnapshot() hookStore {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hooks
}

// Set stores an app-wide value (configuration, shared clients).
func (a *App) Set(key string, value any) {
	a.mu.Lock()
	a.values[key] = value
	a.mu.Unlock()
}

// Get returns a value stored with Set, or nil.
func (a *App) Get(key string) any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.values[key]
}

// Setup prepares every service that implements Setuper and was not set up yet, in
// registration order. Call it once all services are registered, before serving;
// calling it again sets up services registered since.
func (a *App) Setup(ctx context.Context) error {
	for _, s := range a.Services() {
		a.mu.Lock()
		done := a.ready[s]
		a.mu.Unlock()
		if done {
			continue
		}
		if su, ok := s.impl.(Setuper); ok {
			if err := su.Setup(ctx, a, s.path); err != nil {
				return fmt.Errorf("setup of %s: %w", s, err)
			}
		}
		a.mu.Lock()
		a.ready[s] = true
		a.mu.Unlock()
	}
	return nil
}

// Teardown releases every set-up service that implements Teardowner, in reverse
// registration order, and reports all failures.
func (a *App) Teardown(ctx context.Context) error {
	services := a.Services()
	var errs []error
	for _, s := range slices.Backward(services) {
		a.mu.Lock()
		done := a.ready[s]
		delete(a.ready, s)
		a.mu.Unlock()
		if !done {
			continue
		}
		if td, ok := s.impl.(Teardowner); ok {
			if err := td.Teardown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("teardown of %s: %w", s, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ExternalError converts err into what a client may see (see ToError) and logs
// failures that are not Feathers errors, whose details the client does not get.
// Transports call it for every failed call.
func (a *App) ExternalError(ctx context.Context, err error) *Error {
	fe := ToError(err, a.exposeErrors)
	if errors.Is(err, context.Canceled) {
		// The caller went away; nobody will read the answer.
		a.logger.DebugContext(ctx, "service call cancelled", "error", err)
		return fe
	}
	if fe.Code >= 500 {
		a.logger.ErrorContext(ctx, "service call failed", "error", err)
	}
	return fe
}
