package pinion

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memoryKeys is an IdempotencyStore in memory, for the dispatcher's tests;
// the adapters' stores have their own.
type memoryKeys struct {
	mu   sync.Mutex
	recs map[string]*memoryKey
}

type memoryKey struct {
	IdempotencyRecord
	token          string
	taken, expires time.Time
}

func (m *memoryKeys) Claim(_ context.Context, key, token, fp string, ttl, lease time.Duration) (IdempotencyRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if r, ok := m.recs[key]; ok && now.Before(r.expires) && (r.Done || now.Before(r.taken.Add(lease))) {
		return r.IdempotencyRecord, false, nil
	}
	m.recs[key] = &memoryKey{IdempotencyRecord: IdempotencyRecord{Fingerprint: fp}, token: token, taken: now, expires: now.Add(ttl)}
	return IdempotencyRecord{}, true, nil
}

func (m *memoryKeys) Finish(_ context.Context, key, token string, result []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.recs[key]; r != nil && r.token == token {
		r.Done, r.Result = true, result
	}
	return nil
}

func (m *memoryKeys) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.recs[key]; r != nil && r.token == token && !r.Done {
		delete(m.recs, key)
	}
	return nil
}

// counting creates records, numbered, and can be told to fail.
type counting struct {
	created atomic.Int64
	fail    atomic.Pointer[error]
	gate    chan struct{} // when not nil, creates wait for it
}

func (c *counting) Create(ctx context.Context, data any, _ *Params) (any, error) {
	if c.gate != nil {
		<-c.gate
	}
	if err := c.fail.Load(); err != nil {
		return nil, *err
	}
	n := c.created.Add(1)
	return map[string]any{"id": float64(n), "text": data.(map[string]any)["text"]}, nil
}

func idempotentApp(t *testing.T, opts ...Option) (*App, *Service, *counting, *events) {
	t.Helper()
	a := New(append([]Option{WithIdempotency(IdempotencyOptions{Store: &memoryKeys{recs: map[string]*memoryKey{}}, Poll: time.Millisecond})}, opts...)...)
	c := &counting{}
	svc := a.Use("messages", c)
	return a, svc, c, listen(a)
}

// rest is the params of a REST call of user with the key in its header.
func rest(user, key string) *Params {
	p := &Params{Provider: "rest", Headers: http.Header{}}
	if key != "" {
		p.Headers.Set(IdempotencyHeader, key)
	}
	if user != "" {
		p.User = map[string]any{"_id": user}
	}
	return p
}

func TestIdempotentCreate(t *testing.T) {
	_, svc, c, ev := idempotentApp(t)
	create := func(p *Params, text string) (any, error) {
		return svc.Create(context.Background(), map[string]any{"text": text}, p)
	}
	first, err := create(rest("u1", "k1"), "hello")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		params  *Params
		text    string
		code    int   // 0: success
		created int64 // records after the call
		same    bool  // answers the first result
	}{
		{"a retry answers the first result", rest("u1", "k1"), "hello", 0, 1, true},
		{"over sockets, as a query parameter", &Params{Provider: "socketio", Query: map[string]any{IdempotencyParam: "k1"}, User: map[string]any{"_id": "u1"}}, "hello", 0, 1, true},
		{"the same key with other data", rest("u1", "k1"), "other", 422, 1, false},
		{"the same key for another user", rest("u2", "k1"), "hello", 0, 2, false},
		{"no key", rest("u1", ""), "hello", 0, 3, false},
		{"a key of control bytes", rest("u1", "k\x01"), "hello", 400, 3, false},
		{"a key of non-ASCII", rest("u1", "ключ"), "hello", 400, 3, false},
		{"a key too long", rest("u1", strings.Repeat("k", maxKeyLength+1)), "hello", 400, 3, false},
		{"the longest key", rest("u1", strings.Repeat("k", maxKeyLength)), "hello", 0, 4, false},
		{"header and parameter differ", &Params{Provider: "rest", Headers: http.Header{IdempotencyHeader: {"a"}}, Query: map[string]any{IdempotencyParam: "b"}}, "hello", 400, 4, false},
		{"a parameter that is no string", &Params{Provider: "socketio", Query: map[string]any{IdempotencyParam: 5.0}}, "hello", 400, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := create(tc.params, tc.text)
			var fe *Error
			switch {
			case tc.code != 0 && (!errors.As(err, &fe) || fe.Code != tc.code):
				t.Fatalf("answered %v, want a %d", err, tc.code)
			case tc.code == 0 && err != nil:
				t.Fatal(err)
			}
			if c.created.Load() != tc.created {
				t.Errorf("%d records, want %d", c.created.Load(), tc.created)
			}
			if same := fmt.Sprint(res) == fmt.Sprint(first); tc.code == 0 && same != tc.same {
				t.Errorf("answered %v (the first: %v)", res, first)
			}
		})
	}
	if n := len(ev.named("created")); n != int(c.created.Load()) {
		t.Errorf("%d created events for %d records: replays must not announce again", n, c.created.Load())
	}
}

// Retries that arrive at once write once, and all answer the first result.
func TestIdempotentCreateConcurrent(t *testing.T) {
	_, svc, c, ev := idempotentApp(t)
	c.gate = make(chan struct{})
	const n = 20
	results := make([]any, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = svc.Create(context.Background(), map[string]any{"text": "once"}, rest("u1", "same"))
		})
	}
	close(c.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || fmt.Sprint(results[i]) != fmt.Sprint(results[0]) {
			t.Errorf("call %d: %v %v, want %v", i, results[i], errs[i], results[0])
		}
	}
	if c.created.Load() != 1 || len(ev.named("created")) != 1 {
		t.Errorf("%d records, %d events, want one of each", c.created.Load(), len(ev.named("created")))
	}
}

// A create that fails with a client error frees its key; one that fails
// otherwise (the database may have stored it) keeps it until the lease ends.
func TestIdempotentCreateFailures(t *testing.T) {
	_, svc, c, _ := idempotentApp(t, WithCallTimeout(50*time.Millisecond))
	bad := error(BadRequest("no"))
	c.fail.Store(&bad)
	if _, err := svc.Create(context.Background(), map[string]any{"text": "x"}, rest("u1", "k")); !errors.Is(err, BadRequest("")) {
		t.Fatalf("first: %v", err)
	}
	c.fail.Store(nil)
	if _, err := svc.Create(context.Background(), map[string]any{"text": "x"}, rest("u1", "k")); err != nil {
		t.Fatalf("a retry after a 400: %v, want it to run", err)
	}
	down := error(errors.New("connection reset"))
	c.fail.Store(&down)
	if _, err := svc.Create(context.Background(), map[string]any{"text": "y"}, rest("u1", "k2")); err == nil {
		t.Fatal("want the failure")
	}
	c.fail.Store(nil)
	_, err := svc.Create(context.Background(), map[string]any{"text": "y"}, rest("u1", "k2"))
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != 409 || fe.Header.Get("Retry-After") == "" {
		t.Fatalf("a retry after an ambiguous failure: %v, want 409 with Retry-After while the key is pending", err)
	}
	if c.created.Load() != 1 {
		t.Errorf("%d records, want 1", c.created.Load())
	}
}

// A retry of a write that outlived its caller's wait gets its result once it
// took effect, and the write is announced once.
func TestIdempotentRetryOfALateWrite(t *testing.T) {
	_, svc, c, ev := idempotentApp(t, WithCallTimeout(20*time.Millisecond))
	c.gate = make(chan struct{})
	_, err := svc.Create(context.Background(), map[string]any{"text": "late"}, rest("u1", "k"))
	if !errors.Is(err, Unavailable("")) {
		t.Fatalf("first: %v, want 503", err)
	}
	close(c.gate)
	<-ev.seen
	res, err := svc.Create(context.Background(), map[string]any{"text": "late"}, rest("u1", "k"))
	if err != nil || res.(map[string]any)["text"] != "late" {
		t.Fatalf("retry: %v %v", res, err)
	}
	if c.created.Load() != 1 || len(ev.named("created")) != 1 {
		t.Errorf("%d records, %d events, want one of each", c.created.Load(), len(ev.named("created")))
	}
}
