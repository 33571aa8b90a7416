package pinion

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// deliverShared makes every delivery once, whatever the split, and returns
// only when all are made: the next event's deliveries must come after.
func TestDeliverShared(t *testing.T) {
	for _, tc := range []struct{ n, procs int }{
		{0, 4}, {1, 4}, {fanOutShare - 1, 4}, {2*fanOutShare - 1, 4}, {2 * fanOutShare, 2},
		{1000, 1}, {1000, 2}, {1000, 3}, {1001, 8}, {5000, 64},
	} {
		t.Run(fmt.Sprintf("%d deliveries, %d procs", tc.n, tc.procs), func(t *testing.T) {
			got := make([]atomic.Int32, tc.n)
			ds := make([]delivery, tc.n)
			for i := range ds {
				ds[i] = delivery{c: NewConnection(ConnectionOptions{Message: func(*Message) { got[i].Add(1) }}), m: &Message{}}
			}
			for round := int32(1); round <= 3; round++ {
				deliverShared(ds, tc.procs)
				for i := range got {
					if n := got[i].Load(); n != round {
						t.Fatalf("round %d: delivery %d made %d times when deliverShared returned", round, i, n)
					}
				}
			}
		})
	}
}
