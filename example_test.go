package pinion_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the example needs zones wherever it runs

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
)

// Task is the record of the examples' tasks service.
type Task struct {
	ID    int    `json:"id" readOnly:"true"`
	Title string `json:"title" required:"true" maxLength:"100"`
	Done  bool   `json:"done"`
}

// A typed service: a struct, an adapter and a hook; Go callers get Tasks.
func ExampleUse() {
	ctx := context.Background()
	app := pinion.New()
	tasks := pinion.Use(app, "tasks", memory.Typed[Task, int](memory.Options{}), pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{pinion.MethodCreate: {pinion.Typed(func(ctx context.Context, c pinion.Context[Task]) error {
			for _, t := range c.Data() {
				t.Title = strings.TrimSpace(t.Title)
			}
			return nil
		})}},
	}))

	task, _ := tasks.Create(ctx, Task{Title: "  write the docs "}, nil)
	done, _ := tasks.Patch(ctx, task.ID, pinion.NewPatch(Task{Done: true}), nil)
	fmt.Printf("%d %q %v\n", done.ID, done.Title, done.Done)
	// Output: 0 "write the docs" true
}

// Data from a client is checked against the struct: every field at fault is
// named.
func ExampleUse_validation() {
	app := pinion.New()
	tasks := pinion.Use(app, "tasks", memory.Typed[Task, int](memory.Options{}))
	// What a REST body or a socket message holds, from a client:
	_, err := tasks.Call(context.Background(), pinion.MethodCreate, nil,
		map[string]any{"done": "yes"}, &pinion.Params{Provider: pinion.ProviderREST})
	var fe *pinion.Error
	errors.As(err, &fe)
	fmt.Println(fe.Code, fe.Message)
	for _, p := range fe.Data.([]any) {
		fmt.Println(p)
	}
	// Unordered output:
	// 400 Invalid data: 'done' must be a boolean
	// map[instancePath:/done message:must be a boolean]
	// map[instancePath:/title message:is required]
}

// A service of maps, with an untyped hook: every service implements any of
// the six methods; the adapters implement them all.
func ExampleApp_Use() {
	ctx := context.Background()
	app := pinion.New()
	messages := app.Use("messages", memory.New(memory.Options{}), pinion.WithHooks(pinion.Hooks{
		Before: pinion.HookMap{pinion.MethodCreate: {func(ctx context.Context, hc *pinion.HookContext) error {
			for _, m := range pinion.Records(hc.Data) {
				if err := m.Set("length", len(m.String("text"))); err != nil {
					return err
				}
			}
			return nil
		}}},
	}))
	msg, _ := messages.Create(ctx, map[string]any{"text": "hello"}, nil)
	fmt.Println(msg)
	// Output: map[id:0 length:5 text:hello]
}

// Protected fields never reach an external caller, nor its queries.
func ExampleWithProtected() {
	ctx := context.Background()
	app := pinion.New()
	users := app.Use("users", memory.New(memory.Options{}), pinion.WithProtected("password"))
	users.Create(ctx, map[string]any{"email": "ada@example.com", "password": "$2b$10$…"}, nil)

	rest := &pinion.Params{Provider: pinion.ProviderREST}
	hc, _ := users.Call(ctx, pinion.MethodGet, "0", nil, rest)
	fmt.Println(hc.External())
	_, err := users.Call(ctx, pinion.MethodFind, nil, nil, &pinion.Params{Provider: pinion.ProviderREST,
		Query: map[string]any{"password": map[string]any{"$gte": "$2a"}}})
	fmt.Println(err)
	// Output:
	// map[email:ada@example.com id:0]
	// BadRequest: Invalid query: 'password' is a protected field and can not be queried, sorted or selected
}

// Clock is a typed service of its own: it embeds pinion.Types to name its
// record and id types, and implements the typed methods it has.
type Clock struct{ pinion.Types[Tick, string] }

// Tick is what the clock answers.
type Tick struct {
	Zone string    `json:"zone"`
	Now  time.Time `json:"now"`
}

// Get implements pinion.GetterOf.
func (Clock) Get(ctx context.Context, zone string, p *pinion.Params) (Tick, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Tick{}, pinion.NotFound("No time zone '%s'", zone)
	}
	return Tick{Zone: zone, Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).In(loc)}, nil
}

func ExampleTypes() {
	app := pinion.New()
	clock := pinion.Use(app, "clock", Clock{})
	tick, _ := clock.Get(context.Background(), "Asia/Tokyo", nil)
	fmt.Println(tick.Zone, tick.Now.Format(time.Kitchen))
	_, err := clock.Get(context.Background(), "Mars/Olympus", nil)
	fmt.Println(err)
	fmt.Println(clock.Has(pinion.MethodCreate))
	// Output:
	// Asia/Tokyo 9:00PM
	// NotFound: No time zone 'Mars/Olympus'
	// false
}
