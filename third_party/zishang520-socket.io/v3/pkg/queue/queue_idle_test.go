package queue

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Patch 0003: an idle queue holds no goroutine; one runs only while there
// are tasks, which still run one at a time, in order.
func TestIdleQueuesHoldNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	queues := make([]*Queue, 1000)
	for i := range queues {
		queues[i] = New()
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Fatalf("1000 idle queues hold %d goroutines", n)
	}
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i, q := range queues {
		wg.Add(1)
		for j := range 3 {
			q.Enqueue(func() {
				mu.Lock()
				got = append(got, i*3+j)
				mu.Unlock()
				if j == 2 {
					wg.Done()
				}
			})
		}
	}
	wg.Wait()
	if len(got) != 3000 {
		t.Fatalf("%d tasks ran", len(got))
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine()-before > 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Fatalf("after their tasks, 1000 queues hold %d goroutines", n)
	}
	for _, q := range queues {
		q.Close() // idle: returns at once
	}
}

func TestQueueOrderAcrossIdleSpells(t *testing.T) {
	q := New()
	var got []int
	for i := range 100 {
		q.Enqueue(func() { got = append(got, i) })
		if i%10 == 0 {
			time.Sleep(time.Millisecond) // the goroutine may end in between
		}
	}
	q.Close()
	for i, v := range got {
		if v != i {
			t.Fatalf("task %d ran as %d: %v", v, i, got)
		}
	}
	if len(got) != 100 {
		t.Fatalf("%d of 100 ran", len(got))
	}
	q.Enqueue(func() { t.Error("ran after Close") })
	time.Sleep(10 * time.Millisecond)
}
