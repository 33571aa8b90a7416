package pinion

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strconv"
	"time"
)

// Idempotent creates.
//
// A client that got no answer to a create (a 503 past the call timeout, a
// connection that broke) cannot know whether the record was stored. It may
// send the create again with the same idempotency key: the Idempotency-Key
// header over REST, or the query parameter $idempotencyKey (what the Feathers
// client sends as params.query over sockets, and REST accepts too). The first
// create with a key runs; one with the same key and the same data answers
// the first one's result without writing again, and without a second event;
// one with the same key and other data answers 422 Unprocessable. Retries
// that arrive while the first still runs wait for its result, at most half
// the call timeout (WithCallTimeout; else the lease), then answer 409
// Conflict with Retry-After.
//
// Keys belong to a user: the scope of a key is the service and the
// authenticated user's id (calls without a user share one scope, so their
// keys must be unguessable: UUIDs). The store keeps keys by a SHA-256 of
// scope and key, never the client's bytes, and they are kept for the TTL.
// The store is the database (IdempotencyStore), so the keys hold across
// instances and restarts.
//
// A create that fails with a client error (4xx) frees its key for a retry. One
// that fails otherwise (the database did not answer: it may have stored the
// record) keeps the key pending for the lease, after which a retry may take
// it over; a write that outlived its caller's wait (outcome.go) finishes its
// key when it ends, so that retries get its result.

// IdempotencyStore keeps idempotency keys where every instance sees them.
// Keys are hex SHA-256 digests; fingerprints identify the data of a call;
// a token identifies one claim, so that a call whose claim was taken over
// (it outlived the lease) can neither finish nor release its successor's.
type IdempotencyStore interface {
	// Claim takes key for a call whose data has fingerprint, under token,
	// and reports true; or, when a live record holds the key, returns it. A
	// record past its expiry, or pending for longer than lease, is taken
	// over.
	Claim(ctx context.Context, key, token, fingerprint string, ttl, lease time.Duration) (IdempotencyRecord, bool, error)
	// Finish stores the result of the call that holds key under token.
	Finish(ctx context.Context, key, token string, result []byte) error
	// Release frees key if token still holds it, for a call that failed
	// without writing.
	Release(ctx context.Context, key, token string) error
}

// IdempotencyRecord is a claimed key.
type IdempotencyRecord struct {
	Fingerprint string
	// Done is set once the call finished; Result is its result as JSON.
	Done   bool
	Result []byte
}

// IdempotencyOptions configure idempotent creates.
type IdempotencyOptions struct {
	Store IdempotencyStore
	// TTL is how long a key is kept (default 24 hours).
	TTL time.Duration
	// Lease is how long a pending key holds before a retry may take it over
	// (default a minute): the first call is then presumed dead.
	Lease time.Duration
	// Poll is how often a retry looks whether the first call finished
	// (default 25 ms).
	Poll time.Duration
}

// WithIdempotency makes creates idempotent by key (see above).
func WithIdempotency(o IdempotencyOptions) Option {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 25 * time.Millisecond
	}
	return func(a *App) { a.idempotency = &idempotency{opts: o} }
}

type idempotency struct{ opts IdempotencyOptions }

// IdempotencyHeader and IdempotencyParam carry a create's key.
const (
	IdempotencyHeader = "Idempotency-Key"
	IdempotencyParam  = "$idempotencyKey"
)

// maxKeyLength bounds a key: a UUID is 36 bytes, Stripe allows 255.
const maxKeyLength = 255

// idemCall is the key of one call and the fingerprint of its data, as the
// client sent it (before hooks stamp it).
type idemCall struct {
	key         string
	fingerprint string
}

// idempotencyKey reads the key of an external create, from the header (not
// on a real-time connection, whose headers are its handshake's) or the query
// parameter, which it takes out of the query so that no hook nor adapter sees
// it. Without idempotency configured, the parameter is dropped and keys are
// ignored.
func (s *Service) idempotencyKey(method Method, data any, params *Params) (*idemCall, error) {
	var key string
	if v, ok := params.Query[IdempotencyParam]; ok {
		params.Query = maps.Clone(params.Query)
		delete(params.Query, IdempotencyParam)
		k, isString := v.(string)
		if !isString {
			return nil, BadRequest("Invalid %s: it must be a string", IdempotencyParam)
		}
		key = k
	}
	if h := params.Headers.Get(IdempotencyHeader); h != "" && params.Connection == nil {
		if key != "" && key != h {
			return nil, BadRequest("The %s header and the %s parameter differ", IdempotencyHeader, IdempotencyParam)
		}
		key = h
	}
	if key == "" || method != MethodCreate || s.app.idempotency == nil {
		return nil, nil
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, BadRequest("Invalid data: %v", err)
	}
	sum := sha256.Sum256(b)
	return &idemCall{key: key, fingerprint: hex.EncodeToString(sum[:])}, nil
}

// checkKey refuses keys that are empty, too long, or hold anything but
// visible ASCII: a key travels in a header, and is compared byte for byte.
func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return BadRequest("Invalid %s: longer than %d characters", IdempotencyHeader, maxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return BadRequest("Invalid %s: only visible ASCII characters are allowed", IdempotencyHeader)
		}
	}
	return nil
}

// storeKey is the digest a key is stored under: the service, the user and
// the key, each prefixed with its length so that no two triples share one.
func (c *idemCall) storeKey(path, user string) string {
	h := sha256.New()
	for _, part := range [...]string{path, user, c.key} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// userKey is the authenticated user's id, the scope of its keys.
func userKey(p *Params) string {
	for _, f := range [...]string{"_id", "id"} {
		if v, ok := p.User[f]; ok && v != nil {
			return IDString(v)
		}
	}
	return ""
}

// invokeOnce calls the method, or answers the result of the create that held
// the call's idempotency key.
func (s *Service) invokeOnce(ctx context.Context, hc *HookContext) (any, error) {
	ic, id := hc.idem, s.app.idempotency
	if ic == nil || id == nil || hc.Method != MethodCreate {
		return s.invoke(ctx, hc)
	}
	o := id.opts
	key := ic.storeKey(s.path, userKey(hc.Params))
	// A retry waits for the first call at most half the call timeout, so
	// that its caller hears 409 "still running" rather than a 503.
	wait := o.Lease
	if s.app.callTimeout > 0 {
		wait = min(wait, s.app.callTimeout/2)
	}
	until := time.Now().Add(wait)
	token := randomID(12)
	for {
		rec, claimed, err := o.Store.Claim(ctx, key, token, ic.fingerprint, o.TTL, o.Lease)
		if err != nil {
			return nil, err
		}
		if claimed {
			break
		}
		if rec.Fingerprint != ic.fingerprint {
			return nil, Unprocessable("The %s was used with other data", IdempotencyHeader)
		}
		if rec.Done {
			res, err := s.replay(rec.Result)
			if err != nil {
				return nil, err
			}
			hc.replayed = true
			return res, nil
		}
		if time.Now().After(until) {
			return nil, Conflict("A create with this %s is still running; try again later", IdempotencyHeader).
				WithHeader("Retry-After", strconv.Itoa(retryAfter))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Poll):
		}
	}
	// The key's record outlives the caller: it is finished or released
	// whatever became of the caller's context.
	bg := context.WithoutCancel(ctx)
	res, err := s.invoke(ctx, hc)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) && fe.Code < 500 {
			if rerr := o.Store.Release(bg, key, token); rerr != nil {
				s.app.logger.Error("releasing an idempotency key", "service", s.path, "error", rerr)
			}
		}
		return nil, err
	}
	b, err := json.Marshal(res)
	if err == nil {
		err = o.Store.Finish(bg, key, token, b)
	}
	if err != nil {
		// The record is stored and will be announced; a retry waits for the
		// lease and writes again.
		s.app.logger.Error("keeping the result of an idempotent create", "service", s.path, "error", err)
	}
	return res, nil
}

// replay decodes a stored result in the shape the method answers: maps for
// a service of maps, *T or []T for a typed one.
func (s *Service) replay(result []byte) (any, error) {
	if s.typed == nil {
		var v any
		return v, json.Unmarshal(result, &v)
	}
	t := s.typed.schema().Type
	if len(result) > 0 && result[0] == '[' {
		p := reflect.New(reflect.SliceOf(t))
		if err := json.Unmarshal(result, p.Interface()); err != nil {
			return nil, err
		}
		return p.Elem().Interface(), nil
	}
	p := reflect.New(t)
	if err := json.Unmarshal(result, p.Interface()); err != nil {
		return nil, err
	}
	return p.Interface(), nil
}
