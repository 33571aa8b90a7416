package utils

import (
	"runtime"
	"sync"
	"time"
)

// Timer is a timeout or an interval. It runs on time.AfterFunc: no
// goroutine waits for it, one runs its function when it fires.
type Timer struct {
	mu      sync.Mutex
	timer   *time.Timer
	sleep   time.Duration
	stopped bool // by Stop: it never fires again
}

// Refresh starts the timeout again from now, whether it fired or not, as
// Node's timeout.refresh() does; a Timer stopped with Stop stays stopped.
func (t *Timer) Refresh() *Timer {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.timer.Reset(t.sleep)
	}
	return t
}

// Unref stops the timer once nothing refers to it any more.
func (t *Timer) Unref() {
	runtime.AddCleanup(t, func(timer *time.Timer) { timer.Stop() }, t.timer)
}

func SetTimeout(fn func(), sleep time.Duration) *Timer {
	t := &Timer{sleep: sleep}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.timer = time.AfterFunc(sleep, func() {
		t.mu.Lock()
		stopped := t.stopped
		t.mu.Unlock()
		if !stopped {
			fn()
		}
	})
	return t
}

func ClearTimeout(timer *Timer) {
	if timer != nil {
		timer.Stop()
	}
}

// Stop stops the timer: its function does not run again (a run already
// started finishes).
func (t *Timer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

func SetInterval(fn func(), sleep time.Duration) *Timer {
	t := &Timer{sleep: sleep}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.timer = time.AfterFunc(sleep, func() {
		t.mu.Lock()
		if t.stopped {
			t.mu.Unlock()
			return
		}
		t.timer.Reset(t.sleep)
		t.mu.Unlock()
		fn()
	})
	return t
}

func ClearInterval(timer *Timer) {
	ClearTimeout(timer)
}
