package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/hooks"
	"github.com/pinionhq/pinion/transport/rest"
)

// message is the typed form of the records of benchServer.
type message struct {
	ID        int    `json:"_id" readOnly:"true"`
	Text      string `json:"text" required:"true" maxLength:"400"`
	UserID    int    `json:"userId"`
	CreatedAt int64  `json:"createdAt"`
}

// typedVsMap is the same memory service of messages three times, on one
// app: as maps ("map": the one of benchServer, with query coercion declared
// as the typed one derives it), as maps validated by hooks.Validate with
// the JSON Schema of message's rules ("map-validated": what a service of
// maps needs for the guarantees of a typed one: types, required fields,
// lengths, no unknown fields), and typed ("typed": memory.Typed of message).
type typedVsMap struct {
	engine     *gin.Engine
	svc        map[string]*pinion.Service
	id         map[string]string // of the message GET fetches
	socketData map[string]any
}

func newTypedVsMap(tb testing.TB) *typedVsMap {
	app := pinion.New()
	opts := adapter.Options{ID: "_id", Paginate: pinion.Paginate{Default: 10, Max: 50}}
	mapOpts := opts
	mapOpts.Fields = adapter.Fields{"_id": adapter.Number, "userId": adapter.Number, "createdAt": adapter.Number}
	bench := &typedVsMap{svc: map[string]*pinion.Service{
		"map": app.Use("maps", memory.New(memory.Options{Options: mapOpts})),
		"map-validated": app.Use("validated", memory.New(memory.Options{Options: mapOpts}),
			pinion.WithHooks(pinion.Hooks{Before: pinion.HookMap{
				pinion.MethodCreate: {hooks.Validate(messageSchema)}, pinion.MethodUpdate: {hooks.Validate(messageSchema)},
			}})),
		"typed": pinion.Use(app, "typed", memory.Typed[message, int](memory.Options{Options: opts})).Service,
	}, id: map[string]string{}}
	for impl, svc := range bench.svc {
		hc, err := svc.Call(context.Background(), pinion.MethodCreate, nil, map[string]any{"text": "hello", "userId": 0.0, "createdAt": 1795354726418.0}, nil)
		if err != nil {
			tb.Fatal(err)
		}
		id, _ := pinion.Records(hc.Result)[0].Get("_id")
		bench.id[impl] = pinion.IDString(id)
		for i := range 100 {
			if _, err := svc.Call(context.Background(), pinion.MethodCreate, nil, map[string]any{"text": "filler", "userId": 1.0, "createdAt": float64(i)}, nil); err != nil {
				tb.Fatal(err)
			}
		}
	}
	bench.engine = gin.New()
	rest.New(app, rest.Options{}).Mount(bench.engine)
	bench.socketData = map[string]any{"text": "hello", "userId": 1.0, "createdAt": 1795354726418.0}
	return bench
}

const messageSchema = `{"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
	"_id": {}, "text": {"type": "string", "maxLength": 400}, "userId": {"type": "integer"}, "createdAt": {"type": "integer"}}}`

// impls are compared on every call; writers, which validation concerns, on
// the validated maps too.
var (
	impls   = []string{"map", "typed"}
	writers = []string{"map", "map-validated", "typed"}
)

func path(impl string) string {
	switch impl {
	case "map":
		return "/maps"
	case "map-validated":
		return "/validated"
	}
	return "/typed"
}

const findQuery = "?%24limit=10&%24sort%5BcreatedAt%5D=-1&userId%5B%24in%5D%5B0%5D=1"

// The two services of BenchmarkTypedVsMap answer the same: the comparison
// is of equal work.
func TestTypedVsMapAnswers(t *testing.T) {
	bench := newTypedVsMap(t)
	body := func(target string) string {
		w := httptest.NewRecorder()
		bench.engine.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
		return w.Body.String()
	}
	for _, target := range []string{"/" + bench.id["map"], findQuery} {
		m, typed := body("/maps"+target), body("/typed"+target)
		var mv, tv any
		json.Unmarshal([]byte(m), &mv)
		json.Unmarshal([]byte(typed), &tv)
		if !reflect.DeepEqual(mv, tv) {
			t.Errorf("GET %s:\n  map %s\ntyped %s", target, m, typed)
		}
		if target == findQuery && strings.Count(m, `"text":"filler"`) != 10 {
			t.Errorf("find answered %s, want 10 records", m)
		}
	}
}

// BenchmarkTypedVsMap compares a typed memory service with the same service
// of maps, call for call: REST get, find and create through gin, a Go
// svc.Call get and create, and a socket-style create (a JSON map to decode
// and validate). Run with -bench TypedVsMap and compare with
// benchstat -col /impl.
//
// Besides ns/op (wall time) each reports cpu-ns/op, the CPU time of the
// process (every thread, the garbage collector's too) per call: on a
// machine shared with other work it is the steadier measure.
func BenchmarkTypedVsMap(b *testing.B) {
	ctx := context.Background()
	// creating runs a create, on fresh services every 10,000 of them so
	// that the store (and the garbage collector's work) stays small.
	creating := func(b *testing.B, create func(bench *typedVsMap) error) {
		b.Helper()
		bench := newTypedVsMap(b)
		b.ReportAllocs()
		cpu := startCPU()
		n := 0
		for b.Loop() {
			if n++; n%10000 == 0 {
				b.StopTimer()
				cpu.pause()
				bench = newTypedVsMap(b)
				cpu.resume()
				b.StartTimer()
			}
			if err := create(bench); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
	serve := func(bench *typedVsMap, method, target, body string, status int) error {
		var req = httptest.NewRequest(method, target, nil)
		if body != "" {
			req = httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		bench.engine.ServeHTTP(w, req)
		if w.Code != status {
			return fmt.Errorf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		return nil
	}
	reading := func(b *testing.B, read func(bench *typedVsMap) error) {
		b.Helper()
		bench := newTypedVsMap(b)
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if err := read(bench); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
	for _, impl := range impls {
		b.Run("op=rest-get/impl="+impl, func(b *testing.B) {
			reading(b, func(bench *typedVsMap) error {
				return serve(bench, "GET", path(impl)+"/"+bench.id[impl], "", 200)
			})
		})
	}
	for _, impl := range impls {
		b.Run("op=rest-find/impl="+impl, func(b *testing.B) {
			// Ten records, as BenchmarkFind asks for them.
			reading(b, func(bench *typedVsMap) error {
				return serve(bench, "GET", path(impl)+findQuery, "", 200)
			})
		})
	}
	for _, impl := range writers {
		b.Run("op=rest-create/impl="+impl, func(b *testing.B) {
			creating(b, func(bench *typedVsMap) error {
				return serve(bench, "POST", path(impl), `{"text":"hello","userId":1,"createdAt":1795354726418}`, 201)
			})
		})
	}
	for _, impl := range impls {
		b.Run("op=call-get/impl="+impl, func(b *testing.B) {
			p := &pinion.Params{}
			reading(b, func(bench *typedVsMap) error {
				_, err := bench.svc[impl].Call(ctx, pinion.MethodGet, 0, nil, p)
				return err
			})
		})
	}
	for _, impl := range writers {
		b.Run("op=call-create/impl="+impl, func(b *testing.B) {
			// What a Go caller has: a map for the map service, a message
			// for the typed one.
			var data any = map[string]any{"text": "hello", "userId": 1, "createdAt": int64(1795354726418)}
			if impl == "typed" {
				data = &message{Text: "hello", UserID: 1, CreatedAt: 1795354726418}
			}
			creating(b, func(bench *typedVsMap) error {
				_, err := bench.svc[impl].Call(ctx, pinion.MethodCreate, nil, data, &pinion.Params{})
				return err
			})
		})
	}
	for _, impl := range writers {
		b.Run("op=socket-create/impl="+impl, func(b *testing.B) {
			// A socket delivers decoded JSON, and sends the external form.
			creating(b, func(bench *typedVsMap) error {
				hc, err := bench.svc[impl].Call(ctx, pinion.MethodCreate, nil, bench.socketData, &pinion.Params{Provider: pinion.ProviderSocketIO})
				if err == nil {
					_ = hc.External()
				}
				return err
			})
		})
	}
}

// cpuClock measures the CPU time the process spends, less pauses.
type cpuClock struct {
	start, paused time.Duration
	at            time.Duration // of the current pause
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() *cpuClock { return &cpuClock{start: processCPU()} }

func (c *cpuClock) pause()  { c.at = processCPU() }
func (c *cpuClock) resume() { c.paused += processCPU() - c.at }

func (c *cpuClock) report(b *testing.B) {
	used := processCPU() - c.start - c.paused
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
