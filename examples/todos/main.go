// Command todos is a typed service in a few lines: todos over REST and
// socket.io at /todos, kept in memory, on $PORT (3030 by default).
//
//	go run ./examples/todos
//	curl -s localhost:3030/todos -H 'Content-Type: application/json' -d '{"title":"  write docs "}'
//	go run ./examples/todos types   # its TypeScript types for the Feathers client (openapi: its OpenAPI document)
package main

import (
	"context"
	"strings"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/serve"
)

// Todo is the service's record; its tags say what a client may send.
type Todo struct {
	ID    int    `json:"id" readOnly:"true"`
	Title string `json:"title" required:"true" minLength:"1" maxLength:"200"`
	Done  bool   `json:"done"`
}

func main() {
	serve.Main(newApp, serve.Options{})
}

func newApp() (*pinion.App, error) {
	app := pinion.New()
	pinion.Use(app, "todos", memory.Typed[Todo, int](memory.Options{}), pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{pinion.MethodCreate: {pinion.Typed(trim)}},
	}))
	return app, nil
}

// trim tidies the title of every new todo.
func trim(ctx context.Context, c pinion.Context[Todo]) error {
	for _, todo := range c.Data() {
		todo.Title = strings.TrimSpace(todo.Title)
	}
	return nil
}
