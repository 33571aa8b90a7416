package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
)

// recovery turns a panic in a handler into a Feathers GeneralError (500) and a
// logged stack, instead of a dropped connection.
func recovery(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				logger.ErrorContext(c.Request.Context(), "panic serving a request", "panic", fmt.Sprint(r), "path", c.Request.URL.Path)
				if !c.Writer.Written() {
					c.AbortWithStatusJSON(http.StatusInternalServerError, pinion.GeneralError("Internal server error"))
				}
			}
		}()
		c.Next()
	}
}

// requestLog logs each request at debug level, and failures at info or warn.
func requestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelWarn
		case status >= 400:
			level = slog.LevelInfo
		}
		if !logger.Enabled(c.Request.Context(), level) {
			return
		}
		logger.Log(c.Request.Context(), level, "request",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", status,
			"duration", time.Since(start), "remote", c.ClientIP())
	}
}
