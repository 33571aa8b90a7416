package socketio

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/pinionhq/pinion"
)

func clientServer(t *testing.T, opts Options) string {
	t.Helper()
	app := pinion.New(pinion.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	s := New(app, opts)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return srv.URL
}

func fetch(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// No transparent gzip: the test looks at what the server sends.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// The embedded builds are the socket.io-client that test/package-lock.json
// pins, and ClientVersion says which.
func TestClientVersion(t *testing.T) {
	lock, err := os.ReadFile("../../test/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		t.Fatal(err)
	}
	if v := l.Packages["node_modules/socket.io-client"].Version; v != ClientVersion {
		t.Errorf("test/package-lock.json pins socket.io-client %s, the embedded client is %s (client/README.md)", v, ClientVersion)
	}
	for path, f := range clientByPath {
		if strings.HasSuffix(path, ".map") {
			var m struct{ Version int }
			if json.Unmarshal(f.body, &m) != nil || m.Version != 3 {
				t.Errorf("%s is not a source map", path)
			}
			continue
		}
		if !bytes.HasPrefix(f.body, []byte("/*!\n * Socket.IO v"+ClientVersion+"\n")) {
			t.Errorf("%s does not start with the banner of socket.io %s: %q", path, ClientVersion, f.body[:40])
		}
	}
	if len(clientByPath) != 6 {
		t.Errorf("%d client files", len(clientByPath))
	}
}

// GET /socket.io/socket.io.js and the other builds answer as a Node
// socket.io 4.8 server does (headers observed on one).
func TestClientServed(t *testing.T) {
	url := clientServer(t, Options{Origins: []string{"*"}})
	for _, tc := range []struct{ path, file, ctype string }{
		{"/socket.io/socket.io.js", "socket.io.js", "application/javascript; charset=utf-8"},
		{"/socket.io/socket.io.js?v=3", "socket.io.js", "application/javascript; charset=utf-8"},
		{"/socket.io/socket.io.min.js", "socket.io.min.js", "application/javascript; charset=utf-8"},
		{"/socket.io/socket.io.esm.min.js", "socket.io.esm.min.js", "application/javascript; charset=utf-8"},
		{"/socket.io/socket.io.js.map", "socket.io.js.map", "application/json; charset=utf-8"},
		{"/socket.io/socket.io.min.js.map", "socket.io.min.js.map", "application/json; charset=utf-8"},
		{"/socket.io/socket.io.esm.min.js.map", "socket.io.esm.min.js.map", "application/json; charset=utf-8"},
	} {
		want, _ := clientFS.ReadFile("client/" + tc.file)
		res, body := fetch(t, "GET", url+tc.path)
		h := res.Header
		if res.StatusCode != 200 || h.Get("Content-Type") != tc.ctype || h.Get("Cache-Control") != "public, max-age=0" ||
			h.Get("ETag") != `"`+ClientVersion+`"` || h.Get("Content-Encoding") != "" {
			t.Errorf("GET %s: %d %v", tc.path, res.StatusCode, h)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("GET %s: %d bytes, not the %d of client/%s", tc.path, len(body), len(want), tc.file)
		}
	}
	_, body := fetch(t, "GET", url+"/socket.io/socket.io.js")
	if !bytes.Contains(body, []byte("Socket.IO v4.8.4")) {
		t.Error("the script is not socket.io-client 4.8.4")
	}

	// Revalidation: the exact ETag or its weak form, as Node compares them.
	etag := `"` + ClientVersion + `"`
	for _, inm := range []string{etag, "W/" + etag} {
		res, body := fetch(t, "GET", url+"/socket.io/socket.io.js", "If-None-Match", inm)
		if res.StatusCode != 304 || len(body) != 0 || res.Header.Get("ETag") != "" || res.Header.Get("Content-Type") != "" {
			t.Errorf("If-None-Match %s: %d %v, %d bytes", inm, res.StatusCode, res.Header, len(body))
		}
	}
	for _, inm := range []string{`"4.0.0"`, `"x", ` + etag, "*"} {
		if res, _ := fetch(t, "GET", url+"/socket.io/socket.io.js", "If-None-Match", inm); res.StatusCode != 200 {
			t.Errorf("If-None-Match %s: %d, Node answers 200", inm, res.StatusCode)
		}
	}

	// HEAD: the headers alone. Node serves the file on any method.
	res, body := fetch(t, "HEAD", url+"/socket.io/socket.io.js")
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d %v, %d bytes", res.StatusCode, res.Header, len(body))
	}
	if res, body := fetch(t, "POST", url+"/socket.io/socket.io.min.js"); res.StatusCode != 200 || !bytes.Contains(body, []byte("Socket.IO")) {
		t.Errorf("POST: %d", res.StatusCode)
	}

	// Paths Node does not take as a client file go on to Engine.IO.
	for _, p := range []string{"/socket.io/socket.io.msgpack.min.js", "/socket.io/socket.io.JS", "/socket.io/socket%2Eio.js",
		"/socket.io/socket.io.js/", "/socket.io/client/socket.io.js"} {
		if res, body := fetch(t, "GET", url+p); res.StatusCode != 400 || !strings.Contains(string(body), "Transport unknown") {
			t.Errorf("GET %s: %d %s, want Engine.IO's 400", p, res.StatusCode, body)
		}
	}
	// Engine.IO itself still answers.
	if res, body := fetch(t, "GET", url+"/socket.io/?EIO=4&transport=polling"); res.StatusCode != 200 || !strings.HasPrefix(string(body), "0{") {
		t.Errorf("Engine.IO handshake: %d %s", res.StatusCode, body)
	}
}

func TestClientCompressed(t *testing.T) {
	url := clientServer(t, Options{})
	want, _ := clientFS.ReadFile("client/socket.io.js")
	decoders := map[string]func(io.Reader) (io.Reader, error){
		"gzip":    func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"deflate": func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
		"br":      func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}
	for enc, dec := range decoders {
		for range 2 { // the second answer comes from the cache
			res, body := fetch(t, "GET", url+"/socket.io/socket.io.js", "Accept-Encoding", enc)
			if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != enc || res.Header.Get("ETag") == "" ||
				res.Header.Get("Vary") != "Accept-Encoding" || len(body) >= len(want)/2 {
				t.Fatalf("%s: %d %v, %d bytes", enc, res.StatusCode, res.Header, len(body))
			}
			r, err := dec(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: the body does not decode to the script: %v", enc, err)
			}
		}
	}
	res, _ := fetch(t, "HEAD", url+"/socket.io/socket.io.js", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD with gzip: %v", res.Header)
	}
}

// The encoding chosen for an Accept-Encoding header is the one a Node
// socket.io 4.8.4 server (accepts 1.3.8, negotiator 0.6.3) chose for it:
// each was observed on one.
func TestNegotiateEncoding(t *testing.T) {
	for header, want := range map[string]string{
		"":                                  "",
		"gzip, deflate, br, zstd":           "gzip",
		"br;q=0.5, gzip":                    "gzip",
		"deflate, gzip":                     "deflate",
		"identity":                          "",
		"*":                                 "br",
		"zstd":                              "",
		"gzip;q=0":                          "",
		"br, gzip":                          "br",
		"GZIP":                              "gzip",
		"gzip;q=0.5, *;q=0.8":               "br",
		"*, gzip;q=0":                       "br",
		"gzip;q=abc, deflate":               "deflate",
		"gzip;q=.5, br;q=0.4":               "gzip",
		"gzip;q":                            "",
		"gzip ; q=0.9, br;q=1e-1":           "gzip",
		" , br":                             "br",
		"deflate;level=1;q=0.2, gzip;q=0.1": "deflate",
	} {
		got := ""
		if i := negotiateEncoding(header); i >= 0 {
			got = encodings[i]
		}
		if got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", header, got, want)
		}
	}
}

func TestNoClient(t *testing.T) {
	url := clientServer(t, Options{NoClient: true})
	if res, _ := fetch(t, "GET", url+"/socket.io/socket.io.js"); res.StatusCode != 400 {
		t.Errorf("with NoClient: %d", res.StatusCode)
	}
}
