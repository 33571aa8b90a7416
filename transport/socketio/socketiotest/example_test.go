package socketiotest_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/serve"
	"github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

type Note struct {
	ID   int    `json:"id" readOnly:"true"`
	Text string `json:"text" required:"true"`
}

// An app's test drives its sockets as a Feathers client does: it calls a
// service, and the socket receives the service's event.
func Example() {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	srv, err := serve.New(app, serve.Options{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	events := make(chan socketiotest.Event, 1)
	conn, err := socketiotest.DialEvents(ts.URL, nil, nil, func(e socketiotest.Event) { events <- e })
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	// socket.emit('create', 'notes', {text}, {}, ack): the ack's arguments
	// are (error, result).
	res, err := conn.Call("create", "notes", map[string]any{"text": "hello"}, map[string]any{})
	if err != nil {
		panic(err)
	}
	fmt.Println("ack:", string(res[0]), string(res[1]))
	e := <-events
	fmt.Println("event:", e.Name, string(e.Data))

	_, err = conn.Call("create", "notes", map[string]any{}, map[string]any{})
	// A refused call is an error carrying the Feathers error.
	fmt.Println("refused with 400:", err != nil && strings.Contains(err.Error(), `"code":400`))
	// Output:
	// ack: null {"id":0,"text":"hello"}
	// event: notes created {"id":0,"text":"hello"}
	// refused with 400: true
}
