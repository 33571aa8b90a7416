package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// measureSockets runs the socket.io workloads: method calls answered by acks
// with 1 and 50 clients, and one event fanned out to 1,000 authenticated
// sockets, by the Go generator and by the Node one.
func (r *report) measureSockets(t *target, o options, root string) error {
	for _, clients := range []int{1, 50} {
		fmt.Fprintf(os.Stderr, "%s %s: socket acks, %d clients\n", t.name, t.storage, clients)
		l, err := acks(t, clients, o.duration)
		if err != nil {
			return err
		}
		l.workload, l.storage, l.target = fmt.Sprintf("socket get, acks (%d clients)", clients), t.storage, t.name
		r.loads = append(r.loads, l)
	}
	fmt.Fprintf(os.Stderr, "%s %s: fan-out to 1,000 sockets\n", t.name, t.storage)
	l, err := fanout(t, 1000, 30)
	if err != nil {
		return err
	}
	l.workload, l.storage, l.target = "event fan-out to 1,000 sockets (latency), Go generator", t.storage, t.name
	r.loads = append(r.loads, l)

	fmt.Fprintf(os.Stderr, "%s %s: fan-out to 1,000 sockets, Node generator\n", t.name, t.storage)
	if l, err = nodeFanout(t, root, 1000, 30); err != nil {
		return err
	}
	l.workload, l.storage, l.target = "event fan-out to 1,000 sockets (latency), Node generator", t.storage, t.name
	r.loads = append(r.loads, l)
	return nil
}

// idleSockets are the phases that measure the memory of 10,000 idle
// authenticated sockets, one per generator, each on a fresh process.
func (r *report) measureIdle(generator string) func(*target, options, string) error {
	return func(t *target, o options, root string) error {
		fmt.Fprintf(os.Stderr, "%s %s: %d idle authenticated sockets, %s generator\n", t.name, t.storage, o.idle, generator)
		var m memoryUse
		var err error
		if generator == "Go" {
			m, err = idle(t, o.idle)
		} else {
			m, err = nodeIdle(t, root, o.idle)
		}
		if err != nil {
			return err
		}
		m.storage, m.target, m.generator = t.storage, t.name, generator
		r.memory = append(r.memory, m)
		return nil
	}
}

// node runs the Node generator (test/js/load-generator.mjs).
func nodeGenerator(root string, args ...string) *exec.Cmd {
	cmd := exec.Command("node", append([]string{filepath.Join(root, "test", "js", "load-generator.mjs")}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

func nodeFanout(t *target, root string, n, events int) (load, error) {
	out, err := nodeGenerator(root, "fanout", t.url, t.token, strconv.Itoa(n), strconv.Itoa(events)).Output()
	if err != nil {
		return load{}, fmt.Errorf("node generator: %w", err)
	}
	var res struct {
		P50, P99                float64
		Received, Want, Retries int
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		return load{}, fmt.Errorf("node generator said %q: %w", out, err)
	}
	nodeRetries.Add(int64(res.Retries))
	return load{p50: res.P50, p99: res.P99, errors: res.Want - res.Received,
		note: fmt.Sprintf("%d of %d events received", res.Received, res.Want)}, nil
}

func nodeIdle(t *target, root string, n int) (memoryUse, error) {
	pid := t.process.Process.Pid
	base := rss(pid)
	cmd := nodeGenerator(root, "idle", t.url, t.token, strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return memoryUse{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return memoryUse{}, err
	}
	if err := cmd.Start(); err != nil {
		return memoryUse{}, err
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	var res struct{ Open, Retries int }
	if err := json.NewDecoder(stdout).Decode(&res); err != nil || res.Open != n {
		return memoryUse{}, fmt.Errorf("node generator opened %d of %d sockets: %v", res.Open, n, err)
	}
	nodeRetries.Add(int64(res.Retries))
	time.Sleep(5 * time.Second)
	loaded := rss(pid)
	return memoryUse{sockets: n, baseline: base, loaded: loaded,
		perThousandSocket: float64(loaded-base) / float64(n) * 1000}, nil
}

// acks measures calls per second: each client calls get on one message, waits
// for the ack, and calls again.
func acks(t *target, clients int, d time.Duration) (load, error) {
	conns, err := openMany(t, clients, nil)
	if err != nil {
		return load{}, err
	}
	defer closeAll(conns)
	var n, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				start := time.Now()
				if _, err := c.Call("get", "messages", t.message, map[string]any{}); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(start))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	l := load{rps: float64(n.Load()) / d.Seconds(), errors: int(failed.Load())}
	l.p50, l.p99 = percentiles(lat)
	return l, nil
}

// fanout sends events from a writer and times their arrival at n listeners.
func fanout(t *target, n, events int) (load, error) {
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	var received atomic.Int64
	onEvent := func(name string, data json.RawMessage, at time.Time) {
		if name != "messages created" {
			return
		}
		// Find the marker without decoding the message: the client must not be
		// what is measured.
		i := bytes.Index(data, []byte(`"text":"`))
		if i < 0 {
			return
		}
		text := data[i+8:]
		text = text[:bytes.IndexByte(text, '"')]
		mu.Lock()
		if s, ok := sent[string(text)]; ok {
			lat = append(lat, at.Sub(s))
		}
		mu.Unlock()
		received.Add(1)
	}
	conns, err := openMany(t, n, onEvent)
	if err != nil {
		return load{}, err
	}
	defer closeAll(conns)
	writer, err := openMany(t, 1, nil)
	if err != nil {
		return load{}, err
	}
	defer closeAll(writer)
	time.Sleep(time.Second) // let the logins settle
	for i := range events {
		text := fmt.Sprintf("fan-out %d %d", i, time.Now().UnixNano())
		mu.Lock()
		sent[text] = time.Now()
		mu.Unlock()
		if _, err := writer[0].Call("create", "messages", map[string]any{"text": text}, map[string]any{}); err != nil {
			return load{}, err
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	want := int64(n * events)
	l := load{rps: 0, errors: int(want - received.Load())}
	l.p50, l.p99 = percentiles(lat)
	l.note = fmt.Sprintf("%d of %d events received", received.Load(), want)
	return l, nil
}

type memoryUse struct {
	storage, target   string
	generator         string
	sockets           int
	baseline, loaded  int64
	perThousandSocket float64
}

// idle opens n authenticated sockets, lets them sit, and reads the server's
// resident memory.
func idle(t *target, n int) (memoryUse, error) {
	pid := t.process.Process.Pid
	base := rss(pid)
	conns, err := openMany(t, n, nil)
	if err != nil {
		return memoryUse{}, err
	}
	defer closeAll(conns)
	time.Sleep(5 * time.Second)
	loaded := rss(pid)
	return memoryUse{sockets: n, baseline: base, loaded: loaded,
		perThousandSocket: float64(loaded-base) / float64(n) * 1000}, nil
}

// openMany opens and logs in n connections, 100 at a time. A connection the
// server drops while it is being set up (see sioclient) is opened again; the
// count of such retries is returned with the connections.
func openMany(t *target, n int, onEvent func(string, json.RawMessage, time.Time)) ([]*sioclient.Conn, error) {
	conns := make([]*sioclient.Conn, n)
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	var first error
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var c *sioclient.Conn
			var err error
			for attempt := 0; attempt < 3; attempt++ {
				if c, err = sioclient.Dial(t.url, onEvent); err == nil {
					if err = c.Login(t.token); err == nil {
						break
					}
					c.Close()
				}
				retries.Add(1)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("opening socket %d: %w", i, err)
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if first != nil {
		closeAll(conns)
		return nil, first
	}
	return conns, nil
}

// retries counts sockets opened again after the server dropped them, by
// the Go generator and by the Node one.
var retries, nodeRetries atomic.Int64

func closeAll(conns []*sioclient.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

func percentiles(d []time.Duration) (p50, p99 float64) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		return float64(d[min(len(d)-1, int(p*float64(len(d))))]) / float64(time.Millisecond)
	}
	return at(0.50), at(0.99)
}
