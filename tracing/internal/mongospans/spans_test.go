package mongospans_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/tracing"
)

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

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func TestDatabaseSpans(t *testing.T) {
	// The first start of a machine builds FerretDB (embedded.Start).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	store, err := embedded.Start(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	client, err := mongo.Connect(options.Client().ApplyURI(store.URI()).SetMonitor(tr.CommandMonitor()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	app := pinion.New()
	tr.Observe(app)
	svc := app.Use("things", mongodb.New(client.Database("tracing").Collection("things"), mongodb.Options{}))
	client.Ping(ctx, nil) // outside any span: no span
	if _, err := svc.Create(ctx, map[string]any{"name": "a"}, nil); err != nil {
		t.Fatal(err)
	}
	spans := byName(t, exp.GetSpans())
	insert, method := spans["insert things"], spans["method"]
	if insert.Name == "" {
		t.Fatalf("no insert span: %v", names(exp.GetSpans()))
	}
	if insert.Parent.SpanID() != method.SpanContext.SpanID() || insert.SpanKind != trace.SpanKindClient {
		t.Errorf("insert span: parent %s (method %s), kind %v", insert.Parent.SpanID(), method.SpanContext.SpanID(), insert.SpanKind)
	}
	for key, want := range map[attribute.Key]string{"db.system.name": "mongodb", "db.collection.name": "things", "db.namespace": "tracing", "db.operation.name": "insert"} {
		if got := attr(insert, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if _, ok := spans["ping"]; ok {
		t.Error("a ping outside any span made one")
	}
}
