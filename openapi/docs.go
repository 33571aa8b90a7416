package openapi

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed ui/index.html ui/init.js ui/swagger-ui-bundle.js ui/swagger-ui.css
var ui embed.FS

// swaggerUI is the version of the vendored viewer, for caching.
const swaggerUI = "5.35.0"

// DocsHandler serves the interactive API reference (Swagger UI, embedded in
// the binary) of the document at ../openapi.json, relative to where it is
// mounted: mount it at /docs/ beside Handler at /openapi.json. It needs no
// network: nothing comes from a CDN.
func DocsHandler() http.Handler {
	sub, _ := fs.Sub(ui, "ui")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		if name == "" || name == "docs" {
			if !strings.HasSuffix(r.URL.Path, "/") {
				http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
				return
			}
			name = "index.html"
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		if name != "index.html" {
			h.Set("Cache-Control", "public, max-age=86400")
			h.Set("ETag", `"`+swaggerUI+"-"+name+`"`)
		}
		if _, err := fs.Stat(sub, name); err != nil {
			http.NotFound(w, r)
			return
		}
		http.ServeFileFS(w, r, sub, name)
	})
}
