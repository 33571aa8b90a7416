package transports

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// What a client sends as soon as its WebSocket is open (a CONNECT, an upgrade
// probe) reaches the listeners the server sets up after it made the
// transport: the WebSocket is read from Start on, not from Construct.
func TestWebSocketReadFromStart(t *testing.T) {
	transports := make(chan Websocket, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := types.NewHttpContext(w, r)
		conn, err := (&ws.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		ctx.Websocket = &types.WebSocketConn{EventEmitter: types.NewEventEmitter(), Conn: conn}
		transports <- NewWebSocket(ctx)
		<-ctx.Done()
	}))
	defer srv.Close()

	c, _, err := ws.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(ws.TextMessage, []byte("2probe")); err != nil {
		t.Fatal(err)
	}
	transport := <-transports
	// The server takes its time to listen, as a loaded one does between
	// making the transport and MaybeUpgrade.
	time.Sleep(50 * time.Millisecond)
	got := make(chan string, 1)
	transport.On("packet", func(args ...any) {
		if p, ok := args[0].(*packet.Packet); ok {
			b, _ := io.ReadAll(p.Data)
			got <- string(p.Type) + string(b)
		}
	})
	transport.Start()
	select {
	case p := <-got:
		if p != "pingprobe" {
			t.Errorf("got packet %q, want the probe", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the probe sent before the server listened was lost")
	}
}

// A polling session's first POST (the client's CONNECT, sent as soon as it
// read the open packet) waits for Start, and its packets then reach the
// listeners the server set up meanwhile.
func TestPollingDataFromStart(t *testing.T) {
	get := httptest.NewRequest(http.MethodGet, "/engine.io/?EIO=4&transport=polling", nil)
	transport := NewPolling(types.NewHttpContext(httptest.NewRecorder(), get))
	transport.SetMaxHttpBufferSize(1 << 20)
	post := httptest.NewRequest(http.MethodPost, "/engine.io/?EIO=4&transport=polling&sid=x", strings.NewReader("40"))
	answered := make(chan struct{})
	go func() {
		transport.OnRequest(types.NewHttpContext(httptest.NewRecorder(), post))
		close(answered)
	}()
	time.Sleep(50 * time.Millisecond)
	got := make(chan string, 1)
	transport.On("packet", func(args ...any) {
		if p, ok := args[0].(*packet.Packet); ok {
			b, _ := io.ReadAll(p.Data)
			got <- string(p.Type) + string(b)
		}
	})
	transport.Start()
	select {
	case p := <-got:
		if p != "message0" {
			t.Errorf("got packet %q, want the CONNECT", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the data posted before the server listened was lost")
	}
	<-answered
}
