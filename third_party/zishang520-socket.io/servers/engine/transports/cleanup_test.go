package transports

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// A poll's cleanup runs again once its response is written (the context's
// close), on the goroutine that wrote it, while the client, which has the
// response, may already have sent its next poll. That late cleanup leaves the
// next poll in place: what is sent next answers it.
func TestLateCleanupKeepsTheNextPoll(t *testing.T) {
	poll := func() (*types.HttpContext, *httptest.ResponseRecorder) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/engine.io/?EIO=4&transport=polling&sid=x", nil)
		return types.NewHttpContext(rec, r), rec
	}
	handshake, _ := poll()
	transport := NewPolling(handshake)
	transport.Start()
	errs := make(chan string, 4)
	transport.On("error", func(args ...any) { errs <- "transport error" })
	transport.On("close", func(args ...any) { errs <- "transport closed" })
	send := func(text string, to *types.HttpContext) {
		transport.Send([]*packet.Packet{{Type: packet.MESSAGE, Data: types.NewStringBufferString(text)}})
		select { // the write queue answers the poll
		case <-to.Done():
		case e := <-errs:
			t.Fatalf("sending %q: %s", text, e)
		case <-time.After(2 * time.Second):
			t.Fatalf("%q answered no poll", text)
		}
	}

	first, firstRec := poll()
	transport.OnRequest(first)
	send("one", first)
	if !strings.Contains(firstRec.Body.String(), "one") {
		t.Fatalf("first poll answered %q", firstRec.Body.String())
	}
	next, nextRec := poll()
	transport.OnRequest(next)
	first.Cleanup() // late, as the first poll's close runs it
	send("two", next)
	if !strings.Contains(nextRec.Body.String(), "two") {
		t.Fatalf("next poll answered %q", nextRec.Body.String())
	}
}
