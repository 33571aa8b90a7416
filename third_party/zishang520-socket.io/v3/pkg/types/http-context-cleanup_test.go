package types

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A handler sets its cleanup while its context may be closing (the client
// went away): the cleanup runs exactly once either way, at once when the
// request had ended, and without a data race (go test -race).
func TestSetCleanupWhileClosing(t *testing.T) {
	const n = 200
	var runs atomic.Int32
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		c := NewHttpContext(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		ran := make(chan struct{}, 2)
		go cancel()
		c.SetCleanup(func() { runs.Add(1); ran <- struct{}{} })
		<-c.Done()
		c.Cleanup() // the handler's own call; the close makes another
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatal("the cleanup never ran")
		}
	}
	time.Sleep(20 * time.Millisecond) // a second run, were there one, has come
	if got := runs.Load(); got != n {
		t.Fatalf("%d cleanups ran for %d requests", got, n)
	}
}
