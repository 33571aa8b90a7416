// Package pinion is the core of Pinion, a FeathersJS-style REST and real-time API
// framework: an App holds services, and every call to a service runs through a
// chain of hooks over one HookContext.
//
// The data flow is transport → Service.Call → hooks → service method → hooks →
// transport, and for real-time clients events → channels → connections. This
// package has no transport or database imports; transport/rest,
// transport/socketio, adapter/memory and adapter/mongodb build on it, and
// package serve serves an app in one call.
//
// A service is usually a Go struct over an adapter, with hooks that read and
// change the struct (see Use, Typed and package schema for the struct tags):
//
//	ctx := context.Background()
//	app := pinion.New()
//	tasks := pinion.Use(app, "tasks", memory.Typed[Task, int](memory.Options{}), pinion.WithHooks(pinion.Hooks{
//		Before: pinion.HookMap{pinion.MethodCreate: {pinion.Typed(func(ctx context.Context, c pinion.Context[Task]) error {
//			for _, t := range c.Data() {
//				t.Title = strings.TrimSpace(t.Title)
//			}
//			return nil
//		})}},
//	}))
//
//	task, _ := tasks.Create(ctx, Task{Title: "  write the docs "}, nil)
//	done, _ := tasks.Patch(ctx, task.ID, pinion.NewPatch(Task{Done: true}), nil)
//	fmt.Printf("%d %q %v\n", done.ID, done.Title, done.Done)
//
// Services that work on maps are registered with App.Use; every helper and
// stock hook works the same for both.
package pinion
