package rest

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/origin"
)

// CORS answers cross-origin requests from the allowed origins ("*" allows any) and
// their preflight requests, as the cors middleware of a generated Feathers app
// does. A preflight from another origin gets 403.
//
// Credentials (the cookie) are allowed only to an origin listed explicitly, or
// the server's own, the same origins that may write with the cookie
// (authentication's CheckCookieRequest): such an origin is echoed with
// Access-Control-Allow-Credentials. Any other origin that "*" allows gets
// "Access-Control-Allow-Origin: *" without credentials, so a page of any
// site may read what needs no cookie (a bearer token in Authorization still
// works) and never what the visitor's cookie would unlock.
func CORS(origins []string) gin.HandlerFunc {
	anyOrigin := slices.Contains(origins, "*")
	return func(c *gin.Context) {
		o := c.Request.Header.Get("Origin")
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		if o == "" {
			c.Next()
			return
		}
		credentialed := origin.Credentialed(origins, c.Request)
		ok := credentialed || anyOrigin
		switch {
		case credentialed:
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
		case ok:
			h.Set("Access-Control-Allow-Origin", "*")
		}
		if ok {
			h.Set("Access-Control-Expose-Headers", "Location, Retry-After")
		}
		if c.Request.Method != http.MethodOptions || c.Request.Header.Get("Access-Control-Request-Method") == "" {
			c.Next()
			return
		}
		if !ok {
			writeError(c, pinion.Forbidden("Origin %s is not allowed", o))
			c.Abort()
			return
		}
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, PATCH, POST, DELETE")
		if req := c.Request.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
}
