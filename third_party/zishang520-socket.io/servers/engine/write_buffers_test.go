package engine

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// An idle WebSocket holds no write buffer: the server's connections borrow
// one for each write (wsWriteBuffers), and answer as before.
func TestIdleWebSocketHoldsNoWriteBuffer(t *testing.T) {
	s := MakeServer()
	s.Construct(nil)
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()

	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, open, err := c.ReadMessage() // written with a borrowed buffer
	if err != nil || len(open) == 0 || open[0] != '0' {
		t.Fatalf("open packet %q, %v", open, err)
	}
	var hs struct{ Sid string }
	if err := json.Unmarshal(open[1:], &hs); err != nil {
		t.Fatal(err)
	}
	socket, ok := s.Clients().Load(hs.Sid)
	if !ok {
		t.Fatal("no socket for", hs.Sid)
	}
	conn := socket.Request().Websocket.Conn
	if n := reflect.ValueOf(conn).Elem().FieldByName("writeBuf").Len(); n != 0 {
		t.Fatalf("an idle WebSocket holds a write buffer of %d bytes", n)
	}
}
