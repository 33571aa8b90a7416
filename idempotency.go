package pinion

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"time"
)

// Idempotent writes.
//
// A client that got no answer to a write (a 503 past the call timeout, a
// connection that broke) cannot know whether it took effect. It may send
// the call again with the same idempotency key: the Idempotency-Key header
// over REST, or the query parameter $idempotencyKey (what the Feathers
// client sends as params.query over sockets, and REST accepts too). Keys
// hold for create, update, patch, remove and custom methods; find and get,
// which write nothing, ignore them. The first call with a key runs; one
// with the same key asking the same (method, id, data and query) answers
// the first one's result without running again, and without a second
// event; one with the same key asking anything else answers 422
// Unprocessable. A replay skips the method, not the hooks: before hooks
// run first (they find the user, whose key it is), and after hooks run on
// the replayed result, since they shape the answer (populate, protect); a
// side effect that must happen once belongs in the method. Retries that
// arrive while the first still runs wait for its result, at most half the
// call timeout (WithCallTimeout; else the lease), then answer 409 Conflict
// with Retry-After. A key that is not one (empty, not a string, longer than
// 255 bytes, anything but visible ASCII, or two different ones) is a 400
// naming where it was sent.
//
// Keys belong to a user: the scope of a key is the service and the
// authenticated user's id (calls without a user share one scope, so their
// keys must be unguessable: UUIDs). The store keeps keys by a SHA-256 of
// scope and key, never the client's bytes, and they are kept for the TTL.
// It keeps what the call asked as an HMAC keyed with the client's key, and
// its result as the caller received it, without the service's protected
// fields: a reader of the store learns neither a password sent in the data
// nor a hash the service keeps. The store is the database
// (IdempotencyStore), so the keys hold across instances and restarts.
//
// A call that fails with a client error (4xx) frees its key for a retry.
// One that fails otherwise (the database did not answer: it may have
// written) keeps the key pending for the lease, after which a retry may
// take it over; a write that outlived its caller's wait (outcome.go)
// finishes its key when it ends, so that retries get its result.

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

// IdempotencyOptions configure idempotent writes.
type IdempotencyOptions struct {
	Store IdempotencyStore
	// TTL is how long a key is kept (default 24 hours).
	TTL time.Duration
	// Lease is how long a pending key holds before a retry may take it over
	// (default a minute): the first call is then presumed dead.
	Lease time.Duration
	// Poll is how soon a retry looks again whether the first call finished
	// (default 25 ms); it looks less often the longer it waits.
	Poll time.Duration
}

// WithIdempotency makes writes idempotent by key (see above).
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

// WithoutIdempotency makes a service ignore idempotency keys, as find
// and get do: for a service whose answers are credentials (a login's
// tokens, a ticket), which the store of keys must not keep at rest, and
// whose calls may simply run again.
func WithoutIdempotency() ServiceOption { return func(s *Service) { s.noKeys = true } }

// IdempotencyHeader and IdempotencyParam carry a write's key.
const (
	IdempotencyHeader = "Idempotency-Key"
	IdempotencyParam  = "$idempotencyKey"
)

// maxKeyLength bounds a key: a UUID is 36 bytes, Stripe allows 255.
const maxKeyLength = 255

// idemCall is the key of one call and the fingerprint of what it asks (its
// method, id, data and query, as the client sent them: before hooks stamp
// them).
type idemCall struct {
	key         string
	fingerprint string
}

// idempotencyKey reads the key of an external write, from the header (not
// on a real-time connection, whose headers are its handshake's) or the query
// parameter, which it takes out of the query so that no hook nor adapter sees
// it. Find and get, which write nothing, ignore keys; so do an app without
// idempotency configured and a service WithoutIdempotency.
func (s *Service) idempotencyKey(method Method, id, data any, params *Params) (*idemCall, error) {
	param, fromParam := takeKeyParam(params)
	if method == MethodFind || method == MethodGet || s.app.idempotency == nil || s.noKeys {
		return nil, nil
	}
	var key string
	if fromParam {
		k, isString := param.(string)
		if !isString {
			return nil, BadRequest("Invalid %s: it must be a string", IdempotencyParam)
		}
		if err := checkKey(IdempotencyParam, k); err != nil {
			return nil, err
		}
		key = k
	}
	if h, ok := params.Headers[IdempotencyHeader]; ok && params.Connection == nil {
		for _, v := range h {
			if err := checkKey(IdempotencyHeader, v); err != nil {
				return nil, err
			}
			if key != "" && key != v {
				if fromParam {
					return nil, BadRequest("The %s header and the %s parameter differ", IdempotencyHeader, IdempotencyParam)
				}
				return nil, BadRequest("Invalid %s: sent more than once, with different values", IdempotencyHeader)
			}
			key = v
		}
	}
	if key == "" {
		return nil, nil
	}
	fp, err := fingerprint(key, method, id, data, params.Query)
	if err != nil {
		return nil, err
	}
	return &idemCall{key: key, fingerprint: fp}, nil
}

// takeKeyParam takes the key parameter out of an external call's query,
// leaving the caller's map as it was.
func takeKeyParam(params *Params) (any, bool) {
	v, ok := params.Query[IdempotencyParam]
	if ok {
		params.Query = maps.Clone(params.Query)
		delete(params.Query, IdempotencyParam)
	}
	return v, ok
}

// checkKey refuses keys that are empty, too long, or hold anything but
// visible ASCII: a key travels in a header, and is compared byte for byte.
// field is where the client put it, for the error to name.
func checkKey(field, key string) error {
	if key == "" {
		return BadRequest("Invalid %s: it must not be empty", field)
	}
	if len(key) > maxKeyLength {
		return BadRequest("Invalid %s: longer than %d characters", field, maxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return BadRequest("Invalid %s: only visible ASCII characters are allowed", field)
		}
	}
	return nil
}

// fingerprint identifies what a call asks: an HMAC-SHA256, keyed with the
// client's key, of its method, id, data and query. The store keeps it at
// rest next to a digest of the key, never the key itself; a plain hash of
// the data would let whoever reads the store test guesses of what the data
// held (a signup's password) offline, while this one needs the key too.
func fingerprint(key string, method Method, id, data any, query map[string]any) (string, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return "", BadRequest("Invalid data: %v", err)
	}
	var q []byte
	if len(query) > 0 { // no query and an empty one ask the same
		if q, err = json.Marshal(query); err != nil {
			return "", BadRequest("Invalid query: %v", err)
		}
	}
	ids := ""
	if id != nil {
		ids = "=" + IDString(id) // "=" tells an id of "" from none
	}
	mac := hmac.New(sha256.New, []byte(key))
	for _, part := range [...]string{string(method), ids, string(d), string(q)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	return hex.EncodeToString(mac.Sum(nil)), nil
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

// userKey is the authenticated user's id, the scope of its keys: the
// user's _id or id; else the subject of the verified token (an app whose
// entities are identified by another field, authentication's entityId);
// else a digest of the user's record. Users never share a scope with each
// other nor with anonymous callers, who share "".
func userKey(p *Params) string {
	for _, f := range [...]string{"_id", "id"} {
		if v, ok := p.User[f]; ok && v != nil {
			return IDString(v)
		}
	}
	if a := p.Authentication; a != nil && p.Authenticated {
		if sub, ok := a.Payload["sub"].(string); ok && sub != "" {
			return "sub:" + sub
		}
	}
	if p.User != nil {
		// A record changed between a call and its retry makes the retry a
		// call of its own: it runs again, rather than answer another
		// user's result.
		b, err := json.Marshal(p.User)
		if err != nil {
			b = []byte(fmt.Sprintf("%#v", p.User))
		}
		sum := sha256.Sum256(b)
		return "record:" + hex.EncodeToString(sum[:])
	}
	return ""
}

// invokeOnce calls the method, or answers the result of the call that held
// the call's idempotency key.
func (s *Service) invokeOnce(ctx context.Context, hc *HookContext) (any, error) {
	ic, id := hc.idem, s.app.idempotency
	if ic == nil || id == nil {
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
	// Each look is a claim, a write on the database: a retry looks again
	// after Poll, then after twice as long each time, up to an eighth of
	// its wait, so that retries waiting on a pending key cost a handful
	// of writes each rather than one per Poll.
	poll := o.Poll
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
			res, err := s.replay(hc.Method, rec.Result)
			if err != nil {
				return nil, err
			}
			hc.replayed = true
			return res, nil
		}
		if time.Now().After(until) {
			return nil, Conflict("A call with this %s is still running; try again later", IdempotencyHeader).
				WithHeader("Retry-After", strconv.Itoa(retryAfter))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
		poll = max(o.Poll, min(2*poll, wait/8))
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
	// What is kept is what the caller may see: a retry is answered it
	// through the same hooks, and the store (its backups, its replicas)
	// never holds a field the service protects, such as a password hash.
	b, err := json.Marshal(Without(res, s.protectedOf(hc.Method)...))
	if err == nil {
		err = o.Store.Finish(bg, key, token, b)
	}
	if err != nil {
		// The record is stored and will be announced; a retry waits for the
		// lease and writes again.
		s.app.logger.Error("keeping the result of an idempotent call", "service", s.path, "error", err)
	}
	return res, nil
}

// replay decodes a stored result in the shape the method answers: maps for
// a service of maps, *T or []T for a typed one, *R or R for a typed custom
// method.
func (s *Service) replay(method Method, result []byte) (any, error) {
	if def := s.customs[method]; def != nil {
		p := reflect.New(def.result)
		if err := json.Unmarshal(result, p.Interface()); err != nil {
			return nil, err
		}
		if def.result.Kind() == reflect.Struct {
			return p.Interface(), nil
		}
		return p.Elem().Interface(), nil
	}
	if s.typed == nil || s.custom[method] != nil {
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
