package socketiotest_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// TestDialFrom checks that a connection dialled from a loopback address
// reaches the server from that address, and works.
func TestDialFrom(t *testing.T) {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var peers []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/socket.io/") {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			mu.Lock()
			peers = append(peers, host)
			mu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	for _, local := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.1"} {
		t.Run(local, func(t *testing.T) {
			mu.Lock()
			peers = nil
			mu.Unlock()
			conn, err := socketiotest.DialFrom(net.ParseIP(local), ts.URL, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Call("create", "notes", map[string]any{"text": "from " + local}, map[string]any{}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(peers) != 1 || peers[0] != local {
				t.Errorf("the server saw the socket come from %v, want [%s]", peers, local)
			}
		})
	}
}
