package rest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pinionhq/pinion"
)

// call is a decoded request: which method of which service, with what.
type call struct {
	service *pinion.Service
	method  pinion.Method
	id      any
	data    any
	params  *pinion.Params
	hasBody bool
}

// route resolves the service and the method of a request (wire spec §1.2).
func (h *Handler) route(r *http.Request) (*call, error) {
	segments := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, s := range segments {
		// Each segment is decoded on its own, so an id may contain an escaped "/".
		// Feathers passes ids still percent-encoded (feathersjs/feathers#2563);
		// decoding them is what clients, which encode ids, expect.
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, pinion.BadRequest("Invalid URL path: %s", err)
		}
		segments[i] = d
	}
	var id any
	svc, route, sid, hasID := h.app.LookupID(segments)
	if hasID {
		id = sid
	}
	if svc == nil {
		return nil, pinion.NotFound("Page not found").WithData(map[string]any{"url": r.URL.RequestURI()})
	}
	c := &call{service: svc, id: id, params: &pinion.Params{Route: route}}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		c.method = pinion.MethodFind
		if hasID {
			c.method = pinion.MethodGet
		}
	case http.MethodPost:
		// POST /P/:id creates too; the id is ignored, as in Feathers.
		c.method, c.id, c.hasBody = pinion.MethodCreate, nil, true
		if m := r.Header.Get("X-Service-Method"); m != "" {
			if pinion.IsStandardMethod(pinion.Method(m)) || !svc.Exposes(pinion.Method(m)) {
				return nil, notSupported(m)
			}
			c.method = pinion.Method(m)
		}
	case http.MethodPut:
		c.method, c.hasBody = pinion.MethodUpdate, true
	case http.MethodPatch:
		c.method, c.hasBody = pinion.MethodPatch, true
	case http.MethodDelete:
		c.method = pinion.MethodRemove
	default:
		return nil, pinion.MethodNotAllowed("Method %s not allowed", r.Method)
	}
	if !svc.Exposes(c.method) {
		return nil, notSupported(c.method)
	}
	return c, nil
}

func notSupported[M ~string](method M) *pinion.Error {
	return pinion.MethodNotAllowed("Method `%s` is not supported by this endpoint.", method)
}
