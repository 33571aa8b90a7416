package sqlite

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// idGenerator makes ids in MongoDB's ObjectId layout, as 24 hex digits: 4 bytes
// of seconds, 5 random bytes chosen once per database handle, 3 bytes of a
// counter. Clients and tests that know the MongoDB adapter's "_id"s see the
// same shape; ids made by one process grow with time, so the id index is
// appended to at its end.
type idGenerator struct {
	process [5]byte
	counter atomic.Uint32
}

func newIDGenerator() *idGenerator {
	g := &idGenerator{}
	var seed [4]byte
	rand.Read(g.process[:])
	rand.Read(seed[:])
	g.counter.Store(binary.BigEndian.Uint32(seed[:]))
	return g
}

func (g *idGenerator) next() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(time.Now().Unix()))
	copy(b[4:9], g.process[:])
	c := g.counter.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

// isObjectID reports whether s is 24 hex digits. It is the converter given to
// adapter.Options.Parse: fields declared adapter.ObjectID must hold such
// strings, and stay strings, which is what the records hold.
func isObjectID(s string) (any, bool) {
	if len(s) != 24 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, false
		}
	}
	return s, true
}

// key is the text under which a record with id is stored: its pinion.IDString,
// so that the REST id "5" finds the record created with the number 5, as in
// the memory adapter. Ids may be strings or numbers (or ObjectIds, by their
// hex); anything else is a BadRequest, as in Feathers.
func key(id any) (string, error) {
	switch v := id.(type) {
	case string:
		return v, nil
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, _ := adapter.Float64(v)
		return pinion.IDString(f), nil
	case interface{ Hex() string }:
		return v.Hex(), nil
	}
	b, err := json.Marshal(id)
	if err != nil {
		b = []byte(pinion.IDString(id))
	}
	return "", pinion.BadRequest("Invalid id '%s'", b)
}

func notFound(id any) error {
	return pinion.NotFound("No record found for id '%s'", pinion.IDString(id))
}
