package rest

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
)

// CORS answers cross-origin requests from the allowed origins ("*" allows any) and
// their preflight requests, as the cors middleware of a generated Feathers app
// does. Credentials (cookies, Authorization) are allowed, so the origin is echoed
// rather than sent as "*". A preflight from another origin gets 403.
func CORS(origins []string) gin.HandlerFunc {
	anyOrigin := slices.Contains(origins, "*")
	allowed := func(o string) bool { return anyOrigin || slices.Contains(origins, o) }
	return func(c *gin.Context) {
		origin := c.Request.Header.Get("Origin")
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		if origin == "" {
			c.Next()
			return
		}
		ok := allowed(origin)
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "Location, Retry-After")
		}
		if c.Request.Method != http.MethodOptions || c.Request.Header.Get("Access-Control-Request-Method") == "" {
			c.Next()
			return
		}
		if !ok {
			writeError(c, pinion.Forbidden("Origin %s is not allowed", origin))
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
