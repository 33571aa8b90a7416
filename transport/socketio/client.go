package socketio

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"embed"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// ClientVersion is the version of the socket.io client builds in client/
// (see client/README.md), and the ETag they are served with.
const ClientVersion = "4.8.4"

//go:embed client/*.js client/*.map
var clientFS embed.FS

// clientFiles are the client builds a Node socket.io server serves (its
// CLIENT_FILES), less the msgpack build: Pinion speaks the default parser.
var clientFiles = []string{
	"socket.io.js", "socket.io.js.map",
	"socket.io.min.js", "socket.io.min.js.map",
	"socket.io.esm.min.js", "socket.io.esm.min.js.map",
}

// clientFile is one embedded build and its compressed forms, made on first
// use.
type clientFile struct {
	name string
	body []byte
	once [3]sync.Once
	enc  [3][]byte
}

var clientByPath = func() map[string]*clientFile {
	m := make(map[string]*clientFile, len(clientFiles))
	for _, name := range clientFiles {
		b, err := clientFS.ReadFile("client/" + name)
		if err != nil {
			panic(err)
		}
		m["/socket.io/"+name] = &clientFile{name: name, body: b}
	}
	return m
}()

// The encodings a Node socket.io server offers, in its order.
var encodings = [3]string{"br", "gzip", "deflate"}

func (f *clientFile) encoded(i int) []byte {
	f.once[i].Do(func() {
		var b bytes.Buffer
		var w io.WriteCloser
		switch encodings[i] {
		case "br":
			w = brotli.NewWriterLevel(&b, brotli.BestCompression) // Node's default quality, 11
		case "gzip":
			w = gzip.NewWriter(&b)
		default:
			w = zlib.NewWriter(&b) // HTTP's "deflate" is zlib, as Node's createDeflate
		}
		w.Write(f.body)
		w.Close()
		f.enc[i] = b.Bytes()
	})
	return f.enc[i]
}

// serveClient answers a request for a client build as socket.io's Node
// server does (Server#serve and sendFile in socket.io 4.8): any method, the
// ETag "<version>", a 304 without other headers when If-None-Match is exactly
// that ETag or its weak form, else Cache-Control "public, max-age=0", the
// JavaScript or JSON content type, and the body compressed with the encoding
// the negotiator package would pick among br, gzip and deflate. Unlike Node,
// it also sends Content-Length and Vary: Accept-Encoding (the body depends on
// it). It reports false for any other path.
func serveClient(w http.ResponseWriter, r *http.Request) bool {
	f := clientByPath[r.URL.EscapedPath()] // Node matches the raw URL: %2E is not a dot
	if f == nil {
		return false
	}
	etag := `"` + ClientVersion + `"`
	if inm := r.Header.Get("If-None-Match"); inm == etag || inm == "W/"+etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=0")
	if strings.HasSuffix(f.name, ".map") {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/javascript; charset=utf-8")
	}
	h.Set("ETag", etag)
	h.Add("Vary", "Accept-Encoding")
	body := f.body
	if i := negotiateEncoding(strings.Join(r.Header.Values("Accept-Encoding"), ", ")); i >= 0 {
		h.Set("Content-Encoding", encodings[i])
		body = f.encoded(i)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return true
}

// encodingSpec is a priority of the negotiator package (0.6, used by
// accepts): quality, specificity, position in the header, position in the
// offer.
type encodingSpec struct{ q, s, o, i float64 }

var encodingRE = regexp.MustCompile(`^\s*([^\s;]+)\s*(?:;(.*))?$`)

// negotiateEncoding is accepts(req).encodings(["br", "gzip", "deflate"]): the
// index of the chosen encoding in encodings, or -1 for none (identity).
func negotiateEncoding(header string) int {
	type accepted struct {
		name string
		q, i float64
	}
	var accepts []accepted
	for i, part := range strings.Split(header, ",") {
		m := encodingRE.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			continue
		}
		q := 1.0
		if m[2] != "" {
			for p := range strings.SplitSeq(m[2], ";") {
				kv := strings.Split(strings.TrimSpace(p), "=")
				if kv[0] == "q" {
					q = math.NaN()
					if len(kv) > 1 {
						q = jsParseFloat(kv[1])
					}
					break
				}
			}
		}
		accepts = append(accepts, accepted{m[1], q, float64(i)})
	}
	// "identity" is added when absent; it is not offered, so it never wins.
	var specs []encodingSpec
	var index []int
	for i, enc := range encodings {
		p := encodingSpec{o: -1}
		for _, a := range accepts {
			var s float64
			if strings.EqualFold(a.name, enc) {
				s = 1
			} else if a.name != "*" {
				continue
			}
			spec := encodingSpec{q: a.q, s: s, o: a.i, i: float64(i)}
			if jsOr(p.s-spec.s, p.q-spec.q, p.o-spec.o) < 0 {
				p = spec
			}
		}
		if p.q > 0 {
			specs = append(specs, p)
			index = append(index, i)
		}
	}
	if len(specs) == 0 {
		return -1
	}
	best := 0
	for k := 1; k < len(specs); k++ {
		a, b := specs[k], specs[best]
		if jsOr(b.q-a.q, b.s-a.s, a.o-b.o, a.i-b.i) < 0 { // a sorts before b
			best = k
		}
	}
	return index[best]
}

// jsOr is JavaScript's x || y || …: the first value that is neither 0 nor
// NaN, else the last.
func jsOr(v ...float64) float64 {
	for _, x := range v[:len(v)-1] {
		if x != 0 && !math.IsNaN(x) {
			return x
		}
	}
	return v[len(v)-1]
}

var floatPrefix = regexp.MustCompile(`^[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`)

// jsParseFloat is JavaScript's parseFloat: the longest number at the start
// of s, NaN when there is none.
func jsParseFloat(s string) float64 {
	m := floatPrefix.FindString(strings.TrimLeft(s, " \t\n\v\f\r"))
	if m == "" {
		return math.NaN()
	}
	switch strings.TrimLeft(m, "+-") {
	case "Infinity":
		if m[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, _ := strconv.ParseFloat(m, 64)
	return f
}
