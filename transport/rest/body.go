package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/rest/qs"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeBody reads the request body as the data of a create, update, patch or
// custom method call. JSON and urlencoded forms are understood; no body means {}.
//
// Feathers answers 500 for invalid JSON and accepts any size up to its parser's
// limit; Pinion answers 400 and 413 instead.
func (h *Handler) decodeBody(c *gin.Context, svc *pinion.Service, method pinion.Method) (any, error) {
	r := c.Request
	if r.ContentLength > h.opts.BodyLimit {
		return nil, tooLarge(h.opts.BodyLimit)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	_, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, r.Body, h.opts.BodyLimit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(h.opts.BodyLimit)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// The server's body deadline passed: the client is too slow.
			c.Header("Connection", "close")
			return nil, pinion.Timeout("The request body was not received in time")
		}
		return nil, pinion.BadRequest("Could not read the request body")
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, pinion.BadRequest("Invalid Content-Type header")
	}
	switch {
	case mediaType == "application/x-www-form-urlencoded":
		return qs.Parse(string(body)), nil
	case mediaType == "", mediaType == "application/json", isJSONSuffix(mediaType):
		// A typed service decodes its own data, straight into its struct.
		if data, ok, err := svc.DecodeData(method, body); ok {
			return data, err
		}
		return decodeJSON(body)
	}
	return nil, pinion.BadRequest("Unsupported Content-Type '%s': send application/json", mediaType)
}

func isJSONSuffix(mediaType string) bool {
	return len(mediaType) > 5 && mediaType[len(mediaType)-5:] == "+json"
}

// decodeJSON decodes one JSON object or array (Express' json() is strict too: a
// bare string or number is not a body) and nothing after it.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, pinion.BadRequest("Invalid JSON in request body: unexpected data after the top-level value")
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, nil
	}
	return nil, pinion.BadRequest("Invalid JSON in request body: expected an object or an array")
}

func invalidJSON(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return pinion.BadRequest("Invalid JSON in request body: %s at offset %d", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return pinion.BadRequest("Invalid JSON in request body: unexpected end of input")
	}
	return pinion.BadRequest("Invalid JSON in request body: %s", err.Error())
}

func tooLarge(limit int64) error {
	return pinion.PayloadTooLarge("Request body is larger than the limit of %d bytes", limit).
		WithData(map[string]any{"limit": limit})
}
