// Command bench measures Pinion side by side with a real Feathers server of the
// same shape (the feathers-chat app), on the same machine, the same storage and
// the same load generator, in one run, and prints the ratios:
//
//	go run ./bench                 # REST and sockets, memory and MongoDB storage
//	go run ./bench -only rest -storage memory -duration 5s
//	go run ./bench -only fanout -storage memory -fanout 1000,10000   # fan-out alone, both servers taking turns
//	go run ./bench -soak 10m       # a soak test of Pinion alone, then a ledger (soak.go)
//	go run ./bench -scale          # the storage at 1k, 10k and 100k records (scale.go)
//	go run ./bench -scale -scale-sizes 100000,1000000   # at the sizes given
//	go run ./bench -flood 1GB      # one socket sends 1 GB of finds; the server's RSS (flood.go)
//	go run ./bench -engine 10000   # the Engine.IO server alone: idle sockets, fan-out (engine.go)
//	go run ./bench -idle-total 100000   # idle sockets over several server instances (idletotal.go)
//
// The Feathers server is the workplace's reference (../shared/anchors/feathers-ref)
// when present, else test/js/feathers-server.mjs, an equivalent kept in this
// repository. HTTP load comes from wrk (installed with apt-get when missing);
// socket load from two generators, each the same for both servers: Go's
// (transport/socketio/socketiotest, in this process) and Node's (socket.io-client,
// test/js/load-generator.mjs).
// MongoDB storage is one embedded FerretDB process shared by both servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
)

type options struct {
	duration    time.Duration
	connections int
	storages    []string
	only        string
	idle        int
	feathers    string
	out         string
	scale       bool
	scaleMax    int
	scaleSizes  string
	scaleOnly   string
	fanout      []int  // the listeners of each fan-out measurement
	before      string // another checkout of Pinion, measured beside this one in the fan-out
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-serve-store" {
		serveStore(os.Args[2])
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "-serve-engine" {
		serveEngine()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "-idle-generator" {
		if err := runIdleGenerator(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench -idle-generator:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	var storages string
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each load run")
	flag.IntVar(&o.connections, "connections", 50, "concurrent HTTP connections")
	flag.StringVar(&storages, "storage", "memory,mongodb", "storages to measure")
	flag.StringVar(&o.only, "only", "", "rest, sockets (calls, fan-out and idle sockets), fanout or idle (default all)")
	flag.StringVar(&o.before, "before", "", "a checkout of Pinion (e.g. a git worktree of the main branch) whose server takes turns with this one's in the fan-out, as \"Pinion before\"")
	fanoutSizes := flag.String("fanout", "1000", "the listeners of the fan-out measurements, comma-separated (e.g. 1000,10000)")
	flag.IntVar(&o.idle, "idle", 10000, "idle sockets to measure memory with")
	flag.StringVar(&o.feathers, "feathers", "", "the Feathers app to compare with (app.mjs); default: the reference, else test/js/feathers-server.mjs")
	flag.StringVar(&o.out, "out", "", "also write the report to this file (default bench/results/<date>.md, or <date>-scale.md)")
	flag.BoolVar(&o.scale, "scale", false, "measure the storage at 1k, 10k and 100k records instead (see scale.go)")
	flag.IntVar(&o.scaleMax, "scale-max", 0, "with -scale: the largest size to measure (default 100000)")
	flag.StringVar(&o.scaleSizes, "scale-sizes", "", "with -scale: the sizes to measure, comma-separated (default 1000,10000,100000)")
	flag.StringVar(&o.scaleOnly, "scale-store", "", "with -scale: sqlite or ferretdb (default both)")
	flood := flag.String("flood", "", "instead of the comparison, one socket sends this much (e.g. 1GB) of finds to the chat server, whose RSS is sampled (flood.go, issue #17)")
	engine := flag.Int("engine", 0, "instead of the comparison, measure the Engine.IO server alone with this many idle WebSockets (engine.go)")
	var it idleTotalOptions
	flag.IntVar(&it.total, "idle-total", 0, "instead of the comparison, hold this many idle authenticated sockets (e.g. 100000) over as many chat server instances as -idle-per-process requires, each loaded by a generator process of its own; then the -idle sockets on one instance, for comparison (-idle 0: none; idletotal.go)")
	flag.IntVar(&it.perProcess, "idle-per-process", 18000, "with -idle-total: the most sockets one server instance or one generator process holds (each socket is a file descriptor, and the hard file limit bounds each process)")
	flag.DurationVar(&it.hold, "idle-hold", time.Minute, "with -idle-total: how long the sockets are held while each server's RSS and socket count are sampled")
	var so soakOptions
	flag.DurationVar(&so.duration, "soak", 0, "instead of the comparison, a soak test of this length: mixed REST and socket load on Pinion alone, then a ledger")
	flag.IntVar(&so.listeners, "listeners", 20, "soak: sockets connected throughout, which must receive every event")
	flag.Float64Var(&so.rate, "rate", 60, "soak: REST operations per second")
	flag.DurationVar(&so.sample, "sample", 10*time.Second, "soak: how often the server's resources are sampled")
	flag.Parse()
	if *flood != "" {
		if err := runFlood(*flood); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if it.total > 0 {
		it.single, it.out = o.idle, o.out
		if err := runIdleTotal(it); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *engine > 0 {
		if err := runEngineBench(*engine); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if so.duration > 0 {
		so.out = o.out
		if err := runSoak(so); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	o.storages = strings.Split(storages, ",")
	for f := range strings.SplitSeq(*fanoutSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: -fanout %q: want socket counts such as 1000,10000\n", *fanoutSizes)
			os.Exit(2)
		}
		o.fanout = append(o.fanout, n)
	}
	if o.scale {
		if err := runScale(o); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// serveStore runs the embedded store in its own process, so that both servers
// talk to it over TCP like to any MongoDB.
func serveStore(dir string) {
	srv, err := embedded.Start(context.Background(), dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URI())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Close()
}

func run(o options) error {
	// Ten thousand sockets of the Go generator are as many descriptors in
	// this process.
	raiseFileLimit()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := ensureTools(root); err != nil {
		return err
	}
	feathersApp, err := feathersApp(root, o.feathers)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pinion-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pinionBin, err := buildServer(root, tmp)
	if err != nil {
		return err
	}
	var beforeBin string
	if o.before != "" {
		dir := filepath.Join(tmp, "before")
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		if beforeBin, err = buildServer(o.before, dir); err != nil {
			return err
		}
	}

	r := &report{started: time.Now(), machine: machine(), feathers: feathersApp, options: o}
	phase := 0
	for _, storage := range o.storages {
		targets := []*target{
			{name: "Pinion", cmd: []string{pinionBin}, dir: root, env: pinionEnv(storage)},
			{name: "Feathers", cmd: []string{"node", feathersApp}, dir: filepath.Dir(feathersApp), env: feathersEnv},
		}
		for _, t := range targets {
			t.storage = storage
		}
		// Fan-out is measured on both servers at once, their events taking
		// turns (sockets.go): the machine's load, which decides a fan-out's
		// tail here, weighs on both alike.
		if o.only == "" || o.only == "sockets" || o.only == "fanout" {
			ts := targets
			if beforeBin != "" {
				ts = append(slices.Clone(targets), &target{name: "Pinion before", storage: storage,
					cmd: []string{beforeBin}, dir: o.before, env: withDatabase(pinionEnv(storage), "bench_pinion_before")})
			}
			for _, n := range o.fanout {
				phase++
				if err := runPhases(ts, tmp, phase, func(ts []*target) error { return r.measureFanout(ts, n, root) }); err != nil {
					err = fmt.Errorf("%s fan-out to %d: %w", storage, n, err)
					fmt.Fprintln(os.Stderr, "bench:", err)
					r.failures = append(r.failures, err.Error())
				}
			}
		}
		for _, t := range targets {
			// Each phase gets a fresh process and, with mongodb, a fresh store,
			// so that one phase's leftovers (a big collection, ten thousand
			// closing sockets) do not weigh on the next.
			phases := []struct {
				name, group string
				run         func(*target) error
			}{
				{"sockets", "sockets", func(t *target) error { return r.measureSockets(t, o, root) }},
				{"idle", "sockets", func(t *target) error { return r.measureIdle("Go")(t, o, root) }},
				{"idle", "sockets", func(t *target) error { return r.measureIdle("Node")(t, o, root) }},
				{"rest", "rest", func(t *target) error { return r.measureREST(t, o) }},
			}
			for _, ph := range phases {
				if o.only != "" && o.only != ph.name && o.only != ph.group {
					continue
				}
				phase++
				if err := runPhase(t, tmp, phase, ph.run); err != nil {
					// The other phases still run: one failure does not
					// throw away a long run's figures.
					err = fmt.Errorf("%s %s %s: %w", t.name, t.storage, ph.name, err)
					fmt.Fprintln(os.Stderr, "bench:", err)
					r.failures = append(r.failures, err.Error())
				}
			}
		}
	}
	text := r.String()
	fmt.Print(text)
	out := o.out
	if out == "" {
		out = filepath.Join(root, "bench", "results", time.Now().Format("2006-01-02")+".md")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(text), 0o644)
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ensureTools installs what the benchmark needs and the machine lacks: the
// Node packages (npm ci) and wrk (apt-get).
func ensureTools(root string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(os.Stderr, "installing wrk with apt-get")
		for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "wrk"}} {
			cmd := exec.Command("apt-get", args...)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("wrk is needed (apt-get install wrk): %w", err)
			}
		}
	}
	return npmCI(filepath.Join(root, "test"))
}

func npmCI(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w", dir, err)
	}
	return nil
}

// feathersApp picks the Feathers server to compare with.
func feathersApp(root, flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	ref := filepath.Join(root, "..", "shared", "anchors", "feathers-ref", "app.mjs")
	if _, err := os.Stat(ref); err == nil {
		if err := npmCI(filepath.Dir(ref)); err != nil {
			return "", err
		}
		return filepath.Clean(ref), nil
	}
	return filepath.Join(root, "test", "js", "feathers-server.mjs"), nil
}

// runPhase starts t (and its store) fresh, seeds it, and measures it.
func runPhase(t *target, tmp string, n int, measure func(*target) error) error {
	return runPhases([]*target{t}, tmp, n, func(ts []*target) error { return measure(ts[0]) })
}

// runPhases starts the targets (and, with mongodb, one store for them all)
// fresh, seeds them, and measures them together.
func runPhases(ts []*target, tmp string, n int, measure func([]*target) error) error {
	var storeURI string
	if ts[0].storage == "mongodb" {
		uri, stop, err := startStore(filepath.Join(tmp, fmt.Sprintf("store-%d", n)))
		if err != nil {
			return err
		}
		defer stop()
		storeURI = uri
	}
	for i, t := range ts {
		t.environ = t.env(storeURI, filepath.Join(tmp, fmt.Sprintf("data-%d-%d", n, i)))
		if err := t.start(); err != nil {
			return err
		}
		defer t.stop()
		if err := t.seed(); err != nil {
			return err
		}
	}
	return measure(ts)
}

func startStore(dir string) (string, func(), error) {
	cmd := exec.Command(os.Args[0], "-serve-store", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	buf := make([]byte, 256)
	n, err := out.Read(buf)
	if err != nil {
		cmd.Process.Kill()
		return "", nil, fmt.Errorf("starting the store: %w", err)
	}
	uri := strings.TrimSpace(string(buf[:n]))
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	return strings.TrimSuffix(uri, "/"), stop, nil
}

const benchSecret = "bench-secret-bench-secret-bench-secret-0123456789"

func pinionEnv(storage string) func(storeURI, dataDir string) []string {
	return func(storeURI, dataDir string) []string {
		env := []string{"APP_ENV=production", "LOG_LEVEL=error", "AUTH_SECRET=" + benchSecret,
			"STORAGE=" + storage, "DATA_DIR=" + dataDir, "ORIGINS=*"}
		if storeURI != "" {
			env = append(env, "MONGODB_URL="+storeURI+"/bench_pinion")
		}
		return env
	}
}

// withDatabase is env with MONGODB_URL naming database db instead, for a
// second Pinion server on the same store.
func withDatabase(env func(storeURI, dataDir string) []string, db string) func(storeURI, dataDir string) []string {
	return func(storeURI, dataDir string) []string {
		out := env(storeURI, dataDir)
		for i, kv := range out {
			if strings.HasPrefix(kv, "MONGODB_URL=") {
				out[i] = "MONGODB_URL=" + storeURI + "/" + db
			}
		}
		return out
	}
}

func feathersEnv(storeURI, _ string) []string {
	env := []string{"NODE_ENV=production", "AUTH_SECRET=" + benchSecret}
	if storeURI != "" {
		env = append(env, "MONGODB_URL="+storeURI+"/bench_feathers")
	}
	return env
}

func machine() string {
	host, _ := os.Hostname()
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	node, _ := exec.Command("node", "--version").Output()
	return fmt.Sprintf("%s, %d cores (%s), %s, Node %s", host, runtime.NumCPU(), cpu, runtime.Version(), strings.TrimSpace(string(node)))
}

// buildServer builds cmd/server of the checkout at root into dir and
// answers the binary's path: every mode runs the server as its own process,
// so that its memory and descriptors are its own.
// checkout is the chat server built from this checkout into a temporary
// directory of its own, which the caller removes (os.RemoveAll(c.tmp)).
type checkout struct{ root, tmp, bin string }

// buildCheckout builds the server into a new temporary directory named
// after prefix.
func buildCheckout(prefix string) (checkout, error) {
	root, err := repoRoot()
	if err != nil {
		return checkout{}, err
	}
	tmp, err := os.MkdirTemp("", prefix)
	if err != nil {
		return checkout{}, err
	}
	bin, err := buildServer(root, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return checkout{}, err
	}
	return checkout{root, tmp, bin}, nil
}

func buildServer(root, dir string) (string, error) {
	bin := filepath.Join(dir, "pinion-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/server")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building the server: %w", err)
	}
	return bin, nil
}
