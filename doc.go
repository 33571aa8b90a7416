// Package pinion is the core of Pinion, a FeathersJS-style REST and real-time API
// framework: an App holds services, and every call to a service runs through a
// chain of hooks over one HookContext.
//
// The data flow is transport → Service.Call → hooks → service method → hooks →
// transport, and for real-time clients events → channels → connections. This
// package has no transport or database imports; transport/rest,
// transport/socketio, services/memory and services/mongodb build on it.
//
// A service with hooks, in a few lines:
//
//	app := pinion.New()
//	app.Use("messages", memory.New(memory.Options{}),
//		pinion.WithHooks(pinion.Hooks{
//			Before: pinion.HookMap{"create": {func(ctx context.Context, hc *pinion.HookContext) error {
//				hc.Data.(map[string]any)["createdAt"] = time.Now().UnixMilli()
//				return nil
//			}}},
//		}))
package pinion
