package sqlite_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

func counterService(db *sqlite.DB) *sqlite.Service {
	return sqlite.New(db, "items", sqlite.Options{
		Options: adapter.Options{Paginate: pinion.Paginate{Default: 10}, Multi: []pinion.Method{"create", "patch"}},
		Indexes: []sqlite.Index{{Fields: []string{"owner", "n"}, Unique: true}, {Fields: []string{"n"}}},
	})
}

// TestConcurrentWriters has writers create, patch and multi-patch records
// while readers page through them: nothing is lost, nothing written twice,
// no increment is lost, every page total is a count that existed.
func TestConcurrentWriters(t *testing.T) {
	db := openDB(t)
	s := counterService(db)
	counter, err := s.Create(ctx, M{"owner": "counter", "n": -1.0, "hits": 0.0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	counterID := counter.(M)["_id"]
	const writers, each = 6, 150
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*3)
	for w := range writers {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for i := range each {
				res, err := s.Create(ctx, M{"owner": owner, "n": float64(i), "text": strings.Repeat("x", i)}, nil)
				if err != nil {
					errs <- err
					continue
				}
				if _, err := s.Patch(ctx, res.(M)["_id"], M{"$inc": M{"patched": 1.0}}, nil); err != nil {
					errs <- err
				}
				if _, err := s.Patch(ctx, counterID, M{"$inc": M{"hits": 1.0}}, nil); err != nil {
					errs <- err
				}
				if i%50 == 0 {
					if _, err := s.Patch(ctx, nil, M{"$inc": M{"sweeps": 1.0}}, q(M{"owner": owner})); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			last := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := s.Find(ctx, q(M{"n": M{"$gte": 0.0}, "$sort": M{"n": -1.0}}))
				if err != nil {
					errs <- err
					return
				}
				page := res.(*pinion.Page)
				if page.Total < last || page.Total > writers*each || len(page.Data) > 10 {
					errs <- fmt.Errorf("page: total %d after %d, %d records", page.Total, last, len(page.Data))
				}
				last = page.Total
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all := records(mustFind(t, s, &pinion.Params{Query: M{"n": M{"$gte": 0.0}}, Paginate: &pinion.Paginate{}}))
	if len(all) != writers*each {
		t.Fatalf("%d records, want %d", len(all), writers*each)
	}
	seen := map[string]bool{}
	for _, r := range all {
		k := fmt.Sprintf("%v/%v", r["owner"], r["n"])
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
		if r["patched"] != 1.0 || r["text"] != strings.Repeat("x", int(r["n"].(float64))) {
			t.Errorf("record %v", r)
		}
	}
	got, err := s.Get(ctx, counterID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hits := got.(M)["hits"]; hits != float64(writers*each) {
		t.Errorf("hits = %v, want %d: increments were lost", hits, writers*each)
	}
}

func mustFind(t *testing.T, s *sqlite.Service, params *pinion.Params) any {
	t.Helper()
	res, err := s.Find(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// crashChild is set in the environment of the child process of TestCrash:
// the database file it writes to.
const crashChild = "PINION_SQLITE_CRASH_CHILD"

// TestCrash starts a child process (this test binary again) that creates and
// patches records from several goroutines and reports each write once it is
// acknowledged; the child is killed with SIGKILL in the middle, three times
// over on the same file. Every acknowledged create must be there, and the
// counter must be at least its last acknowledged value.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashChild); path != "" {
		crashWriter(path)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string]bool{}
	maxHits := 0.0
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
		cmd.Env = append(os.Environ(), crashChild+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		n := 0
		killAt := 300 + 400*round
		for lines.Scan() {
			kind, v, _ := strings.Cut(lines.Text(), " ")
			switch kind {
			case "created":
				acked[v] = true
				n++
			case "hits":
				f, _ := strconv.ParseFloat(v, 64)
				maxHits = max(maxHits, f)
			}
			if n == killAt {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		cmd.Wait()
		if n < killAt {
			t.Fatalf("round %d: the child stopped after %d creates", round, n)
		}
	}
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := counterService(db)
	for id := range acked {
		if _, err := s.Get(ctx, id, nil); err != nil {
			t.Errorf("acknowledged record %s: %v", id, err)
		}
	}
	var check string
	db.Read(ctx, func(tx *sql.Tx) error { return tx.QueryRow("PRAGMA integrity_check").Scan(&check) })
	if check != "ok" {
		t.Errorf("integrity_check: %s", check)
	}
	res, err := s.Find(ctx, q(M{"owner": "counter"}))
	if err != nil {
		t.Fatal(err)
	}
	if page := res.(*pinion.Page); len(page.Data) != 1 || page.Data[0]["hits"].(float64) < maxHits {
		t.Errorf("counter %v, want hits at least %v", page.Data, maxHits)
	}
	t.Logf("%d acknowledged creates survived 3 kills; counter at %v (last acknowledged %v)", len(acked), records(res)[0]["hits"], maxHits)
}

// crashWriter is the child of TestCrash: it writes until it is killed.
func crashWriter(path string) {
	db, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s := counterService(db)
	var counterID any
	if res, err := s.Find(ctx, q(M{"owner": "counter"})); err == nil && len(records(res)) == 1 {
		counterID = records(res)[0]["_id"]
	} else {
		res, err := s.Create(ctx, M{"owner": "counter", "n": -1.0, "hits": 0.0}, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		counterID = res.(M)["_id"]
	}
	var mu sync.Mutex // one line at a time
	report := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
		mu.Unlock()
	}
	start := time.Now().UnixNano()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if w == 0 && i%3 == 0 {
					res, err := s.Patch(ctx, counterID, M{"$inc": M{"hits": 1.0}}, nil)
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(2)
					}
					report("hits %v", res.(M)["hits"])
				}
				var data any = M{"owner": fmt.Sprintf("%d-%d", start, w), "n": float64(i), "pad": strings.Repeat("p", 200)}
				if i%5 == 4 {
					data = []any{M{"owner": fmt.Sprintf("%d-%d-a", start, w), "n": float64(i)}, M{"owner": fmt.Sprintf("%d-%d-b", start, w), "n": float64(i)}}
				}
				res, err := s.Create(ctx, data, nil)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				for _, r := range records(res) {
					report("created %s", r["_id"])
				}
			}
		})
	}
	wg.Wait()
}

// TestTwoHandles writes through two handles on one file, as two processes
// would: SQLite's locks (and the busy timeout) serialise their writers.
func TestTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var services []*sqlite.Service
	for range 2 {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := counterService(db)
		if err := s.Setup(ctx, nil, ""); err != nil {
			t.Fatal(err)
		}
		services = append(services, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 600)
	for h, s := range services {
		for g := range 3 {
			wg.Go(func() {
				for i := range 100 {
					if _, err := s.Create(ctx, M{"owner": fmt.Sprintf("h%d-g%d", h, g), "n": float64(i), "tags": []any{"x"}}, nil); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range services {
		res := mustFind(t, s, q(M{"n": M{"$gte": 0.0}, "tags": "x", "$limit": 0}))
		if total := res.(*pinion.Page).Total; total != 600 {
			t.Errorf("total %d, want 600", total)
		}
	}
}

// records lists the records of a result as maps.
func records(v any) []map[string]any {
	var out []map[string]any
	for _, r := range pinion.Records(v) {
		out = append(out, r.Map())
	}
	return out
}
