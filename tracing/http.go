package tracing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Gin makes a server span of each request a gin engine answers, the child of
// the request's traceparent when it has one; the request's context carries
// it, so the calls it makes are its children. socket.io's own requests
// (long-polling, the WebSocket) and the health, readiness and metrics
// endpoints make none: socket calls have spans of their own, children of
// their handshake's traceparent. The server names those endpoints, skip
// (their paths are its options). Nil when t is nil.
func (t *Tracing) Gin(skip ...string) gin.HandlerFunc {
	if t == nil {
		return nil
	}
	return func(c *gin.Context) {
		r := c.Request
		if slices.Contains(skip, r.URL.Path) || strings.HasPrefix(r.URL.Path, "/socket.io/") {
			c.Next()
			return
		}
		ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		// Span names stay few: the route when there is one; REST service
		// paths (served by NoRoute) hold ids, so their name is the method
		// alone, as OpenTelemetry's HTTP conventions say, and the call's
		// span, its child, names the service.
		name := r.Method
		attrs := []attribute.KeyValue{attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)}
		if route := c.FullPath(); route != "" {
			name += " " + route
			attrs = append(attrs, attribute.String("http.route", route))
		}
		ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		if id := RequestID(r.Context()); id != "" {
			span.SetAttributes(attribute.String("http.request.header.x-request-id", id))
		}
		c.Request = r.WithContext(ctx)
		defer func() {
			status := c.Writer.Status()
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, strconv.Itoa(status))
			}
			span.End()
		}()
		c.Next()
	}
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDHeader is the header a request id comes in and goes back in.
const RequestIDHeader = "X-Request-Id"

// RequestIDs gives every request an id for the logs: the one its
// X-Request-Id header brings (a proxy's), when it is made of at most 128
// letters, digits, '-', '_', '.' or ':', else a new random one. The answer
// carries it in X-Request-Id. It costs what a random number costs, tracing on
// or off.
func RequestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !validID(id) {
			id = newID()
		}
		c.Header(RequestIDHeader, id)
		c.Request = c.Request.WithContext(WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
