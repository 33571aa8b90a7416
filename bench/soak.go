package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// soakOptions shape the soak: a mixed load at a moderate, fixed rate for a
// fixed time, against a Pinion server of its own (the built cmd/server, on
// the embedded store, in a process of its own so that its resources are
// its own), then a ledger.
type soakOptions struct {
	duration  time.Duration
	listeners int     // sockets connected for the whole run, which must receive every event
	rate      float64 // REST operations per second, all workers together
	sample    time.Duration
	out       string
}

// soakLedger is what the soak counts; the checks at the end compare it
// with what the server stored and what the listeners received.
type soakLedger struct {
	mu      sync.Mutex
	acked   map[string]string       // text of every acknowledged create → its id
	tried   map[string]bool         // every create sent, acknowledged or not
	patched map[string][2]int       // id → {last acknowledged rev, last rev sent}
	times   map[string][2]time.Time // text of an acknowledged create → {sent, acknowledged}
	ops     map[string]int          // operations done, by kind
	errs    map[string]int          // failures by kind
}

func newLedger() *soakLedger {
	return &soakLedger{acked: map[string]string{}, tried: map[string]bool{}, patched: map[string][2]int{}, times: map[string][2]time.Time{},
		ops: map[string]int{}, errs: map[string]int{}}
}

func (l *soakLedger) op(kind string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops[kind]++
	if err != nil {
		l.errs[kind+": "+errorKind(err)]++
	}
}

// errorKind names an error without what varies (ids, ports).
func errorKind(err error) string {
	var se statusError
	if errors.As(err, &se) {
		return fmt.Sprintf("HTTP %d %s", se.status, se.name)
	}
	s := err.Error()
	s = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(s, "ADDR")
	s = regexp.MustCompile(`\d+`).ReplaceAllString(s, "N")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

type statusError struct {
	status int
	name   string
}

func (e statusError) Error() string { return fmt.Sprintf("%d %s", e.status, e.name) }

type soakClient struct {
	base string
	http *http.Client
}

func (c *soakClient) do(method, path, token string, body any) (map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil && resp.StatusCode < 300 {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		name, _ := m["name"].(string)
		return m, statusError{resp.StatusCode, name}
	}
	return m, nil
}

type soakUser struct {
	email, password string
	mu              sync.Mutex
	token           string
}

func (u *soakUser) get() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.token
}

func (u *soakUser) set(t string) {
	u.mu.Lock()
	u.token = t
	u.mu.Unlock()
}

// listener is a socket connected for the whole run: it must receive the
// event of every create acknowledged while it is connected.
type listener struct {
	mu       sync.Mutex
	conn     *sioclient.Conn
	received map[string]int // message text → times received
	// connected are the intervals the listener was connected in: like a
	// socket.io client, it connects again a second after it is
	// disconnected. Events are due to it while it is connected.
	connected  [][2]time.Time
	reconnects int
}

// dial connects l, and notes when.
func (l *listener) dial(base, token string) error {
	conn, err := sioclient.DialAuth(base, nil, map[string]any{"token": token}, func(name string, data json.RawMessage, _ time.Time) {
		if name != "messages created" {
			return
		}
		var m struct{ Text string }
		json.Unmarshal(data, &m)
		l.mu.Lock()
		l.received[m.Text]++
		l.mu.Unlock()
	})
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.conn = conn
	l.connected = append(l.connected, [2]time.Time{time.Now()})
	l.mu.Unlock()
	return nil
}

// keep connects l again whenever it is disconnected, until ctx ends.
func (l *listener) keep(ctx context.Context, base string, token func() string, led *soakLedger) {
	for {
		l.mu.Lock()
		conn := l.conn
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-conn.Closed():
		}
		l.mu.Lock()
		l.connected[len(l.connected)-1][1] = time.Now()
		l.reconnects++
		l.mu.Unlock()
		for ctx.Err() == nil {
			sleepCtx(ctx, time.Second)
			err := l.dial(base, token())
			led.op("listener reconnect", err)
			if err == nil {
				break
			}
		}
	}
}

// close ends l's last interval now.
func (l *listener) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.connected); n > 0 && l.connected[n-1][1].IsZero() {
		l.connected[n-1][1] = time.Now()
	}
	l.conn.Close()
}

// due reports whether the event of a create sent and acknowledged at t was
// due to l: it was connected from before the create was sent until after
// its ack.
func (l *listener) due(t [2]time.Time) bool {
	for _, iv := range l.connected {
		if !t[0].Before(iv[0]) && !t[1].After(iv[1]) {
			return true
		}
	}
	return false
}

type sample struct {
	at                         time.Duration
	rss, fds, goroutines, heap float64
	ops                        int // operations done so far
}

func runSoak(o soakOptions) error {
	built, err := buildCheckout("pinion-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(built.tmp)
	root, tmp, bin := built.root, built.tmp, built.bin
	logPath := filepath.Join(tmp, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	port := freePort()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	srv := exec.Command(bin)
	srv.Dir = root
	srv.Env = append(os.Environ(), "APP_ENV=production", "LOG_LEVEL=warn", "AUTH_SECRET="+benchSecret, "STORAGE=mongodb",
		"DATA_DIR="+filepath.Join(tmp, "data"), "ORIGINS=*", "METRICS=true", "PORT="+strconv.Itoa(port))
	srv.Stderr = logFile
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
		}
	}()
	c := &soakClient{base: base, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := c.http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return errors.New("the server was not ready within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	started := time.Now()
	fmt.Fprintf(os.Stderr, "soak: %s against %s (pid %d), %d listeners, %.0f REST ops/s\n", o.duration, base, srv.Process.Pid, o.listeners, o.rate)
	users := make([]*soakUser, 8)
	for i := range users {
		u := &soakUser{email: fmt.Sprintf("soak-%d@example.com", i), password: "soak-password-" + strconv.Itoa(i)}
		if _, err := c.do("POST", "/users", "", map[string]any{"email": u.email, "password": u.password}); err != nil {
			return fmt.Errorf("signup: %w", err)
		}
		res, err := c.do("POST", "/authentication", "", map[string]any{"strategy": "local", "email": u.email, "password": u.password})
		if err != nil {
			return fmt.Errorf("login: %w", err)
		}
		u.set(res["accessToken"].(string))
		users[i] = u
	}
	led := newLedger()

	// The listeners.
	lis := make([]*listener, o.listeners)
	for i := range lis {
		l := &listener{received: map[string]int{}}
		if err := l.dial(base, users[i%len(users)].get()); err != nil {
			return fmt.Errorf("listener %d: %w", i, err)
		}
		lis[i] = l
	}

	ctx, stop := context.WithTimeout(context.Background(), o.duration)
	defer stop()
	var wg sync.WaitGroup
	var seq atomic.Int64

	for i, l := range lis {
		u := users[i%len(users)]
		wg.Add(1)
		go func() { defer wg.Done(); l.keep(ctx, base, u.get, led) }()
	}

	// Sampling of the server's resources.
	var samples []sample
	var smu sync.Mutex
	takeSample := func() {
		text, err := metricsText(c)
		if err != nil {
			led.op("sample", err)
			return
		}
		led.mu.Lock()
		ops := 0
		for _, n := range led.ops {
			ops += n
		}
		led.mu.Unlock()
		s := sample{ops: ops, at: time.Since(started), rss: float64(rss(srv.Process.Pid)), fds: metricValue(text, "process_open_fds"),
			goroutines: metricValue(text, "go_goroutines"), heap: metricValue(text, "go_memstats_heap_inuse_bytes")}
		smu.Lock()
		samples = append(samples, s)
		smu.Unlock()
	}
	takeSample()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.sample)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				takeSample()
			}
		}
	}()

	// REST workers: creates, finds, patches, paced together at o.rate.
	const workers = 4
	interval := time.Duration(float64(workers) / o.rate * float64(time.Second))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			type own struct {
				id, text string
				u        *soakUser
			}
			var mine []own // this worker's acknowledged messages
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				u := users[rng.IntN(len(users))]
				switch p := rng.IntN(100); {
				case p < 45:
					text := fmt.Sprintf("soak %d rest", seq.Add(1))
					led.mu.Lock()
					led.tried[text] = true
					led.mu.Unlock()
					sent := time.Now()
					res, err := c.do("POST", "/messages", u.get(), map[string]any{"text": text})
					led.op("rest create", err)
					if err == nil {
						id := fmt.Sprint(res["_id"])
						led.mu.Lock()
						led.acked[text] = id
						led.times[text] = [2]time.Time{sent, time.Now()}
						led.mu.Unlock()
						if len(mine) < 500 {
							mine = append(mine, own{id, text, u})
						}
					}
				case p < 85:
					_, err := c.do("GET", "/messages?$limit=10&$sort[createdAt]=-1", u.get(), nil)
					led.op("rest find", err)
				default:
					if len(mine) == 0 {
						continue
					}
					m := mine[rng.IntN(len(mine))]
					led.mu.Lock()
					p := led.patched[m.id]
					p[1]++
					rev := p[1]
					led.patched[m.id] = p
					led.mu.Unlock()
					// Only its author may change a message.
					_, err := c.do("PATCH", "/messages/"+m.id, m.u.get(), map[string]any{"text": fmt.Sprintf("%s r%d", m.text, rev)})
					led.op("rest patch", err)
					if err == nil {
						led.mu.Lock()
						p := led.patched[m.id]
						p[0] = max(p[0], rev)
						led.patched[m.id] = p
						led.mu.Unlock()
					}
				}
			}
		}()
	}

	// Logins: one a second (bcrypt is what a login costs).
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			u := users[i%len(users)]
			res, err := c.do("POST", "/authentication", "", map[string]any{"strategy": "local", "email": u.email, "password": u.password})
			led.op("rest login", err)
			if err == nil {
				u.set(res["accessToken"].(string))
			}
		}
	}()

	// Socket churn: connect, call, disconnect, again, so that connections
	// come and go all the time; its creates are due to the listeners too.
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if ctx.Err() != nil {
					return
				}
				u := users[(w+i)%len(users)]
				conn, err := sioclient.DialAuth(base, nil, map[string]any{"token": u.get()}, nil)
				led.op("socket connect", err)
				if err != nil {
					sleepCtx(ctx, time.Second)
					continue
				}
				for range 10 {
					if ctx.Err() != nil {
						break
					}
					text := fmt.Sprintf("soak %d socket", seq.Add(1))
					led.mu.Lock()
					led.tried[text] = true
					led.mu.Unlock()
					sent := time.Now()
					ack, err := conn.Call("create", "messages", map[string]any{"text": text}, map[string]any{})
					err = ackError(ack, err)
					led.op("socket create", err)
					if err == nil {
						var m struct {
							ID string `json:"_id"`
						}
						json.Unmarshal(ack[1], &m)
						led.mu.Lock()
						led.acked[text] = m.ID
						led.times[text] = [2]time.Time{sent, time.Now()}
						led.mu.Unlock()
					}
					ack, err = conn.Call("find", "messages", map[string]any{"$limit": 5})
					led.op("socket find", ackError(ack, err))
					sleepCtx(ctx, 200*time.Millisecond)
				}
				conn.Close()
			}
		}()
	}

	<-ctx.Done()
	wg.Wait()
	elapsed := time.Since(started)
	// Events in flight reach the listeners.
	time.Sleep(3 * time.Second)
	takeSample()
	finalMetrics, _ := metricsText(c) // before the listeners leave: why connections closed during the run
	for _, l := range lis {
		l.close()
	}

	// What the server stored.
	stored, err := storedMessages(c, users[0].get())
	if err != nil {
		return fmt.Errorf("reading what was stored: %w", err)
	}
	serverLog, _ := os.ReadFile(logPath)
	r := soakReport{o: o, started: started, elapsed: elapsed, led: led, lis: lis, stored: stored, samples: samples, metrics: finalMetrics, log: string(serverLog)}
	text := r.String()
	fmt.Print(text)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return err
		}
	}
	if !r.ok() {
		return errors.New("the soak lost or duplicated something: see the ledger")
	}
	return nil
}

func ackError(ack []json.RawMessage, err error) error {
	if err != nil && len(ack) == 0 {
		return err
	}
	if len(ack) == 0 {
		return errors.New("empty ack")
	}
	if string(ack[0]) != "null" {
		var e struct {
			Code int
			Name string
		}
		json.Unmarshal(ack[0], &e)
		return statusError{e.Code, e.Name}
	}
	if len(ack) < 2 {
		return errors.New("no result in the ack")
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func metricsText(c *soakClient) (string, error) {
	resp, err := c.http.Get(c.base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// metricValue is the value of an unlabelled series, or the sum of a
// labelled one's series.
func metricValue(text, name string) float64 {
	sum, found := 0.0, false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum, found = sum+v, true
		}
	}
	if !found {
		return math.NaN()
	}
	return sum
}

// storedMessages reads every message the server holds: text → times stored,
// and text → rev.
type storedSet struct {
	count map[string]int
	rev   map[string]int // by id
}

var patchedText = regexp.MustCompile(`^(soak \d+ \w+) r(\d+)$`)

func storedMessages(c *soakClient, token string) (storedSet, error) {
	s := storedSet{count: map[string]int{}, rev: map[string]int{}}
	last := ""
	for {
		q := url.Values{"$limit": {"50"}, "$sort[_id]": {"1"}}
		if last != "" {
			q.Set("_id[$gt]", last)
		}
		var res map[string]any
		var err error
		for try := range 5 {
			if res, err = c.do("GET", "/messages?"+q.Encode(), token, nil); err == nil {
				break
			}
			time.Sleep(time.Duration(try+1) * time.Second)
		}
		if err != nil {
			return s, err
		}
		data, _ := res["data"].([]any)
		if len(data) == 0 {
			return s, nil
		}
		for _, d := range data {
			m := d.(map[string]any)
			text, _ := m["text"].(string)
			id := fmt.Sprint(m["_id"])
			// A patched message reads "<its text> r<rev>".
			if sub := patchedText.FindStringSubmatch(text); sub != nil {
				text = sub[1]
				s.rev[id], _ = strconv.Atoi(sub[2])
			}
			s.count[text]++
			last = id
		}
	}
}

type soakReport struct {
	o       soakOptions
	started time.Time
	elapsed time.Duration
	led     *soakLedger
	lis     []*listener
	stored  storedSet
	samples []sample
	metrics string
	log     string
}

// check results, filled by String.
type soakChecks struct {
	lost, duplicated, unackedStored, patchLost, patchAhead int
	eventsDue, eventsMissing, eventsDuplicated             int
	eventsNotDue, reconnects                               int // creates made while a listener was reconnecting
}

func (r *soakReport) checks() soakChecks {
	var k soakChecks
	l := r.led
	for text := range l.acked {
		switch n := r.stored.count[text]; {
		case n == 0:
			k.lost++
		case n > 1:
			k.duplicated++
		}
	}
	for text, n := range r.stored.count {
		if _, ok := l.acked[text]; !ok && l.tried[text] {
			k.unackedStored++
		}
		if n > 1 {
			if _, ok := l.acked[text]; !ok {
				k.duplicated++
			}
		}
	}
	for id, p := range l.patched {
		got := r.stored.rev[id]
		if got < p[0] {
			k.patchLost++
		}
		if got > p[1] {
			k.patchAhead++
		}
	}
	for _, li := range r.lis {
		li.mu.Lock()
		k.reconnects += li.reconnects
		for text := range l.acked {
			if !li.due(l.times[text]) {
				k.eventsNotDue++
				continue
			}
			k.eventsDue++
			switch n := li.received[text]; {
			case n == 0:
				k.eventsMissing++
			case n > 1:
				k.eventsDuplicated++
			}
		}
		li.mu.Unlock()
	}
	return k
}

func (r *soakReport) ok() bool {
	k := r.checks()
	return k.lost == 0 && k.duplicated == 0 && k.patchLost == 0 && k.patchAhead == 0 && k.eventsMissing == 0 && k.eventsDuplicated == 0
}

// slope is the least-squares slope of ys over the sample times, per hour,
// after the first tenth of the run (start-up and warm-up).
func slope(samples []sample, y func(sample) float64) (perHour float64, first, last float64) {
	skip := len(samples) / 10
	s := samples[skip:]
	if len(s) < 2 {
		return 0, 0, 0
	}
	var sx, sy, sxx, sxy, n float64
	for _, p := range s {
		x := p.at.Hours()
		v := y(p)
		sx, sy, sxx, sxy, n = sx+x, sy+v, sxx+x*x, sxy+x*v, n+1
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0, y(s[0]), y(s[len(s)-1])
	}
	return (n*sxy - sx*sy) / d, y(s[0]), y(s[len(s)-1])
}

func (r *soakReport) String() string {
	var b strings.Builder
	k := r.checks()
	l := r.led
	fmt.Fprintf(&b, "## Soak, %s\n\n", time.Now().Format("2006-01-02"))
	fmt.Fprintf(&b, "`go run ./bench -soak %s -listeners %d -rate %.0f -sample %s`, %s. Pinion (cmd/server, production, embedded store) in a process of its own; "+
		"load from the bench process on the same machine: %d REST workers at %.0f ops/s together (45%% creates, 40%% finds, 15%% patches), "+
		"a local login a second, 2 sockets that connect, make 10 creates and finds, and disconnect, again and again, and %d sockets connected throughout that must receive every `messages created`.\n\n",
		r.o.duration, r.o.listeners, r.o.rate, r.o.sample, machine(), 4, r.o.rate, r.o.listeners)
	fmt.Fprintf(&b, "Ran %s.\n\n", r.elapsed.Round(time.Second))
	b.WriteString("| ledger | count |\n|---|---:|\n")
	fmt.Fprintf(&b, "| creates sent | %d |\n| creates acknowledged | %d |\n| messages stored | %d |\n", len(l.tried), len(l.acked), len(r.stored.count))
	fmt.Fprintf(&b, "| acknowledged but not stored (lost) | %d |\n| stored more than once (duplicates) | %d |\n| stored but not acknowledged (ambiguous: failed calls) | %d |\n",
		k.lost, k.duplicated, k.unackedStored)
	fmt.Fprintf(&b, "| patched messages | %d |\n| acknowledged patch not stored | %d |\n| stored rev beyond any sent | %d |\n", len(l.patched), k.patchLost, k.patchAhead)
	fmt.Fprintf(&b, "| events due (acknowledged creates × listeners connected throughout the create) | %d |\n| events missing | %d |\n| events received twice | %d |\n",
		k.eventsDue, k.eventsMissing, k.eventsDuplicated)
	fmt.Fprintf(&b, "| listeners disconnected by the server, connected again a second later | %d |\n| creates made while a listener was away (not due to it) | %d |\n",
		k.reconnects, k.eventsNotDue)
	for _, name := range []string{"pinion_socket_slow_disconnects_total", "pinion_channel_dropped_total", "pinion_channel_deliveries_total", "pinion_socket_connections_opened_total"} {
		fmt.Fprintf(&b, "| server: %s | %.0f |\n", name, metricValue(r.metrics, name))
	}
	warns := strings.Count(r.log, `"level":"WARN"`)
	errs := strings.Count(r.log, `"level":"ERROR"`)
	fmt.Fprintf(&b, "| server log: warnings, errors | %d, %d |\n\n", warns, errs)

	// Where events went missing, and what ended connections.
	for i, li := range r.lis {
		li.mu.Lock()
		missed := 0
		for text := range l.acked {
			if li.due(l.times[text]) && li.received[text] == 0 {
				missed++
			}
		}
		var gaps []string
		for j := 1; j < len(li.connected); j++ {
			gaps = append(gaps, fmt.Sprintf("%s after %s", li.connected[j][0].Sub(li.connected[j-1][1]).Round(10*time.Millisecond),
				li.connected[j-1][1].Sub(r.started).Round(time.Second)))
		}
		li.mu.Unlock()
		if missed > 0 || len(gaps) > 0 {
			fmt.Fprintf(&b, "- listener %d: missed %d events due to it; away %v\n", i, missed, gaps)
		}
	}
	for line := range strings.SplitSeq(r.metrics, "\n") {
		if strings.HasPrefix(line, "pinion_socket_connections_closed_total{") {
			fmt.Fprintf(&b, "- server: %s\n", line)
		}
	}
	msgs := map[string]int{}
	for line := range strings.SplitSeq(r.log, "\n") {
		var rec struct{ Level, Msg, Error string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg != "" {
			e := rec.Error
			if len(e) > 120 {
				e = e[:120]
			}
			msgs[fmt.Sprintf("%s %s: %s", rec.Level, rec.Msg, e)]++
		}
	}
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- server log, %d×: %s\n", msgs[k], k)
	}
	b.WriteString("\n")

	b.WriteString("| operation | done | failed |\n|---|---:|---:|\n")
	kinds := make([]string, 0, len(l.ops))
	for kind := range l.ops {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		failed := 0
		for e, n := range l.errs {
			if strings.HasPrefix(e, kind+": ") {
				failed += n
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d |\n", kind, l.ops[kind], failed)
	}
	if len(l.errs) > 0 {
		b.WriteString("\nErrors by kind:\n\n")
		es := make([]string, 0, len(l.errs))
		for e := range l.errs {
			es = append(es, e)
		}
		sort.Strings(es)
		for _, e := range es {
			fmt.Fprintf(&b, "- %s: %d\n", e, l.errs[e])
		}
	}
	b.WriteString("\nServer resources, sampled every " + r.o.sample.String() + " (slope: least squares after the first tenth of the run):\n\n")
	b.WriteString("| resource | first | last | min | max | slope |\n|---|---:|---:|---:|---:|---:|\n")
	for _, res := range []struct {
		name  string
		y     func(sample) float64
		scale float64
		unit  string
	}{
		{"RSS", func(s sample) float64 { return s.rss }, 1 << 20, "MiB"},
		{"Go heap in use", func(s sample) float64 { return s.heap }, 1 << 20, "MiB"},
		{"goroutines", func(s sample) float64 { return s.goroutines }, 1, ""},
		{"open file descriptors", func(s sample) float64 { return s.fds }, 1, ""},
	} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range r.samples {
			lo, hi = math.Min(lo, res.y(s)), math.Max(hi, res.y(s))
		}
		per, _, _ := slope(r.samples, res.y)
		first, last := res.y(r.samples[0]), res.y(r.samples[len(r.samples)-1])
		f := func(v float64) string { return strconv.FormatFloat(v/res.scale, 'f', 1, 64) + " " + res.unit }
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s/h |\n", res.name, f(first), f(last), f(lo), f(hi), strings.TrimSpace(f(per)))
	}
	b.WriteString("\nSamples (time, RSS MiB, heap MiB, goroutines, fds, client operations per second since the sample before):\n\n```\n")
	for i, s := range r.samples {
		rate := 0.0
		if i > 0 {
			rate = float64(s.ops-r.samples[i-1].ops) / (s.at - r.samples[i-1].at).Seconds()
		}
		fmt.Fprintf(&b, "%6s %7.1f %7.1f %6.0f %5.0f %6.1f\n", s.at.Round(time.Second), s.rss/(1<<20), s.heap/(1<<20), s.goroutines, s.fds, rate)
	}
	b.WriteString("```\n")
	if r.ok() {
		b.WriteString("\nVerdict: nothing lost, nothing duplicated, every event delivered.\n")
	} else {
		b.WriteString("\nVerdict: FAILED (see above).\n")
	}
	return b.String()
}
