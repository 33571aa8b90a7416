package tracing

import (
	"context"
	"strconv"
	"sync"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// CommandMonitor returns a MongoDB driver command monitor
// (options.Client().SetMonitor) that makes a client span of each command sent
// for a traced call: "<command> <collection>", with the database semantic
// conventions' attributes. Commands sent outside any span (the driver's
// background work, readiness pings, the authentication store's sync) make
// none. Nil when t is nil.
//
// (go.opentelemetry.io/contrib's otelmongo for driver v2 is not served to this
// project, hence a monitor of its own; it follows the same conventions.)
func (t *Tracing) CommandMonitor() *event.CommandMonitor {
	if t == nil {
		return nil
	}
	m := &commands{t: t}
	return &event.CommandMonitor{Started: m.started, Succeeded: m.succeeded, Failed: m.failed}
}

type commands struct {
	t     *Tracing
	spans sync.Map // commandKey → trace.Span
}

type commandKey struct {
	conn string
	id   int64
}

func (m *commands) started(ctx context.Context, e *event.CommandStartedEvent) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	name := e.CommandName
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", "mongodb"),
		attribute.String("db.namespace", e.DatabaseName),
		attribute.String("db.operation.name", e.CommandName),
	}
	// The collection is the value of the command's first element:
	// {insert: "messages", …}.
	if v, err := e.Command.IndexErr(0); err == nil {
		if coll, ok := v.Value().StringValueOK(); ok && coll != "" {
			name += " " + coll
			attrs = append(attrs, attribute.String("db.collection.name", coll))
		}
	}
	_, span := m.t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	m.spans.Store(commandKey{e.ConnectionID, e.RequestID}, span)
}

func (m *commands) finished(e event.CommandFinishedEvent, err error) {
	v, ok := m.spans.LoadAndDelete(commandKey{e.ConnectionID, e.RequestID})
	if !ok {
		return
	}
	span := v.(trace.Span)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attribute.String("db.response.duration", strconv.FormatInt(e.Duration.Microseconds(), 10)+"us"))
	span.End()
}

func (m *commands) succeeded(_ context.Context, e *event.CommandSucceededEvent) {
	m.finished(e.CommandFinishedEvent, nil)
}

func (m *commands) failed(_ context.Context, e *event.CommandFailedEvent) {
	m.finished(e.CommandFinishedEvent, e.Failure)
}
