package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

type report struct {
	started  time.Time
	machine  string
	feathers string
	options  options
	loads    []load
	memory   []memoryUse
	failures []string
}

type bcryptFigures struct {
	compare time.Duration // one comparison at cost 10
	limit   float64       // logins per second the cores allow
}

// bcryptLimit is the physical limit of local logins: cores ÷ one bcrypt
// comparison at Feathers' cost 10.
func bcryptLimit() bcryptFigures {
	hash, _ := bcrypt.GenerateFromPassword([]byte("bench-password"), 10)
	const n = 20
	start := time.Now()
	for range n {
		bcrypt.CompareHashAndPassword(hash, []byte("bench-password"))
	}
	one := time.Since(start) / n
	return bcryptFigures{compare: one, limit: float64(runtime.NumCPU()) / one.Seconds()}
}

func (r *report) find(workload, storage, target string) (load, bool) {
	for _, l := range r.loads {
		if l.workload == workload && l.storage == storage && l.target == target {
			return l, true
		}
	}
	return load{}, false
}

func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Pinion vs Feathers, %s\n\n", r.started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s. Feathers: %s. Each HTTP run: wrk, 2 threads, %s; %d connections (4 for logins).\n\n",
		r.machine, r.feathers, r.options.duration, r.options.connections)

	var workloads []string
	seen := map[string]bool{}
	for _, l := range r.loads {
		if !seen[l.workload] {
			seen[l.workload] = true
			workloads = append(workloads, l.workload)
		}
	}
	b.WriteString("| workload | storage | Pinion | Pinion p50 / p99 | Feathers | Feathers p50 / p99 | ratio |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, w := range workloads {
		for _, storage := range r.options.storages {
			p, okP := r.find(w, storage, "Pinion")
			f, okF := r.find(w, storage, "Feathers")
			if !okP || !okF {
				continue
			}
			ratio := "–"
			pv, fv := fmt.Sprintf("%.0f/s", p.rps), fmt.Sprintf("%.0f/s", f.rps)
			if p.rps > 0 && f.rps > 0 {
				ratio = fmt.Sprintf("%.1f×", p.rps/f.rps)
			} else if p.p99 > 0 && f.p99 > 0 {
				pv, fv = "–", "–"
				ratio = fmt.Sprintf("%.1f× (p99)", f.p99/p.p99)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f / %.2f ms | %s | %.2f / %.2f ms | %s |\n",
				w, storage, pv, p.p50, p.p99, fv, f.p50, f.p99, ratio)
			for _, l := range []load{p, f} {
				if l.errors > 0 || l.note != "" && l.note != "login" {
					fmt.Fprintf(&b, "|   ↳ %s | | %d errors %s | | | | |\n", l.target, l.errors, l.note)
				}
			}
		}
	}
	if r.options.before != "" {
		fmt.Fprintf(&b, "\nPinion before is the server of %s, which took turns with the other two.\n\n", r.options.before)
		b.WriteString("| workload | storage | server | p50 / p99 | Feathers ÷ server (p99) |\n|---|---|---|---:|---:|\n")
		for _, w := range workloads {
			for _, storage := range r.options.storages {
				f, okF := r.find(w, storage, "Feathers")
				for _, name := range []string{"Pinion before", "Pinion"} {
					l, ok := r.find(w, storage, name)
					if !ok || !okF || l.p99 == 0 {
						continue
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %.2f / %.2f ms | %.1f× |\n", w, storage, name, l.p50, l.p99, f.p99/l.p99)
				}
			}
		}
	}
	if len(r.memory) > 0 {
		b.WriteString("\n| idle authenticated sockets | generator | storage | server | resident before | with sockets | per 1,000 sockets | Feathers ÷ Pinion |\n|---|---|---|---|---:|---:|---:|---:|\n")
		for _, m := range r.memory {
			ratio := ""
			if m.target == "Pinion" {
				for _, f := range r.memory {
					if f.target == "Feathers" && f.storage == m.storage && f.generator == m.generator && m.perThousandSocket > 0 {
						ratio = fmt.Sprintf("%.2f×", f.perThousandSocket/m.perThousandSocket)
					}
				}
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %.0f MB | %.0f MB | %.1f MB | %s |\n", m.sockets, m.generator, m.storage, m.target,
				float64(m.baseline)/1e6, float64(m.loaded)/1e6, m.perThousandSocket/1e6, ratio)
		}
	}
	for _, f := range r.failures {
		fmt.Fprintf(&b, "\n**Failed:** %s\n", f)
	}
	if n, m := retries.Load(), nodeRetries.Load(); n > 0 || m > 0 {
		fmt.Fprintf(&b, "\nSocket setups retried after the server dropped them or did not answer within 15 s (zishang520/socket.io#195 and load): %d by the Go generator, %d by the Node one.\n", n, m)
	}
	b.WriteString("\nLogin limit: cores ÷ one bcrypt comparison at cost 10, measured just before each login run.\n")
	for _, l := range r.loads {
		if l.note != "login" || l.limit.limit == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s (%s): %.1f logins/s; one comparison took %.1f ms, so %d cores allow %.1f/s: %.0f%% of the limit.\n",
			l.target, l.storage, l.rps, float64(l.limit.compare)/float64(time.Millisecond), runtime.NumCPU(), l.limit.limit, 100*l.rps/l.limit.limit)
	}
	return b.String()
}
