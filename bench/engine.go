package main

// The engine bench measures Pinion's Engine.IO server (transport/socketio/
// engineio) alone, without socket.io or the app above it: what an idle
// socket costs, by component, and how long one message takes to reach every
// socket. The server runs in a child process (bench -serve-engine) so that
// the clients' memory is not counted; it reports its own figures at /stats.
//
//	go run ./bench -engine 10000          # idle WebSockets, polling, fan-out
//
// The file limit is raised to the hard limit for both processes; where the
// hard limit is lower than the sockets asked for, the run says so and
// measures as many as fit.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pinionhq/pinion/transport/socketio/engineio"
)

// engineStats is what the engine's process reports of itself, after a
// garbage collection.
type engineStats struct {
	Sockets    int    `json:"sockets"`
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heapInuse"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	StackInuse uint64 `json:"stackInuse"`
	Sys        uint64 `json:"sys"`
	RSS        uint64 `json:"rss"`
}

// serveEngine is the child process: an engine whose sockets do nothing, on
// a free port printed to stdout, with /stats and /broadcast beside it.
func serveEngine() {
	// A fine sampling, for a heap profile exact to the socket.
	runtime.MemProfileRate = 64
	raiseFileLimit()
	var mu sync.Mutex
	var socks []*engineio.Socket
	srv := engineio.NewServer(engineio.Options{
		// The idle figures are taken within a ping interval; the heartbeat's
		// cost (one timer per socket) is there whatever its period.
		PingInterval: 10 * time.Minute,
		PingTimeout:  time.Minute,
		OnOpen: func(s *engineio.Socket) engineio.Handler {
			mu.Lock()
			socks = append(socks, s)
			mu.Unlock()
			return nopHandler{}
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(engineStats{
			Sockets: srv.Count(), Goroutines: runtime.NumGoroutine(),
			HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, StackInuse: ms.StackInuse, Sys: ms.Sys,
			RSS: selfRSS(),
		})
	})
	// /broadcast?n= sends one message, stamped with the time, to the first n
	// sockets: encoded once, the same frame written to each.
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		all := socks
		mu.Unlock()
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n < len(all) {
			all = all[:n] // the first n sockets: those the bench reads
		}
		m := engineio.NewText(strconv.FormatInt(time.Now().UnixNano(), 10))
		sent := 0
		for _, s := range all {
			if s.Send(m) == nil {
				sent++
			}
		}
		fmt.Fprint(w, sent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	http.Serve(ln, mux)
}

type nopHandler struct{}

func (nopHandler) OnMessage([]byte, bool) {}
func (nopHandler) OnClose(string)         {}

// selfRSS is the resident set of this process, from /proc (0 elsewhere).
func selfRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// raiseFileLimit raises the soft limit of open files to the hard one, and
// returns it.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	l.Cur = l.Max
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Max
}

// engineRun is the parent's side: the engine process and its clients.
type engineRun struct {
	cmd  *exec.Cmd
	addr string
}

func startEngine() (*engineRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-engine")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("starting the engine: %w", err)
	}
	return &engineRun{cmd: cmd, addr: strings.TrimSpace(line)}, nil
}

func (e *engineRun) stop() {
	e.cmd.Process.Signal(os.Interrupt)
	e.cmd.Wait()
}

func (e *engineRun) stats() (engineStats, error) {
	var s engineStats
	res, err := http.Get("http://" + e.addr + "/stats")
	if err != nil {
		return s, err
	}
	defer res.Body.Close()
	return s, json.NewDecoder(res.Body).Decode(&s)
}

// heapProfile saves the engine's heap profile to a file and returns its
// name: go tool pprof -sample_index=inuse_space -top <file> shows what the
// sockets hold.
func (e *engineRun) heapProfile() (string, error) {
	res, err := http.Get("http://" + e.addr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	f, err := os.CreateTemp("", "engine-heap-*.pprof")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return f.Name(), err
}

// dialWS opens an Engine.IO WebSocket session from the i-th of several
// loopback addresses (each has its own range of ephemeral ports), and
// returns once its OPEN packet is read.
func (e *engineRun) dialWS(i int) (net.Conn, *bufio.Reader, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%8))}}
	c, err := d.Dial("tcp", e.addr)
	if err != nil {
		return nil, nil, err
	}
	req := "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + e.addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(c, 512)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, nil, fmt.Errorf("upgrade: %v %v", res, err)
	}
	if p, err := readFrame(br); err != nil || len(p) == 0 || p[0] != '0' {
		c.Close()
		return nil, nil, fmt.Errorf("open packet %q: %v", p, err)
	}
	return c, br, nil
}

// readFrame reads one unmasked frame from the server.
func readFrame(br *bufio.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint64(b[:]))
	}
	p := make([]byte, n)
	_, err := io.ReadFull(br, p)
	return p, err
}

// pollSession opens a polling session and leaves a GET pending on it, as an
// idle long-polling client does.
func (e *engineRun) pollSession(i int, client *http.Client) error {
	res, err := client.Get("http://" + e.addr + "/engine.io/?EIO=4&transport=polling")
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var open struct{ Sid string }
	if len(b) < 2 || json.Unmarshal(b[1:], &open) != nil {
		return fmt.Errorf("handshake %q", b)
	}
	go func() {
		res, err := client.Get("http://" + e.addr + "/engine.io/?EIO=4&transport=polling&sid=" + open.Sid)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	return nil
}

type engineFigures struct {
	profile        string // where the heap profile of the idle WebSockets is
	limit          uint64
	ws, polling    int
	base, wsLoaded engineStats
	pollLoaded     engineStats
	fanout         []fanoutFigure
}

type fanoutFigure struct {
	sockets  int
	p50, p99 float64 // ms, over every socket of every event
}

// runEngineBench measures n idle WebSockets, n/10 idle polling sessions,
// and fan-out to 1,000 and to n sockets.
func runEngineBench(n int) error {
	limit := raiseFileLimit()
	if max := int(limit) - 500; limit > 0 && n > max {
		fmt.Fprintf(os.Stderr, "engine bench: the file limit is %d: measuring %d sockets, not %d\n", limit, max, n)
		n = max
	}
	e, err := startEngine()
	if err != nil {
		return err
	}
	defer e.stop()
	f := engineFigures{limit: limit, ws: n}
	if f.base, err = e.stats(); err != nil {
		return err
	}

	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		if i == 1000 {
			// The first 1,000 are open before any other, so that they are
			// the engine's first 1,000 too: those /broadcast?n=1000 sends to.
			wg.Wait()
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, br, err := e.dialWS(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("socket %d: %w", i, err)
			}
			conns[i], readers[i] = c, br
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if first != nil {
		return first
	}
	if f.wsLoaded, err = e.stats(); err != nil {
		return err
	}
	if f.profile, err = e.heapProfile(); err != nil {
		return err
	}

	for _, k := range []int{1000, n} {
		fig, err := fanoutTo(e, conns[:min(k, n)], readers[:min(k, n)], 30)
		if err != nil {
			return err
		}
		f.fanout = append(f.fanout, fig)
	}

	// Polling sessions, each with its GET pending, on top of the WebSockets.
	f.polling = min(n/10, 1000)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: f.polling * 2}}
	for i := range f.polling {
		if err := e.pollSession(i, client); err != nil {
			return err
		}
	}
	// The GETs are pending once the server counts their goroutines.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if f.pollLoaded, err = e.stats(); err != nil {
			return err
		}
		if f.pollLoaded.Goroutines >= f.wsLoaded.Goroutines+f.polling || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Print(f.String())
	return nil
}

// fanoutTo broadcasts events one after the other and times each socket's
// receipt of each.
func fanoutTo(e *engineRun, conns []net.Conn, readers []*bufio.Reader, events int) (fanoutFigure, error) {
	lat := make(chan time.Duration, len(conns))
	var all []time.Duration
	for range events {
		var wg sync.WaitGroup
		for i := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := readFrame(readers[i])
				if err != nil || len(p) < 2 {
					return
				}
				sent, _ := strconv.ParseInt(string(p[1:]), 10, 64)
				lat <- time.Duration(time.Now().UnixNano() - sent)
			}()
		}
		res, err := http.Post("http://"+e.addr+"/broadcast?n="+strconv.Itoa(len(conns)), "text/plain", nil)
		if err != nil {
			return fanoutFigure{}, err
		}
		res.Body.Close()
		wg.Wait()
		for range len(lat) {
			all = append(all, <-lat)
		}
	}
	if len(all) != events*len(conns) {
		return fanoutFigure{}, fmt.Errorf("fan-out to %d sockets: %d receipts of %d", len(conns), len(all), events*len(conns))
	}
	p50, p99 := percentiles(all)
	return fanoutFigure{sockets: len(conns), p50: p50, p99: p99}, nil
}

func (f engineFigures) String() string {
	var b strings.Builder
	per := func(after, before uint64, n int) string {
		return fmt.Sprintf("%.0f", (float64(after)-float64(before))/float64(n))
	}
	fmt.Fprintf(&b, "\n## Engine.IO server alone (transport/socketio/engineio), %s\n\n", machine())
	fmt.Fprintf(&b, "File limit %d. Idle sockets, bytes per socket (after a GC, the empty server's figures subtracted):\n\n", f.limit)
	fmt.Fprintf(&b, "| sockets | heap in use | heap objects | goroutine stacks | Go runtime total (Sys) | RSS | goroutines per socket |\n|---|---|---|---|---|---|---|\n")
	row := func(name string, n int, after, before engineStats) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.2f |\n", name,
			per(after.HeapInuse, before.HeapInuse, n), per(after.HeapAlloc, before.HeapAlloc, n),
			per(after.StackInuse, before.StackInuse, n), per(after.Sys, before.Sys, n), per(after.RSS, before.RSS, n),
			float64(after.Goroutines-before.Goroutines)/float64(n))
	}
	row(fmt.Sprintf("%d WebSocket", f.ws), f.ws, f.wsLoaded, f.base)
	row(fmt.Sprintf("%d polling, GET pending", f.polling), f.polling, f.pollLoaded, f.wsLoaded)
	fmt.Fprintf(&b, "\nRSS with %d WebSockets: %.1f MB (%.1f MB per 1,000).\n\n", f.ws, float64(f.wsLoaded.RSS)/1e6,
		(float64(f.wsLoaded.RSS)-float64(f.base.RSS))/float64(f.ws)*1000/1e6)
	fmt.Fprintf(&b, "Heap profile of the idle WebSockets: %s\n\n", f.profile)
	fmt.Fprintf(&b, "| fan-out of one message, 30 events | p50 ms | p99 ms |\n|---|---|---|\n")
	for _, x := range f.fanout {
		fmt.Fprintf(&b, "| %d WebSockets | %.2f | %.2f |\n", x.sockets, x.p50, x.p99)
	}
	return b.String()
}
