package serve

import (
	"fmt"
	"io"
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
// A request whose client went away before the answer (the REST handler
// aborts it) is logged at info with nginx's status 499, "client closed
// request": nothing failed on the server.
func requestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		aborted := true
		defer func() {
			status := c.Writer.Status()
			if aborted {
				r := recover()
				switch r {
				case nil: // runtime.Goexit
					return
				case http.ErrAbortHandler:
				default:
					panic(r)
				}
				status = 499
				defer panic(r)
			}
			level := slog.LevelDebug
			switch {
			case status == 499:
				level = slog.LevelInfo
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
		}()
		c.Next()
		aborted = false
	}
}

// bodyDeadline bounds the time a client takes to send a request body: the
// connection's read deadline is set for the body and lifted once it has been
// read, so that a slow handler or a long-polling response after it is not cut
// short (net/http reads the connection in the background then, and a deadline
// there would cancel the request). WebSocket upgrades carry no body and keep
// no deadline. http.Server.ReadHeaderTimeout covers the headers before it.
func bodyDeadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			c.Next()
			return
		}
		rc := http.NewResponseController(c.Writer)
		if rc.SetReadDeadline(time.Now().Add(d)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		c.Next()
	}
}

// deadlineBody lifts the read deadline when the body has been read.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
