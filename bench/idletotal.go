package main

// The idle-total bench: issue #18's "100,000 idle sockets on this machine
// must work", where no process may hold 100,000 sockets.
//
//	go run ./bench -idle-total 100000
//	go run ./bench -idle-total 100000 -idle-per-process 18000 -idle-hold 2m
//
// Every socket takes one file descriptor in the server and one in its
// client, and a process may open no more descriptors than its hard
// RLIMIT_NOFILE (20,000 on the machine this was written on, which lacks
// CAP_SYS_RESOURCE to raise it). So the sockets are spread as Pinion is
// deployed past one process's limit: several instances of the chat server
// (cmd/server, built once, memory storage, each on its own port, each with
// its own user: idle sockets share no events, so the instances need no
// NATS), each holding at most -idle-per-process sockets, each loaded by a
// generator process of its own (this binary, -idle-generator; one after the
// other, so that the handshakes do not all share the cores at once) that raises
// its soft file limit to the hard one, logs in once over REST, and opens its
// sockets with the token (socket.io CONNECT, then authentication create with
// the jwt strategy, as the -only idle measurement does). A generator dials
// from loopback addresses of its own (127.0.1.x): one address has about
// 28,000 ephemeral ports, and a bound source port is taken for every
// destination.
//
// The sockets are held for -idle-hold while each server's VmRSS and its own
// count of connections (pinion_socket_connections at /metrics) are sampled;
// a socket the server closes before the end is reported with the server's
// reasons (pinion_socket_connections_closed_total), a server that exits
// with its exit status. Then every generator closes its sockets, and each
// server's connections, goroutines, heap and RSS are read again after a
// garbage collection (forced through the server's DEBUG_ADDR pprof endpoint)
// to see whether they come back to where they started. The single-instance measurement of -only idle
// (-idle sockets, the in-process Go generator) runs first, for comparison.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// idleTotalOptions shape the run.
type idleTotalOptions struct {
	total      int           // sockets in all
	perProcess int           // the most one server or one generator holds
	hold       time.Duration // how long the sockets are held while sampled
	single     int           // sockets of the single-instance comparison (0: none)
	out        string
}

// The password of every instance's user.
const idlePassword = "bench-password"

// generatorReport is what a generator prints, one JSON line, once its
// sockets are open (Dropped is 0 then), and again when told to close them.
type generatorReport struct {
	Asked   int      `json:"asked"`
	Open    int      `json:"open"`
	Failed  int      `json:"failed"`
	Retries int      `json:"retries"`
	Retried []string `json:"retried,omitempty"` // the first few errors of attempts retried
	Errors  []string `json:"errors,omitempty"`  // the first few last errors of sockets that failed
	Seconds float64  `json:"seconds"`
	Limit   uint64   `json:"limit"` // its soft file limit, raised
	Dropped int      `json:"dropped"`
}

// runIdleGenerator is the child process: bench -idle-generator URL EMAIL N
// IP[,IP…]. It logs in once, opens N authenticated sockets from the
// addresses given in turn, reports, holds them until its stdin closes,
// reports the sockets the server closed meanwhile, and closes them all.
func runIdleGenerator(args []string) error {
	if len(args) != 4 {
		return errors.New("usage: bench -idle-generator URL EMAIL N IP[,IP…]")
	}
	base, email := args[0], args[1]
	n, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	var ips []net.IP
	for s := range strings.SplitSeq(args[3], ",") {
		ip := net.ParseIP(s)
		if ip == nil {
			return fmt.Errorf("bad local address %q", s)
		}
		ips = append(ips, ip)
	}
	rep := generatorReport{Asked: n, Limit: raiseFileLimit()}
	// A few descriptors for the runtime, stdio and the login's connection.
	if need := uint64(n) + 64; rep.Limit < need {
		return fmt.Errorf("%d sockets need a file limit of %d; the hard limit is %d", n, need, rep.Limit)
	}
	t := &target{url: base}
	res, err := t.post("/authentication", "", map[string]any{"strategy": "local", "email": email, "password": idlePassword})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	token, _ := res["accessToken"].(string)

	start := time.Now()
	conns := make([]*sioclient.Conn, n)
	var mu sync.Mutex
	var retries, failed, done atomic.Int64
	note := func(list *[]string, err error) {
		mu.Lock()
		if len(*list) < 5 {
			*list = append(*list, err.Error())
		}
		mu.Unlock()
	}
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ip := ips[i%len(ips)]
			// Three attempts, as openMany makes: a socket the server drops
			// while it is being set up is opened again, and counted.
			var err error
			for attempt := range 3 {
				if attempt > 0 {
					retries.Add(1)
					note(&rep.Retried, err)
				}
				var c *sioclient.Conn
				if c, err = sioclient.DialFrom(ip, base, nil, nil, nil); err == nil {
					if err = c.Login(token); err == nil {
						conns[i] = c
						break
					}
					c.Close()
				}
				err = fmt.Errorf("socket %d from %s, attempt %d: %w", i, ip, attempt+1, err)
			}
			if conns[i] == nil {
				failed.Add(1)
				note(&rep.Errors, err)
			}
			if d := done.Add(1); d%5000 == 0 {
				fmt.Fprintf(os.Stderr, "  generator %s: %d of %d sockets set up in %s\n", ips[0], d, n, time.Since(start).Round(time.Second))
			}
		}()
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	rep.Retries, rep.Failed = int(retries.Load()), int(failed.Load())
	rep.Open = n - rep.Failed
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(rep); err != nil {
		return err
	}

	io.Copy(io.Discard, os.Stdin) // held until the parent closes our stdin
	for _, c := range conns {
		if c == nil {
			continue
		}
		select {
		case <-c.Closed():
			rep.Dropped++
		default:
		}
	}
	err = enc.Encode(rep)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return err
}

// serverSample is one reading of a server: its VmRSS from /proc, and what
// its /metrics says of itself.
type serverSample struct {
	rss        int64
	conns      int // pinion_socket_connections: the server's own count
	goroutines int
	fds        int
	heap       int64          // go_memstats_heap_inuse_bytes
	closed     map[string]int // pinion_socket_connections_closed_total by reason
}

func (s serverSample) String() string {
	return fmt.Sprintf("%d sockets, %.0f MB RSS, %.0f MB heap in use, %d goroutines, %d fds",
		s.conns, float64(s.rss)/1e6, float64(s.heap)/1e6, s.goroutines, s.fds)
}

// idleInstance is one server of the run and the generator that loads it.
type idleInstance struct {
	t         *target
	debugAddr string // its DEBUG_ADDR: /debug/pprof/heap?gc=1 runs a GC
	want      int
	ips       []string

	gen     *exec.Cmd
	genIn   io.WriteCloser
	genOut  *json.Decoder
	opened  generatorReport // its report once the sockets were open
	closing generatorReport // its report when told to close them

	base, held, afterGC serverSample
	samples             int // readings while held
	peakRSS             int64
	minConns, maxConns  int
	genRSS              int64 // the generator's VmRSS with its sockets open
	fileLimit           string
	exit                error // why the server is gone, if it is
	sampleErrs          int
	firstSampleErr      error
}

var errServerGone = errors.New("the server has exited")

// gone says whether the server has exited, and notes why the first time.
func (in *idleInstance) gone() bool {
	if in.t.process == nil {
		return true
	}
	select {
	case err := <-in.t.exited:
		in.t.process = nil // nothing for stop to wait for
		if err == nil {
			err = errors.New("exit status 0")
		}
		in.exit = err
		return true
	default:
		return false
	}
}

func (in *idleInstance) sample() (serverSample, error) {
	if in.gone() {
		return serverSample{}, errServerGone
	}
	s := serverSample{rss: rss(in.t.process.Process.Pid), closed: map[string]int{}}
	res, err := http.Get(in.t.url + "/metrics")
	if err != nil {
		return s, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return s, err
	}
	text := string(b)
	v := func(name string) int64 {
		f := metricValue(text, name)
		if math.IsNaN(f) {
			err = fmt.Errorf("%s: /metrics has no %s", in.t.url, name)
			return -1
		}
		return int64(f)
	}
	s.conns, s.goroutines, s.fds = int(v("pinion_socket_connections")), int(v("go_goroutines")), int(v("process_open_fds"))
	s.heap = v("go_memstats_heap_inuse_bytes")
	const closed = `pinion_socket_connections_closed_total{reason="`
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, closed); ok {
			if reason, count, ok := strings.Cut(rest, `"} `); ok {
				n, _ := strconv.ParseFloat(count, 64)
				s.closed[reason] = int(n)
			}
		}
	}
	return s, err
}

// sampleOrNote samples the server, and counts a failure to.
func (in *idleInstance) sampleOrNote() (serverSample, bool) {
	s, err := in.sample()
	if err != nil {
		if err != errServerGone {
			in.sampleErrs++
			if in.firstSampleErr == nil {
				in.firstSampleErr = err
			}
		}
		return s, false
	}
	return s, true
}

// gc makes the server collect its garbage (pprof's heap profile with gc=1).
func (in *idleInstance) gc() error {
	res, err := http.Get("http://" + in.debugAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	return res.Body.Close()
}

// startGenerator starts the instance's generator and waits for its report
// that the sockets are open.
func (in *idleInstance) startGenerator() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in.gen = exec.Command(self, "-idle-generator", in.t.url, in.t.email, strconv.Itoa(in.want), strings.Join(in.ips, ","))
	in.gen.Stderr = os.Stderr
	if in.genIn, err = in.gen.StdinPipe(); err != nil {
		return err
	}
	out, err := in.gen.StdoutPipe()
	if err != nil {
		return err
	}
	if err := in.gen.Start(); err != nil {
		return err
	}
	in.genOut = json.NewDecoder(out)
	if err := in.genOut.Decode(&in.opened); err != nil {
		in.genIn.Close()
		err = fmt.Errorf("generator for %s: %w (its exit: %v)", in.t.url, err, in.gen.Wait())
		in.gen = nil
		return err
	}
	return nil
}

// closeGenerator tells the generator to close its sockets, reads its last
// report, and waits for it to exit.
func (in *idleInstance) closeGenerator() error {
	if in.gen == nil {
		return nil
	}
	in.genIn.Close()
	err := in.genOut.Decode(&in.closing)
	if werr := in.gen.Wait(); err == nil {
		err = werr
	}
	in.gen = nil
	return err
}

// loopbackAddrs answers the n-th generator's source addresses: enough of
// them that its sockets take at most three quarters of each address's
// ephemeral ports.
func loopbackAddrs(g, sockets int) []string {
	lo, hi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, _ = strconv.Atoi(f[0])
			hi, _ = strconv.Atoi(f[1])
		}
	}
	perAddr := max(1, (hi-lo+1)*3/4)
	k := (sockets + perAddr - 1) / perAddr
	addrs := make([]string, k)
	for i := range addrs {
		// 127.0.1.x, apart from the 127.0.0.x the engine bench dials from
		// (k is 1 below 21,000 sockets with the default range).
		addrs[i] = fmt.Sprintf("127.0.1.%d", g*k+i+1)
	}
	return addrs
}

// fileLimits reads a process's "Max open files" line (soft and hard).
func fileLimits(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0] + "/" + f[1]
			}
		}
	}
	return "?"
}

// hasSysResource says whether this process may raise its hard limits
// (CAP_SYS_RESOURCE, bit 24 of CapEff).
func hasSysResource() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// idleTotalRun is the run's figures.
type idleTotalRun struct {
	o                   idleTotalOptions
	started             time.Time
	hardLimit           uint64
	sysResource         bool
	loadStart, loadHeld string
	loadEnd             string
	single              *memoryUse
	singleRetries       int64 // setups the single instance's generator retried
	instances           []*idleInstance
	opened              time.Duration // from the first generator's start to the last one's report
	samples             int
	problems            []string
}

func runIdleTotal(o idleTotalOptions) error {
	if o.perProcess < 1 || o.total < 1 {
		return fmt.Errorf("-idle-total %d, -idle-per-process %d: want both above 0", o.total, o.perProcess)
	}
	r := &idleTotalRun{o: o, started: time.Now(), hardLimit: raiseFileLimit(), sysResource: hasSysResource(), loadStart: loadAvg()}
	if r.hardLimit > 0 && uint64(o.perProcess)+64 > r.hardLimit {
		return fmt.Errorf("-idle-per-process %d: the hard file limit is %d; a process holds at most %d sockets", o.perProcess, r.hardLimit, r.hardLimit-64)
	}
	built, err := buildCheckout("pinion-idle-total-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(built.tmp)
	root, tmp, bin := built.root, built.tmp, built.bin
	newTarget := func(name string) *target {
		t := &target{name: name, storage: "memory", cmd: []string{bin}, dir: root, env: pinionEnv("memory")}
		t.environ = append(t.env("", filepath.Join(tmp, name)), "METRICS=true")
		return t
	}

	if o.single > 0 {
		fmt.Fprintf(os.Stderr, "one instance, %d idle authenticated sockets, in-process Go generator\n", o.single)
		t := newTarget("single")
		m, err := func() (memoryUse, error) {
			if err := t.start(); err != nil {
				return memoryUse{}, err
			}
			defer t.stop()
			if err := t.seed(); err != nil {
				return memoryUse{}, err
			}
			return idle(t, o.single)
		}()
		if err != nil {
			r.problems = append(r.problems, fmt.Sprintf("single instance, %d sockets: %v", o.single, err))
		} else {
			r.single = &m
		}
		r.singleRetries = retries.Load()
	}

	k := (o.total + o.perProcess - 1) / o.perProcess
	fmt.Fprintf(os.Stderr, "%d idle authenticated sockets over %d instances\n", o.total, k)
	for i := range k {
		want := o.total / k
		if i < o.total%k {
			want++
		}
		in := &idleInstance{t: newTarget(fmt.Sprintf("instance-%d", i+1)), want: want, ips: loopbackAddrs(i, want)}
		in.debugAddr = "127.0.0.1:" + strconv.Itoa(freePort())
		in.t.environ = append(in.t.environ, "DEBUG_ADDR="+in.debugAddr)
		r.instances = append(r.instances, in)
	}
	defer func() {
		for _, in := range r.instances {
			in.closeGenerator()
			in.t.stop()
		}
	}()
	for _, in := range r.instances {
		if err := in.t.start(); err != nil {
			return err
		}
		if err := in.t.seed(); err != nil {
			return err
		}
		in.fileLimit = fileLimits(in.t.process.Process.Pid)
	}
	time.Sleep(2 * time.Second) // let the seeding's garbage settle
	for _, in := range r.instances {
		if in.base, err = in.sample(); err != nil {
			return err
		}
	}

	// One generator after the other: each instance's sockets are set up
	// while the others' sit idle, so that the 2 cores are not shared by
	// every handshake at once.
	start := time.Now()
	for _, in := range r.instances {
		if err := in.startGenerator(); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: %v", in.t.name, err))
			continue
		}
		in.genRSS = rss(in.gen.Process.Pid)
		fmt.Fprintf(os.Stderr, "%s: %d of %d sockets open in %.0f s (%d retried)\n", in.t.name, in.opened.Open, in.want, in.opened.Seconds, in.opened.Retries)
		if in.opened.Failed > 0 {
			r.problems = append(r.problems, fmt.Sprintf("%s: %d of %d sockets did not connect after three attempts: %s",
				in.t.name, in.opened.Failed, in.want, strings.Join(in.opened.Errors, "; ")))
		}
	}
	r.opened = time.Since(start)
	fmt.Fprintf(os.Stderr, "sockets open in %s; holding them %s\n", r.opened.Round(time.Second), o.hold)

	// The hold: every 5 s, each server's RSS and its own count of sockets.
	deadline := time.Now().Add(o.hold)
	for {
		for _, in := range r.instances {
			s, ok := in.sampleOrNote()
			if !ok {
				continue
			}
			in.held = s
			in.peakRSS = max(in.peakRSS, s.rss)
			if in.samples == 0 {
				in.minConns, in.maxConns = s.conns, s.conns
			}
			in.minConns, in.maxConns = min(in.minConns, s.conns), max(in.maxConns, s.conns)
			in.samples++
		}
		r.samples++
		if r.samples == 1 {
			r.loadHeld = loadAvg()
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Second)
	}
	for _, in := range r.instances {
		if in.gen != nil {
			in.genRSS = max(in.genRSS, rss(in.gen.Process.Pid))
		}
		fmt.Fprintf(os.Stderr, "%s held: %s\n", in.t.name, in.held)
	}

	// Close every socket, and see each server come back.
	for _, in := range r.instances {
		if err := in.closeGenerator(); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: closing its generator: %v", in.t.name, err))
		}
		if in.closing.Dropped > 0 {
			r.problems = append(r.problems, fmt.Sprintf("%s: the server closed %d sockets before the end of the hold (%s)",
				in.t.name, in.closing.Dropped, closedDuring(in.base, in.held)))
		}
	}
	for _, in := range r.instances {
		until := time.Now().Add(2 * time.Minute)
		for !in.gone() {
			s, ok := in.sampleOrNote()
			if ok && s.conns == 0 && s.goroutines <= in.base.goroutines+5 {
				break
			}
			if time.Now().After(until) {
				r.problems = append(r.problems, fmt.Sprintf("%s: 2 minutes after every client closed: %s", in.t.name, s))
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	for _, in := range r.instances {
		if in.gone() {
			continue
		}
		if err := in.gc(); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: forcing a GC: %v", in.t.name, err))
		}
	}
	time.Sleep(30 * time.Second) // the runtime returns freed pages to the OS in the background
	for _, in := range r.instances {
		in.afterGC, _ = in.sampleOrNote()
	}
	r.loadEnd = loadAvg()
	for _, in := range r.instances {
		if in.gone() {
			r.problems = append(r.problems, fmt.Sprintf("%s exited during the run: %v (its output is in the bench's stderr)", in.t.name, in.exit))
		}
		if in.sampleErrs > 0 {
			r.problems = append(r.problems, fmt.Sprintf("%s: %d readings failed, the first: %v", in.t.name, in.sampleErrs, in.firstSampleErr))
		}
	}

	text := r.String()
	fmt.Print(text)
	out := o.out
	if out == "" {
		out = filepath.Join(root, "bench", "results", time.Now().Format("2006-01-02")+"-idle-total.md")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return err
	}
	if len(r.problems) > 0 {
		return fmt.Errorf("%d problems (see the report)", len(r.problems))
	}
	return nil
}

// closedDuring lists the server's closes between two readings, by reason.
func closedDuring(before, after serverSample) string {
	var parts []string
	for reason, n := range after.closed {
		if d := n - before.closed[reason]; d > 0 {
			parts = append(parts, fmt.Sprintf("%d %q", d, reason))
		}
	}
	if len(parts) == 0 {
		return "no close counted by the server"
	}
	slices.Sort(parts)
	return "the server's reasons: " + strings.Join(parts, ", ")
}

func (r *idleTotalRun) String() string {
	var b strings.Builder
	mb := func(v int64) string { return fmt.Sprintf("%.0f MB", float64(v)/1e6) }
	fmt.Fprintf(&b, "# %d idle authenticated sockets over %d instances, %s\n\n", r.o.total, len(r.instances), r.started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s. Load average at the start, with the sockets open, at the end: %s; %s; %s.\n", machine(), r.loadStart, r.loadHeld, r.loadEnd)
	fmt.Fprintf(&b, "Hard file limit %d, CAP_SYS_RESOURCE %v: at most -idle-per-process %d sockets in each server and each generator process.\n",
		r.hardLimit, r.sysResource, r.o.perProcess)
	fmt.Fprintf(&b, "Each instance: cmd/server, memory storage, its own user; one generator process each (Go, socketiotest, dialling from its own loopback address), "+
		"which logs in once and connects with the token; the generators one after the other. "+
		"All open in %s; held %s, sampled every 5 s (%d rounds). Sockets counted by each server (pinion_socket_connections at /metrics). "+
		"RSS is VmRSS; heap is go_memstats_heap_inuse_bytes; after close: once the server counts no socket, a forced GC, and 30 s.\n\n",
		r.opened.Round(time.Second), r.o.hold, r.samples)

	b.WriteString("| instance | sockets asked | connected (generator) | server's count while held (min–max) | open in | RSS before | RSS with sockets (last / peak) | bytes of RSS per socket | heap before / with / after | goroutines before / with / after | RSS after close | generator RSS | file limit (soft/hard) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var asked, open, minSum, maxSum, heldConns int
	var base, held, peak, after, gen int64
	for _, in := range r.instances {
		asked, open = asked+in.want, open+in.opened.Open
		minSum, maxSum, heldConns = minSum+in.minConns, maxSum+in.maxConns, heldConns+in.held.conns
		base, held, peak, after, gen = base+in.base.rss, held+in.held.rss, peak+in.peakRSS, after+in.afterGC.rss, gen+in.genRSS
		count := "–"
		if in.samples > 0 {
			count = fmt.Sprintf("%d–%d", in.minConns, in.maxConns)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %.0f s | %s | %s / %s | %s | %s / %s / %s | %d / %d / %d | %s | %s | %s |\n",
			in.t.name, in.want, in.opened.Open, count, in.opened.Seconds, mb(in.base.rss), mb(in.held.rss), mb(in.peakRSS),
			perSocket(in.held.rss-in.base.rss, in.held.conns), mb(in.base.heap), mb(in.held.heap), mb(in.afterGC.heap),
			in.base.goroutines, in.held.goroutines, in.afterGC.goroutines, mb(in.afterGC.rss), mb(in.genRSS), in.fileLimit)
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d–%d | %.0f s | %s | %s / %s | %s | | | %s | %s | |\n", asked, open, minSum, maxSum,
		r.opened.Seconds(), mb(base), mb(held), mb(peak), perSocket(held-base, heldConns), mb(after), mb(gen))

	var retried, failed, dropped int
	for _, in := range r.instances {
		retried, failed, dropped = retried+in.opened.Retries, failed+in.opened.Failed, dropped+in.closing.Dropped
	}
	fmt.Fprintf(&b, "\nSocket setups retried: %d; sockets that never connected: %d; sockets the servers closed before the end of the hold: %d.\n", retried, failed, dropped)
	for _, in := range r.instances {
		if len(in.opened.Retried) > 0 {
			fmt.Fprintf(&b, "%s, first setups retried: %s.\n", in.t.name, strings.Join(in.opened.Retried, "; "))
		}
	}
	if r.single != nil {
		m := r.single
		fmt.Fprintf(&b, "\nFor comparison, one instance with %d sockets (the -only idle measurement: in-process Go generator, RSS 5 s after the last socket opened): "+
			"%s before, %s with the sockets, %s bytes per socket (%d setups retried).\n",
			m.sockets, mb(m.baseline), mb(m.loaded), perSocket(m.loaded-m.baseline, m.sockets), r.singleRetries)
	}
	for _, p := range r.problems {
		fmt.Fprintf(&b, "\n**Problem:** %s\n", p)
	}
	return b.String()
}

func perSocket(bytes int64, n int) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(bytes)/float64(n))
}
