package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	mongooptions "go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/mongodb"
	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/server"
)

// The scaling benchmark (go run ./bench -scale) measures the chat's storage
// calls at 1,000, 10,000 and 100,000 users and messages (or the sizes of
// -scale-sizes), in process, on the tables and indexes the server creates:
// the embedded store (SQLite, as server.New opens it) and the former
// embedded store (the mongodb adapter on an in-process FerretDB, as the
// server ran before). Each figure is the
// median time of one call of the adapter service: what the server spends on
// storage for one request, without HTTP and hooks.

// scaleOp is one measured call.
type scaleOp struct {
	name string
	call func(ctx context.Context, s *scaleStore, r *rand.Rand) error
}

// scaleStore is a seeded store of one kind and size.
type scaleStore struct {
	users, messages any // adapter services
	userIDs         []string
	messageIDs      []string
	n               int
	close           func()
}

const rooms = 10

var scaleOps = []scaleOp{
	{"newest page of 10 + total (the chat's query: no room, newest first)", func(ctx context.Context, s *scaleStore, _ *rand.Rand) error {
		return page(ctx, s, map[string]any{"$and": []any{map[string]any{"$or": []any{map[string]any{"channel": nil}}}},
			"$sort": map[string]any{"createdAt": -1.0}, "$limit": 10.0})
	}},
	{"room page of 10 + total (filtered, sorted)", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		return page(ctx, s, map[string]any{"channel": fmt.Sprintf("room-%d", r.IntN(rooms)),
			"$sort": map[string]any{"createdAt": -1.0}, "$limit": 10.0})
	}},
	{"unindexed filtered page of 10 + total (text equality, n/1,000 matches)", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		return page(ctx, s, map[string]any{"text": text(r.IntN(texts)), "$limit": 10.0})
	}},
	{"count of a room", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		res, err := s.messages.(pinion.Finder).Find(ctx, &pinion.Params{Query: map[string]any{"channel": fmt.Sprintf("room-%d", r.IntN(rooms)), "$limit": 0.0}})
		if err == nil && res.(*pinion.Page).Total == 0 {
			err = fmt.Errorf("an empty room")
		}
		return err
	}},
	{"login lookup (user by email)", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		res, err := s.users.(pinion.Finder).Find(ctx, &pinion.Params{Query: map[string]any{"email": fmt.Sprintf("user-%d@example.com", r.IntN(s.n)), "$limit": 1.0},
			Paginate: &pinion.Paginate{}})
		if err == nil && len(res.([]map[string]any)) != 1 {
			err = fmt.Errorf("no such user")
		}
		return err
	}},
	{"get by id", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		_, err := s.messages.(pinion.Getter).Get(ctx, s.messageIDs[r.IntN(len(s.messageIDs))], nil)
		return err
	}},
	{"create a message", func(ctx context.Context, s *scaleStore, r *rand.Rand) error {
		_, err := s.messages.(pinion.Creator).Create(ctx, map[string]any{"text": "a new message", "userId": s.userIDs[r.IntN(len(s.userIDs))],
			"createdAt": float64(time.Now().UnixMilli())}, nil)
		return err
	}},
}

// texts is the number of distinct message texts: each is in n/texts
// messages, and no index has the field.
const texts = 1000

func text(i int) string {
	return fmt.Sprintf("message %d, of some ordinary length for a chat", i%texts)
}

func page(ctx context.Context, s *scaleStore, q map[string]any) error {
	res, err := s.messages.(pinion.Finder).Find(ctx, &pinion.Params{Query: q})
	if err != nil {
		return err
	}
	if p := res.(*pinion.Page); len(p.Data) != 10 || p.Total < 10 {
		return fmt.Errorf("a page of %d, total %d", len(p.Data), p.Total)
	}
	return nil
}

func runScale(o options) error {
	sizes := []int{1000, 10000, 100000}
	if o.scaleSizes != "" {
		sizes = nil
		for f := range strings.SplitSeq(o.scaleSizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1000 {
				return fmt.Errorf("-scale-sizes: %q is not a size of at least 1000", f)
			}
			sizes = append(sizes, n)
		}
	}
	if o.scaleMax > 0 {
		sizes = slices.DeleteFunc(sizes, func(n int) bool { return n > o.scaleMax })
	}
	stores := []struct {
		name string
		open func(ctx context.Context, dir string) (*scaleStore, error)
	}{
		{"SQLite (embedded store)", openSQLiteScale},
		{"FerretDB 1.24 (former embedded store)", openFerretScale},
	}
	if o.scaleOnly != "" {
		stores = slices.DeleteFunc(stores, func(s struct {
			name string
			open func(ctx context.Context, dir string) (*scaleStore, error)
		}) bool {
			return !strings.Contains(strings.ToLower(s.name), o.scaleOnly)
		})
	}
	ctx := context.Background()
	started := time.Now()
	load1, _ := os.ReadFile("/proc/loadavg")
	results := map[string]map[int]map[string]time.Duration{} // store → n → op → median
	seedTimes := map[string]map[int]time.Duration{}
	single := map[string]bool{} // store/op/n measured by one call
	for _, st := range stores {
		results[st.name] = map[int]map[string]time.Duration{}
		seedTimes[st.name] = map[int]time.Duration{}
		for _, n := range sizes {
			dir, err := os.MkdirTemp("", "pinion-scale-")
			if err != nil {
				return err
			}
			s, err := st.open(ctx, dir)
			if err != nil {
				os.RemoveAll(dir)
				return fmt.Errorf("%s: %w", st.name, err)
			}
			t0 := time.Now()
			err = seed(ctx, s, n)
			seedTimes[st.name][n] = time.Since(t0)
			if err != nil {
				s.close()
				os.RemoveAll(dir)
				return fmt.Errorf("%s: seeding %d: %w", st.name, n, err)
			}
			fmt.Fprintf(os.Stderr, "%s, %d records: seeded in %s\n", st.name, n, seedTimes[st.name][n].Round(time.Millisecond))
			results[st.name][n] = map[string]time.Duration{}
			r := rand.New(rand.NewPCG(uint64(n), 7))
			for _, op := range scaleOps {
				d, calls, err := measure(ctx, s, op, r)
				if err != nil {
					s.close()
					os.RemoveAll(dir)
					return fmt.Errorf("%s, %d records, %s: %w", st.name, n, op.name, err)
				}
				results[st.name][n][op.name] = d
				if calls == 1 {
					single[st.name+"/"+op.name+"/"+fmt.Sprint(n)] = true
				}
				fmt.Fprintf(os.Stderr, "  %-70s %s (%d calls)\n", op.name, ms(d), calls)
			}
			s.close()
			os.RemoveAll(dir)
		}
	}
	load2, _ := os.ReadFile("/proc/loadavg")

	var b strings.Builder
	fmt.Fprintf(&b, "# Storage at scale, %s\n\n", started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s. Load average before and after: %s; %s.\n", machine(), strings.Join(strings.Fields(string(load1))[:3], " "), strings.Join(strings.Fields(string(load2))[:3], " "))
	fmt.Fprintf(&b, "Median time of one adapter call, in process, on the server's tables and indexes, with N users and N messages "+
		"(half of them in %d rooms); SQLite with synchronous=full, the server's default. Milliseconds; "+
		"a figure in italics is one call, not a median (the call took over 10 s).\n\n", rooms)
	b.WriteString("| call |")
	for _, st := range stores {
		for _, n := range sizes {
			fmt.Fprintf(&b, " %s %s |", strings.Fields(st.name)[0], count(n))
		}
	}
	b.WriteString("\n|---|")
	for range stores {
		for range sizes {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, op := range scaleOps {
		fmt.Fprintf(&b, "| %s |", op.name)
		for _, st := range stores {
			for _, n := range sizes {
				if single[st.name+"/"+op.name+"/"+fmt.Sprint(n)] {
					fmt.Fprintf(&b, " *%s* |", ms(results[st.name][n][op.name]))
				} else {
					fmt.Fprintf(&b, " %s |", ms(results[st.name][n][op.name]))
				}
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("| seeding (batches of 1,000), seconds |")
	for _, st := range stores {
		for _, n := range sizes {
			fmt.Fprintf(&b, " %.1f |", seedTimes[st.name][n].Seconds())
		}
	}
	b.WriteString("\n")
	text := b.String()
	fmt.Print(text)
	out := o.out
	if out == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		out = filepath.Join(root, "bench", "results", time.Now().Format("2006-01-02")+"-scale.md")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(text), 0o644)
}

func count(n int) string {
	if n >= 1000 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f", f)
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	case f >= 1:
		return fmt.Sprintf("%.2f", f)
	}
	return fmt.Sprintf("%.3f", f)
}

// measure runs op for at least 300 ms and 5 calls (at most 2,000 calls), after
// 3 warm-up calls, and returns the median and the number of calls measured. A
// slow op (a warm-up call over a second) gets one warm-up call and at least 3
// calls, or as many as 10 s allow; a very slow one (its first call over 10 s,
// a full scan of a large table on FerretDB) is that one call, so that a size
// of a million is measured in minutes rather than hours.
func measure(ctx context.Context, s *scaleStore, op scaleOp, r *rand.Rand) (time.Duration, int, error) {
	least := 5
	for i := range 3 {
		t := time.Now()
		if err := op.call(ctx, s, r); err != nil {
			return 0, 0, err
		}
		if d := time.Since(t); i == 0 && d > 10*time.Second {
			return d, 1, nil
		} else if i == 0 && d > time.Second {
			least = 3
			break
		}
	}
	var times []time.Duration
	start := time.Now()
	for len(times) < 2000 && (len(times) < least || time.Since(start) < 300*time.Millisecond) {
		t := time.Now()
		if err := op.call(ctx, s, r); err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(t))
		if time.Since(start) > 10*time.Second && len(times) >= least {
			break
		}
	}
	slices.Sort(times)
	return times[len(times)/2], len(times), nil
}

// seed creates n users and n messages, in batches of 1,000 (multi creates).
func seed(ctx context.Context, s *scaleStore, n int) error {
	// A bcrypt hash of the shape the server stores; nobody logs in here.
	const hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	s.n = n
	base := time.Now().Add(-time.Duration(n) * time.Second).UnixMilli()
	for from := 0; from < n; from += 1000 {
		var users []any
		for i := from; i < min(n, from+1000); i++ {
			users = append(users, map[string]any{"email": fmt.Sprintf("user-%d@example.com", i), "password": hash,
				"name": fmt.Sprintf("User %d", i), "avatar": "https://example.com/avatar.png"})
		}
		res, err := s.users.(pinion.Creator).Create(ctx, users, nil)
		if err != nil {
			return err
		}
		for _, u := range res.([]map[string]any) {
			if len(s.userIDs) < 100 {
				s.userIDs = append(s.userIDs, pinion.IDString(u["_id"]))
			}
		}
	}
	for from := 0; from < n; from += 1000 {
		var msgs []any
		for i := from; i < min(n, from+1000); i++ {
			m := map[string]any{"text": text(i),
				"userId": s.userIDs[i%len(s.userIDs)], "createdAt": float64(base + int64(i)*1000)}
			if i%2 == 1 {
				m["channel"] = fmt.Sprintf("room-%d", (i/2)%rooms)
			}
			msgs = append(msgs, m)
		}
		res, err := s.messages.(pinion.Creator).Create(ctx, msgs, nil)
		if err != nil {
			return err
		}
		for _, m := range res.([]map[string]any) {
			if len(s.messageIDs) < 10000 {
				s.messageIDs = append(s.messageIDs, pinion.IDString(m["_id"]))
			}
		}
	}
	return nil
}

// scaleConfig is the server's configuration (./config, or the compiled-in
// defaults), for its pagination.
func scaleConfig() *config.Config {
	cfg, err := config.Load(func(k string) string { return map[string]string{"DATA_DIR": "unused"}[k] })
	if err != nil {
		panic(err)
	}
	return cfg
}

var multi = []pinion.Method{pinion.MethodCreate}

func openSQLiteScale(ctx context.Context, dir string) (*scaleStore, error) {
	cfg := scaleConfig()
	db, err := sqlite.Open(filepath.Join(dir, server.DatabaseFile), sqlite.WithSynchronous(sqlite.Full))
	if err != nil {
		return nil, err
	}
	uo, mo := server.UserOptions(cfg), server.MessageOptions(cfg)
	uo.Multi, mo.Multi = multi, multi
	users, messages := sqlite.New(db, "users", uo), sqlite.New(db, "messages", mo)
	for _, s := range []*sqlite.Service{users, messages} {
		if err := s.Setup(ctx, nil, ""); err != nil {
			db.Close()
			return nil, err
		}
	}
	return &scaleStore{users: users, messages: messages, close: func() { db.Close() }}, nil
}

func openFerretScale(ctx context.Context, dir string) (*scaleStore, error) {
	cfg := scaleConfig()
	srv, err := embedded.Start(ctx, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	client, err := mongo.Connect(mongooptions.Client().ApplyURI(srv.URI()))
	if err != nil {
		srv.Close()
		return nil, err
	}
	db := client.Database("pinion")
	uo, mo := server.MongoUserOptions(cfg), server.MongoMessageOptions(cfg)
	uo.Multi, mo.Multi = multi, multi
	users, messages := mongodb.New(db.Collection("users"), uo), mongodb.New(db.Collection("messages"), mo)
	for _, s := range []*mongodb.Service{users, messages} {
		if err := s.Setup(ctx, nil, ""); err != nil {
			client.Disconnect(ctx)
			srv.Close()
			return nil, err
		}
	}
	return &scaleStore{users: users, messages: messages, close: func() {
		client.Disconnect(context.Background())
		srv.Close()
	}}, nil
}
