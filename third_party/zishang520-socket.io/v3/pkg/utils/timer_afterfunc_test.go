package utils

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Patch 0004: a pending timer holds no goroutine.
func TestPendingTimersHoldNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	timers := make([]*Timer, 1000)
	for i := range timers {
		timers[i] = SetTimeout(func() {}, time.Hour)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Fatalf("1000 pending timeouts hold %d goroutines", n)
	}
	for _, tm := range timers {
		ClearTimeout(tm)
	}
}

func TestRefreshAndStop(t *testing.T) {
	var n atomic.Int32
	tm := SetTimeout(func() { n.Add(1) }, 20*time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	tm.Refresh() // pushed back: not fired at 20ms
	time.Sleep(15 * time.Millisecond)
	if n.Load() != 0 {
		t.Fatal("fired before the refreshed deadline")
	}
	time.Sleep(30 * time.Millisecond)
	if n.Load() != 1 {
		t.Fatalf("fired %d times", n.Load())
	}
	tm.Refresh() // after it fired: armed again, as Node's refresh()
	time.Sleep(40 * time.Millisecond)
	if n.Load() != 2 {
		t.Fatalf("fired %d times after a refresh", n.Load())
	}
	tm.Stop()
	tm.Refresh() // stopped stays stopped
	time.Sleep(40 * time.Millisecond)
	if n.Load() != 2 {
		t.Fatal("a stopped timer fired")
	}
	var ticks atomic.Int32
	iv := SetInterval(func() { ticks.Add(1) }, 5*time.Millisecond)
	time.Sleep(32 * time.Millisecond)
	ClearInterval(iv)
	got := ticks.Load()
	time.Sleep(20 * time.Millisecond)
	if got < 3 || ticks.Load() != got {
		t.Fatalf("interval ticked %d, then %d after clearing", got, ticks.Load())
	}
}
