package e2e

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// usage is what the in-process server holds: goroutines and live heap.
type usage struct {
	goroutines int
	heap       uint64
}

func measure() usage {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return usage{runtime.NumGoroutine(), m.HeapAlloc}
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, heap %.1f MiB", u.goroutines, float64(u.heap)/(1<<20))
}

// socket.io-client connections that log in, call, and disconnect() leave
// nothing behind on the server: goroutines and heap come back to where they
// were, and no connection stays in a channel. On Engine.IO v3.0.2 as published,
// 1,000 such cycles took the default app from 302 to 1,028 goroutines and
// from 27 to 46 MB of heap, for good.
func TestSocketDisconnectsRelease(t *testing.T) {
	nodeModules(t)
	p := startPinion(t, "memory", nil)
	token := login(t, p.URL, "cycles@example.com")
	const cycles = 300
	for _, mode := range []string{"polling,websocket", "websocket", "polling"} {
		t.Run(mode, func(t *testing.T) {
			env := map[string]string{"PINION_URL": p.URL, "PINION_TOKEN": token, "SOCKET_TRANSPORTS": mode, "CYCLES": "8"}
			runNode(t, "js/cycles.test.mjs", env) // warm up
			time.Sleep(200 * time.Millisecond)
			base := measure()
			env["CYCLES"] = strconv.Itoa(cycles)
			runNode(t, "js/cycles.test.mjs", env)
			deadline := time.Now().Add(10 * time.Second)
			u := measure()
			for (u.goroutines > base.goroutines+10 || u.heap > base.heap+2<<20 || len(p.srv.App.Channels()) > 0) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				u = measure()
			}
			t.Logf("%d cycles: before %v; after %v", cycles, base, u)
			if u.goroutines > base.goroutines+10 || u.heap > base.heap+2<<20 {
				t.Errorf("10s after the clients left: %v, before: %v", u, base)
			}
			if ch := p.srv.App.Channels(); len(ch) > 0 {
				// A connection left behind: show what holds it.
				t.Errorf("channels still have members: %v\n%s", ch, goroutines())
			}
		})
	}
}
