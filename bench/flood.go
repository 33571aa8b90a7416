// The flood bench checks issue #17's bound on what one socket can make the
// server hold: "RSS stays flat (within 50 MB) while one socket sends 1 GB of
// calls".
//
//	go run ./bench -flood 1GB
//
// It starts the default chat server (cmd/server, memory storage) in a child
// process, so that the resident memory read is the server's alone, logs one
// user in over socket.io with the Go client (transport/socketio/socketiotest),
// and sends finds on messages of about 200 KB each (a query with a $or of 40
// conditions of 5 KB strings; a query of more than 100 terms is refused, this
// one is not) one after the other without waiting for their answers, until the
// size given has been written. The server's VmRSS is sampled every 100 ms.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// parseSize reads 1GB, 500MB, 200KB or a count of bytes (units of 1024).
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(u, x.suffix); ok {
			u, mult = v, x.mult
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("-flood %q: want a size such as 1GB or 500MB", s)
	}
	return int64(n * float64(mult)), nil
}

func runFlood(size string) error {
	total, err := parseSize(size)
	if err != nil {
		return err
	}
	built, err := buildCheckout("pinion-flood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(built.tmp)
	root, tmp, bin := built.root, built.tmp, built.bin
	t := &target{name: "Pinion", storage: "memory", cmd: []string{bin}, dir: root, env: pinionEnv("memory")}
	t.environ = t.env("", filepath.Join(tmp, "data"))
	if err := t.start(); err != nil {
		return err
	}
	defer t.stop()
	if err := t.seed(); err != nil {
		return err
	}
	c, err := sioclient.Dial(t.url, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(t.token); err != nil {
		return err
	}
	pid := t.process.Process.Pid

	// One query of about 200 KB: 40 conditions of 5 KB.
	or := make([]map[string]any, 40)
	for i := range or {
		or[i] = map[string]any{"text": strings.Repeat("x", 5120), "n": i}
	}
	// The size of one frame as written: 42<id>["find","messages",query].
	payload, err := json.Marshal([]any{"find", "messages", map[string]any{"$or": or, "n": 0}})
	if err != nil {
		return err
	}
	frame := len(payload) + 6

	time.Sleep(2 * time.Second) // let the seeding's garbage go
	baseline := rss(pid)
	var maxRSS atomic.Int64
	maxRSS.Store(baseline)
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				if v := rss(pid); v > maxRSS.Load() {
					maxRSS.Store(v)
				}
			}
		}
	}()

	// The answers are counted as they come, apart from the writing.
	waits := make(chan func() ([]json.RawMessage, error), 1<<16)
	var answered, failed atomic.Int64
	var firstErr atomic.Value
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for w := range waits {
			if _, err := w(); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			} else {
				answered.Add(1)
			}
		}
	}()

	fmt.Fprintf(os.Stderr, "flood: %s in finds of %d KB to %s (pid %d), baseline RSS %.1f MB\n",
		size, frame/1024, t.url, pid, mb(baseline))
	started := time.Now()
	var written int64
	sent := 0
	var sendErr error
	for written < total {
		wait, err := c.Send("find", "messages", map[string]any{"$or": or, "n": sent})
		if err != nil {
			sendErr = err
			break
		}
		waits <- func() ([]json.RawMessage, error) { return wait() }
		written += int64(frame)
		sent++
	}
	writing := time.Since(started)
	close(waits)
	select {
	case <-counted:
	case <-time.After(2 * time.Minute):
		fmt.Fprintln(os.Stderr, "flood: stopped waiting for answers after 2 minutes")
	}
	elapsed := time.Since(started)
	close(stopSampling)
	sampling.Wait()
	after := rss(pid)

	peak := maxRSS.Load()
	fmt.Printf("\n## Flood: one socket sends %s of finds (issue #17), %s\n\n", size, machine())
	fmt.Printf("- calls sent: %d of %d bytes each, %.2f GB written in %s (%.0f MB/s)\n",
		sent, frame, float64(written)/(1<<30), writing.Round(time.Millisecond), float64(written)/(1<<20)/writing.Seconds())
	fmt.Printf("- answers: %d ok, %d failed (of %d sent), all in by %s\n", answered.Load(), failed.Load(), sent, elapsed.Round(time.Millisecond))
	if e, ok := firstErr.Load().(string); ok {
		fmt.Printf("- first failed answer: %s\n", e)
	}
	if sendErr != nil {
		fmt.Printf("- writing stopped: %v\n", sendErr)
	}
	fmt.Printf("- server RSS: baseline %.1f MB, max %.1f MB, difference %.1f MB (issue #17: within 50 MB: %v); after %.1f MB\n",
		mb(baseline), mb(peak), mb(peak-baseline), peak-baseline <= 50<<20, mb(after))
	if sendErr != nil {
		return errors.New("the flood did not finish writing")
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
