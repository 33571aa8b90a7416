package tracing_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/tracing"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

const (
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + traceID + "-" + parentSpan + "-01"
)

func setup(t *testing.T, logs *bytes.Buffer) (*tracetest.InMemoryExporter, string) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	logger := slog.New(tracing.LogHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	app := pinion.New(pinion.WithLogger(logger))
	app.Use("things", memory.New(memory.Options{}), pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{"get": {func(ctx context.Context, hc *pinion.HookContext) error {
			hc.App.Logger().InfoContext(ctx, "getting a thing")
			return nil
		}}},
	}))
	srv, err := serve.New(app, serve.Options{Tracing: tracing.New(tp)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Sockets().Close(); hs.Close() })
	return exp, hs.URL
}

// byName indexes spans by name; a name made twice fails the test.
func byName(t *testing.T, spans tracetest.SpanStubs) map[string]tracetest.SpanStub {
	t.Helper()
	out := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		if _, ok := out[s.Name]; ok {
			t.Fatalf("two spans named %q", s.Name)
		}
		out[s.Name] = s
	}
	return out
}

func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func TestRESTCallSpans(t *testing.T) {
	var logs bytes.Buffer
	exp, base := setup(t, &logs)
	http.Post(base+"/things", "application/json", strings.NewReader(`{"name":"a"}`))
	exp.Reset()

	req, _ := http.NewRequest("GET", base+"/things/0", nil)
	req.Header.Set("traceparent", traceparent)
	req.Header.Set("X-Request-Id", "req-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode, err)
	}
	if resp.Header.Get("X-Request-Id") != "req-42" {
		t.Errorf("X-Request-Id %q", resp.Header.Get("X-Request-Id"))
	}
	spans := byName(t, exp.GetSpans())
	httpSpan, call, before, method := spans["GET"], spans["things get"], spans["service before"], spans["method"]
	if httpSpan.Name == "" || call.Name == "" || before.Name == "" || method.Name == "" {
		t.Fatalf("spans: %v", names(exp.GetSpans()))
	}
	if got := httpSpan.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("the request's span is in trace %s, not the traceparent's", got)
	}
	if httpSpan.Parent.SpanID().String() != parentSpan || !httpSpan.Parent.IsRemote() || httpSpan.SpanKind != trace.SpanKindServer {
		t.Errorf("the request's span: parent %v, kind %v", httpSpan.Parent, httpSpan.SpanKind)
	}
	if call.Parent.SpanID() != httpSpan.SpanContext.SpanID() {
		t.Errorf("the call is not the request's child")
	}
	for _, s := range []tracetest.SpanStub{before, method} {
		if s.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("%s is not the call's child", s.Name)
		}
	}
	for key, want := range map[attribute.Key]string{tracing.AttrService: "things", tracing.AttrMethod: "get", tracing.AttrProvider: "rest", tracing.AttrID: "0"} {
		if got := attr(call, key); got != want {
			t.Errorf("call span %s = %q, want %q", key, got, want)
		}
	}
	// The hook's log record carries the ids: its span is the before phase.
	line := grepLine(logs.String(), "getting a thing")
	for _, want := range []string{"trace_id=" + traceID, "span_id=" + before.SpanContext.SpanID().String(), "request_id=req-42"} {
		if !strings.Contains(line, want) {
			t.Errorf("log record %q lacks %s", line, want)
		}
	}

	// A refusal is not an error of the span; a missing record is a 404 on it.
	exp.Reset()
	resp, _ = http.Get(base + "/things/nope")
	if resp.StatusCode != 404 {
		t.Fatal(resp.StatusCode)
	}
	call = byName(t, exp.GetSpans())["things get"]
	if attr(call, tracing.AttrCode) != "404" || call.Status.Code.String() == "Error" {
		t.Errorf("404 call span: code %q status %v", attr(call, tracing.AttrCode), call.Status)
	}
}

func TestSocketCallContinuesTheHandshake(t *testing.T) {
	exp, base := setup(t, &bytes.Buffer{})
	h := http.Header{}
	h.Set("traceparent", traceparent)
	conn, err := sioclient.DialHeader(base, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Call("find", "things", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	call := byName(t, exp.GetSpans())["things find"]
	if call.SpanContext.TraceID().String() != traceID || call.Parent.SpanID().String() != parentSpan {
		t.Fatalf("socket call span: trace %s parent %s; spans %v", call.SpanContext.TraceID(), call.Parent.SpanID(), names(exp.GetSpans()))
	}
	if call.SpanKind != trace.SpanKindServer || attr(call, tracing.AttrProvider) != "socketio" {
		t.Errorf("kind %v, provider %q", call.SpanKind, attr(call, tracing.AttrProvider))
	}
}

func TestOff(t *testing.T) {
	if tracing.Configured(func(string) string { return "" }) {
		t.Error("configured without an endpoint")
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}
	if tracing.Configured(func(k string) string { return env[k] }) {
		t.Error("configured although OTEL_SDK_DISABLED")
	}
	var off *tracing.Tracing
	if off.Enabled() || off.Gin() != nil || off.CommandMonitor() != nil || off.Shutdown(context.Background()) != nil {
		t.Error("nil tracing does something")
	}
	off.Observe(pinion.New()) // no observer, no panic
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func grepLine(text, what string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, what) {
			return line
		}
	}
	return ""
}

// The server's own endpoints (health, readiness, metrics at its configured
// path) and socket.io's requests make no request span; a service path does.
func TestEndpointsWithoutSpans(t *testing.T) {
	var logs bytes.Buffer
	exp, base := setup(t, &logs)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/socket.io/?EIO=4&transport=polling"} {
		exp.Reset()
		if resp, err := http.Get(base + path); err != nil {
			t.Fatal(err)
		} else {
			resp.Body.Close()
		}
		if spans := exp.GetSpans(); len(spans) != 0 {
			t.Errorf("GET %s made spans %v", path, names(spans))
		}
	}
	exp.Reset()
	if resp, err := http.Get(base + "/things"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if spans := exp.GetSpans(); len(spans) == 0 {
		t.Error("GET /things made no span")
	}
}
