package types

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkEmitterOfAConnection builds an emitter as a socket.io connection's
// are (a handful of events, one or two listeners each) and emits on it: its
// B/op is what each such emitter of each connection costs.
// Its retained-B/emitter is what 10,000 such emitters keep after a GC.
func BenchmarkEmitterOfAConnection(b *testing.B) {
	events := []EventName{"packet", "error", "close", "drain", "upgrade", "heartbeat"}
	build := func() EventEmitter {
		e := NewEventEmitter()
		for i, evt := range events {
			_ = e.On(evt, func(...any) {})
			if i%2 == 0 {
				_ = e.Once(evt, func(...any) {})
			}
		}
		e.Emit("packet", 1)
		return e
	}
	kept := make([]EventEmitter, 10_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range kept {
		kept[i] = build()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	retained := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(kept))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		build()
	}
	b.ReportMetric(retained, "retained-B/emitter")
}

// The listeners of an event run in the order they were registered; a
// listener removed or added while an event is emitted does not change that
// emit (it calls a snapshot).
func TestEmitterSnapshotAndOrder(t *testing.T) {
	e := NewEventEmitter()
	var got []string
	var second EventListener
	first := func(...any) {
		got = append(got, "first")
		e.RemoveListener("x", second)
		_ = e.On("x", func(...any) { got = append(got, "added") })
	}
	second = func(...any) { got = append(got, "second") }
	_ = e.On("x", first)
	_ = e.On("x", second)
	e.Emit("x")
	e.Emit("x")
	if fmt.Sprint(got) != "[first second first added]" {
		t.Fatalf("got %v", got)
	}
	if e.Len() != 1 || e.ListenerCount("x") != 3 || !e.RemoveAllListeners("x") || e.Len() != 0 || e.RemoveAllListeners("x") {
		t.Fatalf("len %d, count %d", e.Len(), e.ListenerCount("x"))
	}
}
