// Package rest serves an App's services over HTTP with the Feathers REST
// conventions, on gin.
//
// Every service at path P answers on P and P/:id:
//
//	GET    /P        find        POST   /P   create (or a custom method named by X-Service-Method)
//	GET    /P/:id    get         PUT    /P/:id   update
//	PATCH  /P[/:id]  patch       DELETE /P[/:id] remove (without id: multi)
//	HEAD   like GET, without a body
//
// The handler decodes the request (qs-style query, JSON or form body,
// Authorization header), calls the service through its hook chain, and encodes the
// result or a Feathers error. Nothing else happens here.
package rest

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/transport/rest/qs"
)

// DefaultBodyLimit is the largest request body accepted unless Options say
// otherwise: 1 MiB, like socket.io's default message size.
const DefaultBodyLimit = 1 << 20

// Options configure the REST transport.
type Options struct {
	// BodyLimit is the largest accepted request body in bytes; larger bodies get 413.
	// Zero means DefaultBodyLimit.
	BodyLimit int64
	// Authentication reads credentials from a request into params.Authentication. It
	// does not verify them: the authenticate hook does. Nil means BearerToken, which
	// reads the Authorization header as Feathers does.
	Authentication func(r *http.Request) *pinion.Authentication
}

// Handler serves the services of an App.
type Handler struct {
	app  *pinion.App
	opts Options
}

// New returns a REST handler for app.
func New(app *pinion.App, opts Options) *Handler {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.Authentication == nil {
		opts.Authentication = BearerToken
	}
	return &Handler{app: app, opts: opts}
}

// Mount makes h answer every request that no other route of engine matches: service
// paths are resolved by the app's own router (placeholders, literal-before-
// placeholder, Feathers' slash rules), and unknown paths get a 404 NotFound in
// Feathers' JSON shape rather than gin's text page.
func (h *Handler) Mount(engine *gin.Engine) {
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	engine.HandleMethodNotAllowed = false
	engine.NoRoute(h.Serve)
}

// Serve handles one request. It is a gin handler, for use with Mount or any route.
func (h *Handler) Serve(c *gin.Context) {
	r := c.Request
	call, err := h.route(r)
	if err != nil {
		h.fail(c, err)
		return
	}
	call.params.Query = qs.Query(r.URL.RawQuery)
	if call.hasBody {
		if call.data, err = h.decodeBody(c, call.service, call.method); err != nil {
			h.fail(c, err)
			return
		}
	}
	p := call.params
	p.Provider = pinion.ProviderREST
	p.Headers = r.Header
	p.RemoteAddr = c.ClientIP()
	p.Authentication = h.opts.Authentication(r)

	hc, err := call.service.Call(r.Context(), call.method, call.id, call.data, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	writeResult(c, hc)
}

// fail answers a failed call with its Feathers error. When the call failed
// because the client went away (net/http cancels the request's context when
// the client closes, or half-closes, its side), no answer is written at all:
// the handler aborts with http.ErrAbortHandler, which net/http treats as a
// quiet end of the connection. A 500 would be wrong, since nothing on the
// server failed.
func (h *Handler) fail(c *gin.Context, err error) {
	ctx := c.Request.Context()
	var fe *pinion.Error
	if ctx.Err() == context.Canceled && !errors.As(err, &fe) {
		panic(http.ErrAbortHandler)
	}
	writeError(c, h.app.ExternalError(ctx, err))
}
