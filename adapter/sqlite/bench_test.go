package sqlite_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/sqlite"
)

// The benchmarks call services directly (no hooks) on tables of 1,000, 10,000
// and 100,000 records shaped like the chat's users and messages:
//
//	{email: "user<i>@example.com", createdAt: i, roomId: "room<i mod n/100>",
//	 userId, text, score: i mod 1000}
//
// with a unique index on email, one on createdAt and one on
// {roomId, createdAt}; score is not indexed. Each room holds 100 records at
// every size, as a chat's rooms do when there are more of them.
//
//	go test ./adapter/sqlite -run '^$' -bench . -benchtime 2000x

var sizes = []int{1_000, 10_000, 100_000}

var benchIndexes = []sqlite.Index{
	{Fields: []string{"email"}, Unique: true},
	{Fields: []string{"createdAt"}},
	{Fields: []string{"roomId", "createdAt"}},
}

// seededTables are shared by the benchmarks of a run: seeding 100,000
// records takes seconds.
var seededTables struct {
	sync.Mutex
	dir string
	dbs map[int]*sqlite.DB
}

func benchService(b *testing.B, n int) *sqlite.Service {
	b.Helper()
	seededTables.Lock()
	defer seededTables.Unlock()
	if seededTables.dbs == nil {
		dir, err := os.MkdirTemp("", "pinion-sqlite-bench")
		if err != nil {
			b.Fatal(err)
		}
		seededTables.dir, seededTables.dbs = dir, map[int]*sqlite.DB{}
	}
	opts := sqlite.Options{
		Options: adapter.Options{Paginate: pinion.Paginate{Default: 10, Max: 50}, Multi: []pinion.Method{"create"}},
		Indexes: benchIndexes,
	}
	if db := seededTables.dbs[n]; db != nil {
		return sqlite.New(db, "records", opts)
	}
	db, err := sqlite.Open(filepath.Join(seededTables.dir, fmt.Sprintf("bench%d.db", n)))
	if err != nil {
		b.Fatal(err)
	}
	s := sqlite.New(db, "records", opts)
	const batch = 1000
	for start := 0; start < n; start += batch {
		items := make([]any, 0, batch)
		for i := start; i < min(n, start+batch); i++ {
			items = append(items, M{
				"email":     fmt.Sprintf("user%d@example.com", i),
				"createdAt": float64(i),
				"roomId":    fmt.Sprintf("room%d", i%(n/100)),
				"userId":    fmt.Sprintf("%024x", i%500),
				"text":      fmt.Sprintf("message number %d", i),
				"score":     float64(i % 1000),
			})
		}
		if _, err := s.Create(ctx, items, nil); err != nil {
			b.Fatal(err)
		}
	}
	seededTables.dbs[n] = db
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, db := range seededTables.dbs {
		db.Close()
	}
	if seededTables.dir != "" {
		os.RemoveAll(seededTables.dir)
	}
	os.Exit(code)
}

// bench runs fn against each size.
func bench(b *testing.B, fn func(b *testing.B, s *sqlite.Service, n int)) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := benchService(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			fn(b, s, n)
		})
	}
}

func page(b *testing.B, s *sqlite.Service, params *pinion.Params, total, size int) {
	b.Helper()
	for b.Loop() {
		res, err := s.Find(ctx, params)
		if err != nil {
			b.Fatal(err)
		}
		if p := res.(*pinion.Page); p.Total != total || len(p.Data) != size {
			b.Fatalf("page of %d, total %d; want %d, %d", len(p.Data), p.Total, size, total)
		}
	}
}

// BenchmarkFindNewest is a chat's first screen: the newest 10 with the total.
func BenchmarkFindNewest(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}}), n, 10)
	})
}

// BenchmarkFindRoom is a sorted, filtered page of 10 with its total: the
// newest messages of one room (100 records).
func BenchmarkFindRoom(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"roomId": "room7", "$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}}), 100, 10)
	})
}

// BenchmarkFindOlder is "load older messages": a range on the sorted field,
// whose total counts half the table.
func BenchmarkFindOlder(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"createdAt": M{"$lt": float64(n / 2)}, "$sort": pinion.Ordered{{Key: "createdAt", Value: -1}}}), n/2, 10)
	})
}

// BenchmarkFindUnindexed filters on a field without an index: a scan.
func BenchmarkFindUnindexed(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"score": 7.0}), n/1000, min(10, n/1000))
	})
}

// BenchmarkCountRoom counts a room's records ($limit 0).
func BenchmarkCountRoom(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"roomId": "room7", "$limit": 0}), 100, 0)
	})
}

// BenchmarkCountAll counts the whole table.
func BenchmarkCountAll(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		page(b, s, q(M{"$limit": 0}), n, 0)
	})
}

// BenchmarkFindByEmail is the lookup of a login: find {email, $limit: 1}.
func BenchmarkFindByEmail(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		params := &pinion.Params{Query: M{"email": fmt.Sprintf("user%d@example.com", n/3), "$limit": 1}, Paginate: &pinion.Paginate{}}
		for b.Loop() {
			res, err := s.Find(ctx, params)
			if err != nil {
				b.Fatal(err)
			}
			if len(records(res)) != 1 {
				b.Fatalf("found %v", res)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		res, err := s.Find(ctx, q(M{"email": fmt.Sprintf("user%d@example.com", n/3)}))
		if err != nil {
			b.Fatal(err)
		}
		id := records(res)[0]["_id"]
		b.ResetTimer()
		for b.Loop() {
			if _, err := s.Get(ctx, id, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreate creates one record per call (a transaction, a commit);
// the records are removed afterwards, so that the tables stay as seeded.
func BenchmarkCreate(b *testing.B) {
	bench(b, func(b *testing.B, s *sqlite.Service, n int) {
		b.Cleanup(func() {
			seededTables.Lock()
			defer seededTables.Unlock()
			err := seededTables.dbs[n].Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.Exec(`DELETE FROM records WHERE "v:roomId" = 'new'`)
				return err
			})
			if err != nil {
				b.Error(err)
			}
		})
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Create(ctx, M{
				"email":     fmt.Sprintf("new%d-%d@example.com", n, i),
				"createdAt": float64(n + i),
				"roomId":    "new",
				"text":      "hello",
			}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateSync compares the durability settings: Full syncs the WAL
// at every commit.
func BenchmarkCreateSync(b *testing.B) {
	for _, mode := range []struct {
		name string
		sync sqlite.Synchronous
	}{{"normal", sqlite.Normal}, {"full", sqlite.Full}} {
		b.Run(mode.name, func(b *testing.B) {
			s := sqlite.New(openDB(b, sqlite.WithSynchronous(mode.sync)), "records", sqlite.Options{Indexes: benchIndexes})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Create(ctx, M{"email": fmt.Sprintf("u%d@example.com", i), "createdAt": float64(i), "roomId": "r"}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
