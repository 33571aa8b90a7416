package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
)

const contentTypeJSON = "application/json; charset=utf-8"

// writeResult sends the outcome of a successful call. The status follows Feathers
// (wire spec §1.5): a status set by a hook, 303 for a Location, 204 for an empty
// body, 201 for create, else 200.
func writeResult(c *gin.Context, hc *pinion.HookContext) {
	body := hc.External()
	h := c.Writer.Header()
	for k, vs := range hc.HTTP.Headers {
		h[k] = append(h[k], vs...)
	}
	status := http.StatusOK
	switch {
	case hc.HTTP.Status != 0:
		status = hc.HTTP.Status
	case hc.HTTP.Location != "":
		status = http.StatusSeeOther
	case isEmpty(body):
		status = http.StatusNoContent
	case hc.Method == pinion.MethodCreate:
		status = http.StatusCreated
	}
	if hc.HTTP.Location != "" {
		h.Set("Location", location(hc.HTTP.Location))
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		c.Status(status)
		c.Writer.WriteHeaderNow()
		return
	}
	writeJSON(c, status, body)
}

// location encodes a Location header as Feathers' encodeurl does: what is
// already a URL (absolute, with a query or a fragment) keeps its shape, and
// characters not allowed in a URL are percent-encoded.
func location(loc string) string {
	if u, err := url.Parse(loc); err == nil {
		return u.String()
	}
	return (&url.URL{Path: loc}).String()
}

// writeError sends a Feathers error with its code as the HTTP status.
func writeError(c *gin.Context, e *pinion.Error) {
	h := c.Writer.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	writeJSON(c, e.Status(), e)
}

func writeJSON(c *gin.Context, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// A result that cannot be encoded (NaN, a channel…) is a server bug.
		buf.Reset()
		status = http.StatusInternalServerError
		json.NewEncoder(buf).Encode(pinion.GeneralError("The result could not be encoded as JSON"))
	}
	b := buf.Bytes()
	b = b[:len(b)-1] // Encode's trailing newline
	h := c.Writer.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.Status(status)
	if c.Request.Method == http.MethodHead {
		c.Writer.WriteHeaderNow()
		return
	}
	c.Writer.Write(b)
}

// isEmpty reports whether a body is falsy in JavaScript terms, as Feathers checks.
func isEmpty(v any) bool {
	switch b := v.(type) {
	case nil:
		return true
	case bool:
		return !b
	case string:
		return b == ""
	case float64:
		return b == 0
	case int:
		return b == 0
	case int64:
		return b == 0
	}
	return false
}
