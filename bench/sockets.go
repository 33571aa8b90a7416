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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// measureSockets runs the socket.io method calls answered by acks, with 1
// and 50 clients.
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
	return nil
}

// measureFanout times one event fanned out to n authenticated sockets of
// each target, by the Go generator, then by the Node one. The targets run
// at once and take turns: each generator sends an event to one, waits, then
// to the next, so that what else runs on the machine meanwhile weighs on
// all of them alike. A fan-out's tail on two shared cores is decided by
// such load far more than by the servers, and measured one server after
// the other, minutes apart, the ratio followed the load.
//
// A generator whose sockets to all the targets would not fit in its file
// limit (10,000 to each of two, with a limit of 20,000) measures one target
// after the other instead, and the report says so.
func (r *report) measureFanout(ts []*target, n int, root string) error {
	events, gap := fanoutPace(n)
	groups := [][]*target{ts}
	turns := true
	if limit := fileLimit(); limit > 0 && uint64((n+1)*len(ts)+100) > limit {
		groups, turns = nil, false
		for _, t := range ts {
			groups = append(groups, []*target{t})
		}
	}
	for g, generator := range []string{"Go", "Node"} {
		if g > 0 && !turns {
			// The last generator's sockets, closed by the client, hold
			// their local ports for TIME_WAIT (60 s): with 10,000 to
			// each server, and the machine's other connections, the
			// next generator's would not find enough free.
			time.Sleep(60 * time.Second)
		}
		for _, group := range groups {
			names := make([]string, len(group))
			for i, t := range group {
				names[i] = t.name
			}
			fmt.Fprintf(os.Stderr, "%s %s: fan-out to %d sockets, %d events, %s generator\n", strings.Join(names, ", "), group[0].storage, n, events, generator)
			var loads []load
			var err error
			if generator == "Go" {
				loads, err = fanout(group, n, events, gap)
			} else {
				loads, err = nodeFanout(group, root, n, events, gap)
			}
			if err != nil {
				return fmt.Errorf("%s generator: %w", generator, err)
			}
			for i, l := range loads {
				l.workload = fmt.Sprintf("event fan-out to %s sockets (latency), %s generator", thousands(n), generator)
				if !turns {
					l.workload += ", one server after the other"
				}
				l.storage, l.target = group[i].storage, group[i].name
				r.loads = append(r.loads, l)
			}
		}
	}
	return nil
}

// fileLimit is the process's soft limit on open files, 0 if unknown.
func fileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}

// fanoutPace is how many events a fan-out to n sockets sends, and how far
// apart: 30 events 200 ms apart to 1,000 sockets; to more, fewer events
// and longer gaps, so that one event is received by all before the next.
func fanoutPace(n int) (events int, gap time.Duration) {
	if n <= 1000 {
		return 30, 200 * time.Millisecond
	}
	return 10, time.Duration(n/1000) * 200 * time.Millisecond
}

// thousands writes n with a comma between thousands: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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

// nodeFanout is fanout with the Node generator: one process for every
// target, which takes turns the same way.
func nodeFanout(ts []*target, root string, n, events int, gap time.Duration) ([]load, error) {
	args := []string{"fanout", strconv.Itoa(n), strconv.Itoa(events), strconv.FormatInt(gap.Milliseconds(), 10)}
	for _, t := range ts {
		args = append(args, t.url, t.token)
	}
	out, err := nodeGenerator(root, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("node generator: %w", err)
	}
	var res []struct {
		P50, P99                float64
		Received, Want, Retries int
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil || len(res) != len(ts) {
		return nil, fmt.Errorf("node generator said %q: %v", out, err)
	}
	loads := make([]load, len(ts))
	for i, x := range res {
		nodeRetries.Add(int64(x.Retries))
		loads[i] = load{p50: x.P50, p99: x.P99, errors: x.Want - x.Received,
			note: fmt.Sprintf("%d of %d events received", x.Received, x.Want)}
	}
	return loads, nil
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

// fanout opens n listeners and a writer on each target; each writer in
// turn creates a message, and the arrival of its event at every listener
// of its target is timed, from just before the create. Events are gap
// apart; the order of the targets alternates from one round to the next.
func fanout(ts []*target, n, events int, gap time.Duration) ([]load, error) {
	type side struct {
		mu       sync.Mutex
		sent     map[string]time.Time
		lat      []time.Duration
		received atomic.Int64
		conns    []*sioclient.Conn
		writer   *sioclient.Conn
	}
	sides := make([]*side, len(ts))
	for i, t := range ts {
		sd := &side{sent: map[string]time.Time{}}
		sides[i] = sd
		onEvent := func(name string, data json.RawMessage, at time.Time) {
			if name != "messages created" {
				return
			}
			// Find the marker without decoding the message: the client must
			// not be what is measured.
			i := bytes.Index(data, []byte(`"text":"`))
			if i < 0 {
				return
			}
			text := data[i+8:]
			text = text[:bytes.IndexByte(text, '"')]
			sd.mu.Lock()
			if s, ok := sd.sent[string(text)]; ok {
				sd.lat = append(sd.lat, at.Sub(s))
			}
			sd.mu.Unlock()
			sd.received.Add(1)
		}
		conns, err := openMany(t, n, onEvent)
		if err != nil {
			return nil, err
		}
		defer closeAll(conns)
		writer, err := openMany(t, 1, nil)
		if err != nil {
			return nil, err
		}
		defer closeAll(writer)
		sd.conns, sd.writer = conns, writer[0]
	}
	time.Sleep(time.Second) // let the logins settle
	for i := range events {
		for k := range sides {
			if i%2 == 1 {
				k = len(sides) - 1 - k
			}
			sd := sides[k]
			text := fmt.Sprintf("fan-out %d %d", i, time.Now().UnixNano())
			sd.mu.Lock()
			sd.sent[text] = time.Now()
			sd.mu.Unlock()
			if _, err := sd.writer.Call("create", "messages", map[string]any{"text": text}, map[string]any{}); err != nil {
				return nil, fmt.Errorf("%s: %w", ts[k].name, err)
			}
			time.Sleep(gap)
		}
	}
	time.Sleep(time.Second)
	loads := make([]load, len(ts))
	for i, sd := range sides {
		want := int64(n * events)
		sd.mu.Lock()
		l := load{errors: int(want - sd.received.Load())}
		l.p50, l.p99 = percentiles(sd.lat)
		sd.mu.Unlock()
		l.note = fmt.Sprintf("%d of %d events received", sd.received.Load(), want)
		loads[i] = l
	}
	return loads, nil
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
