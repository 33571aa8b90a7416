package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
)

// The chat page: web/index.html at "/" and the files of web/app under
// AssetPrefix, embedded in the binary. It needs nothing from other origins:
// its scripts are ES modules served here, and it talks to the server with
// the socket.io client the socket.io transport serves at
// /socket.io/socket.io.esm.min.js.
//
//go:embed web/index.html web/app
var web embed.FS

// AssetPrefix is where the page's scripts, styles and icon are served.
const AssetPrefix = "/app/"

// PageCSP is the Content-Security-Policy of the page and its assets: scripts,
// styles, images and connections (XHR and WebSocket) from the server's own
// origin only. No inline script or style, no eval, no plugins, no framing,
// and forms cannot be sent anywhere (the page sends them itself, over the
// socket).
const PageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body []byte
	typ  string
	etag string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// loadAssets reads the embedded files once: their body, type and ETag (a hash
// of the content, so a new build changes it).
func loadAssets() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(web, "web", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := web.ReadFile(name)
		if err != nil {
			return err
		}
		typ, ok := contentTypes[path.Ext(name)]
		if !ok {
			typ = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		out[strings.TrimPrefix(name, "web")] = &asset{body: body, typ: typ, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // the files are embedded: this cannot fail at run time
	}
	return out
}

// PageRoutes are the chat page's routes for serve.Options.Routes: the page at
// "/" and its assets under AssetPrefix.
func PageRoutes() map[string]http.Handler {
	assets := loadAssets()
	page := assets["/index.html"]
	return map[string]http.Handler{
		"/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, page) }),
		AssetPrefix + "*file": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := path.Clean(r.URL.Path)
			a := assets[name]
			if a == nil || !strings.HasPrefix(name, AssetPrefix) {
				writeError(w, pinion.NotFound("Page not found").WithData(map[string]any{"url": r.URL.RequestURI()}))
				return
			}
			serveAsset(w, r, a)
		}),
	}
}

// serveAsset answers GET and HEAD with the file, or 304 when the browser has
// it already (If-None-Match, checked by http.ServeContent against the ETag).
// Every answer is revalidated before use (no-cache): the ETag makes that a
// 304 without a body, and a new build is never served stale.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, pinion.MethodNotAllowed("Method %s not allowed", r.Method))
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("Content-Type", a.typ)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// writeError answers a Feathers error as JSON, as the REST transport does.
func writeError(w http.ResponseWriter, e *pinion.Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Code)
	json.NewEncoder(w).Encode(e)
}
