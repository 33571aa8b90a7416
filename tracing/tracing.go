// Package tracing makes OpenTelemetry spans of a Pinion server's work: one
// for each HTTP request, one for each service call (attributes
// pinion.service, pinion.method, pinion.provider, pinion.id) with a child for
// each phase of its hook chain and for each database command it sends. A W3C
// traceparent is continued from HTTP requests and, for socket.io calls, from
// the headers of the socket's handshake.
//
// FromEnv exports spans over OTLP (HTTP/protobuf) when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set,
// with the other OTEL_* variables (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER,
// OTEL_EXPORTER_OTLP_HEADERS, …) read as the SDK reads them. Without it
// tracing is off and costs nothing: no observer is added to the app, no
// middleware to the server, no monitor to the driver.
//
// LogHandler wraps a slog handler so that records logged with a context carry
// its trace_id, span_id and request_id.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/pinionhq/pinion"
)

// ScopeName is the instrumentation scope of Pinion's spans.
const ScopeName = "github.com/pinionhq/pinion"

// Tracing makes the spans of one server. The nil *Tracing is valid and off.
type Tracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
}

// New returns tracing that makes spans with tp (the SDK's, or a test's with
// an in-memory exporter). Shutdown does not shut tp down.
func New(tp trace.TracerProvider) *Tracing {
	return &Tracing{
		tracer:     tp.Tracer(ScopeName),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		shutdown:   func(context.Context) error { return nil },
	}
}

// FromEnv returns tracing exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_SDK_DISABLED is not
// "true"), else nil: tracing off. service is the default service.name
// (OTEL_SERVICE_NAME overrides it). Call Shutdown at exit to flush the spans
// still buffered.
func FromEnv(ctx context.Context, service string) (*Tracing, error) {
	if !Configured(os.Getenv) {
		return nil, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := New(tp)
	t.shutdown = tp.Shutdown
	return t, nil
}

// Configured reports whether the environment asks for spans to be exported.
func Configured(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Enabled reports whether t makes spans.
func (t *Tracing) Enabled() bool { return t != nil }

// Shutdown flushes and stops the exporter FromEnv made.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Tracer is the tracer of Pinion's spans, for the application's own.
func (t *Tracing) Tracer() trace.Tracer { return t.tracer }

// Observe makes spans of app's service calls: nothing when t is nil.
func (t *Tracing) Observe(app *pinion.App) {
	if t != nil {
		app.Observe(observer{t})
	}
}

// Attribute keys of call spans.
const (
	AttrService  = attribute.Key("pinion.service")
	AttrMethod   = attribute.Key("pinion.method")
	AttrProvider = attribute.Key("pinion.provider")
	AttrID       = attribute.Key("pinion.id")
	AttrPhase    = attribute.Key("pinion.phase")
	AttrCode     = attribute.Key("pinion.code")
)

type observer struct{ t *Tracing }

func (o observer) Start(ctx context.Context, hc *pinion.HookContext, phase pinion.Phase) (context.Context, func(error)) {
	if phase != pinion.PhaseCall {
		ctx, span := o.t.tracer.Start(ctx, phase.String(), trace.WithAttributes(AttrPhase.String(phase.String())))
		return ctx, func(err error) { end(span, err) }
	}
	kind := trace.SpanKindInternal
	provider := hc.Params.Provider
	if provider == "" {
		provider = "internal"
	} else if !trace.SpanContextFromContext(ctx).IsValid() {
		// A socket call: its parent is the one its handshake named, if any.
		kind = trace.SpanKindServer
		if h := hc.Params.Headers; h != nil {
			ctx = o.t.propagator.Extract(ctx, propagation.HeaderCarrier(h))
		}
	}
	attrs := []attribute.KeyValue{AttrService.String(hc.Path), AttrMethod.String(string(hc.Method)), AttrProvider.String(provider)}
	if hc.ID != nil {
		attrs = append(attrs, AttrID.String(pinion.IDString(hc.ID)))
	}
	ctx, span := o.t.tracer.Start(ctx, hc.Path+" "+string(hc.Method), trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	return ctx, func(err error) { end(span, err) }
}

// end ends span with err: a failure of the server's (a 5xx) is an error of
// the span, recorded with its text; a refusal (a 4xx) is not, as OpenTelemetry
// has it for servers, and only its code is recorded.
func end(span trace.Span, err error) {
	if err != nil {
		code := pinion.ToError(err, false).Status()
		span.SetAttributes(AttrCode.Int(code))
		if code >= 500 {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}
