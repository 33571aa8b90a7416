// Package metrics exposes a Pinion server's figures in the Prometheus text
// format, through the official client library (prometheus/client_golang):
//
//   - service calls by service, method, provider and result code, with their
//     latency, and hook errors (an Observer of the app: Observe);
//   - HTTP requests by route and status (Gin, a gin middleware);
//   - socket.io connections, channel deliveries and dropped deliveries
//     (Sockets, read from socketio.Server.Stats at each scrape);
//   - logins, throttled logins, revocations and refreshes (Authentication,
//     from authentication.Service.Stats);
//   - the database's readiness (Database) and its driver's connection pool
//     (PoolMonitor);
//   - events shared with other instances (ClusterEvent, which the server
//     hands to package cluster as cluster.Options.Counted);
//   - the Go runtime and the process (CPU, memory, file descriptors).
//
// Every metric is named pinion_*, except the runtime's go_* and process_*.
// docs/operations.md lists them with a dashboard query for each. Package
// serve wires it all when serve.Options.Metrics is set; Handler serves the
// scrape.
//
// Label values are bounded: services and methods are the registered ones,
// routes are the server's patterns, strategies the registered strategies,
// so a client cannot make new series by calling names that do not exist.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pinionhq/pinion"
)

// Metrics is a registry of a server's metrics.
type Metrics struct {
	reg *prometheus.Registry

	calls        *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	hookErrors   *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	cluster *prometheus.CounterVec

	pool *pool

	mu     sync.RWMutex
	series map[seriesKey]*callSeries // the label lookups of each kind of call, done once
}

type seriesKey struct {
	svc      *pinion.Service
	method   pinion.Method
	provider string
}

// callSeries are the series of one service, method and provider.
type callSeries struct {
	ok       prometheus.Counter
	duration prometheus.Observer
}

func (m *Metrics) seriesOf(hc *pinion.HookContext) *callSeries {
	k := seriesKey{hc.Service, hc.Method, hc.Params.Provider}
	m.mu.RLock()
	cs := m.series[k]
	m.mu.RUnlock()
	if cs != nil {
		return cs
	}
	service, method, provider := labels(hc)
	cs = &callSeries{
		ok:       m.calls.WithLabelValues(service, method, provider, "ok"),
		duration: m.callDuration.WithLabelValues(service, method, provider),
	}
	m.mu.Lock()
	if m.series == nil {
		m.series = map[seriesKey]*callSeries{}
	}
	if prev := m.series[k]; prev != nil {
		cs = prev
	} else {
		m.series[k] = cs
	}
	m.mu.Unlock()
	return cs
}

// DurationBuckets are the latency histograms' buckets, in seconds.
var DurationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns the metrics of one server, with the Go runtime and process
// collectors registered.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pinion_service_calls_total",
		Help: "Service calls that ended, by service path, method, provider (rest, socketio, internal) and code (ok, or the Feathers error code; 499 for a caller gone).",
	}, []string{"service", "method", "provider", "code"})
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pinion_service_call_duration_seconds",
		Help:    "Duration of service calls, from the dispatcher to the answer (hooks, method and events), by service, method and provider.",
		Buckets: DurationBuckets,
	}, []string{"service", "method", "provider"})
	m.hookErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pinion_hook_errors_total",
		Help: "Errors returned by before, after and error hooks (not by the method), by service, method, level (app, service) and type.",
	}, []string{"service", "method", "level", "type"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pinion_http_requests_total",
		Help: "HTTP requests answered, by route (the server's pattern; \"services\" for REST service paths), method and status.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pinion_http_request_duration_seconds",
		Help:    "Duration of HTTP requests by route (long-polling and WebSocket requests of /socket.io/ last as long as they are open).",
		Buckets: DurationBuckets,
	}, []string{"route"})
	m.cluster = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pinion_cluster_events_total",
		Help: "Service events shared with other instances, by direction (out: published, in: received).",
	}, []string{"direction"})
	m.reg.MustRegister(m.calls, m.callDuration, m.hookErrors, m.httpRequests, m.httpDuration, m.cluster)
	return m
}

// Registry is the registry, for collectors of the application's own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Observe makes m count the service calls and hook errors of app. See
// pinion.Observer: every call is counted, those refused before any hook
// too, whatever app-level hooks do.
func (m *Metrics) Observe(app *pinion.App) { app.Observe(observer{m}) }

type observer struct{ m *Metrics }

func noop(error) {}

func (o observer) Start(ctx context.Context, hc *pinion.HookContext, phase pinion.Phase) (context.Context, func(error)) {
	switch {
	case phase == pinion.PhaseCall:
		start := time.Now()
		return ctx, func(err error) {
			cs := o.m.seriesOf(hc)
			cs.duration.Observe(time.Since(start).Seconds())
			if err == nil {
				cs.ok.Inc()
				return
			}
			service, method, provider := labels(hc)
			o.m.calls.WithLabelValues(service, method, provider, Code(err)).Inc()
		}
	case phase.Hooks() != "":
		return ctx, func(err error) {
			if err != nil {
				service, method, _ := labels(hc)
				o.m.hookErrors.WithLabelValues(service, method, phase.Level(), string(phase.Hooks())).Inc()
			}
		}
	}
	return ctx, noop
}

// labels are a call's service, method and provider labels.
func labels(hc *pinion.HookContext) (service, method, provider string) {
	method = string(hc.Method)
	if !hc.Service.Has(hc.Method) {
		method = "other" // only Go code can call a method that does not exist
	}
	provider = hc.Params.Provider
	if provider == "" {
		provider = "internal"
	}
	return hc.Path, method, provider
}

// Code is the code label of a call's error: "ok" for none, the Feathers
// error code (the HTTP status REST answers with) otherwise, 499 when the
// caller went away.
func Code(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, context.Canceled) {
		var fe *pinion.Error
		if !errors.As(err, &fe) {
			return "499"
		}
	}
	return strconv.Itoa(pinion.ToError(err, false).Status())
}

// ClusterEvent counts one service event shared with other instances: one
// received from them when received is true, one published to them
// otherwise. It is what cluster.Options.Counted takes.
func (m *Metrics) ClusterEvent(received bool) {
	direction := "out"
	if received {
		direction = "in"
	}
	m.cluster.WithLabelValues(direction).Inc()
}
