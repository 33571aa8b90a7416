// Package cluster shares service events between Pinion instances over NATS, for
// when one machine is not enough: an event caused on one instance reaches the
// clients connected to every other (through their channels), and the listeners
// there (the user cache, live sessions) stay in step.
//
//	node, err := cluster.Join(ctx, app, cluster.Options{URL: "nats://nats:4222"})
//	defer node.Close()
//
// Events travel as JSON on one subject; an instance ignores its own. Delivery is
// NATS core's: at most once, in order per instance.
package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/pinionhq/pinion"
)

// DefaultSubject carries the events.
const DefaultSubject = "pinion.events"

// Options configure a Node.
type Options struct {
	// URL of the NATS server(s), comma-separated.
	URL string
	// Subject for the events (default DefaultSubject); instances of different
	// apps on one NATS use different subjects.
	Subject string
	// Name identifies this instance to NATS (in its monitoring).
	Name   string
	Logger *slog.Logger
}

// Node is this instance's membership in the cluster.
type Node struct {
	app     *pinion.App
	id      string
	subject string
	nc      *nats.Conn
	sub     *nats.Subscription
	stop    func()
	logger  *slog.Logger
}

// message is an event on the wire.
type message struct {
	Origin string `json:"origin"`
	Path   string `json:"path"`
	Name   string `json:"name"`
	// Data is the event's external form (Dispatch when a hook set one): what
	// a client may see. Records as stored (password hashes, …) and
	// credentials never leave the instance.
	Data json.RawMessage `json:"data"`
	// Dispatch is what instances of earlier versions sent beside the raw
	// record in Data; read, never written, so that during a rolling update
	// clients of this instance still get the external form.
	Dispatch json.RawMessage `json:"dispatch,omitempty"`
}

// Join connects app to the cluster: its events are published, and the events of
// other instances are received.
func Join(ctx context.Context, app *pinion.App, o Options) (*Node, error) {
	if o.Subject == "" {
		o.Subject = DefaultSubject
	}
	if o.Logger == nil {
		o.Logger = app.Logger()
	}
	n := &Node{app: app, id: uuid.NewString(), subject: o.Subject, logger: o.Logger}
	nc, err := nats.Connect(o.URL,
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.Logger.Warn("cluster: disconnected from NATS; events are not shared until it is back", "error", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { o.Logger.Info("cluster: reconnected to NATS") }),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to NATS at %s: %w", o.URL, err)
	}
	n.nc = nc
	if n.sub, err = nc.Subscribe(o.Subject, n.receive); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n.stop = app.OnEvent(n.publish)
	return n, nil
}

// ID is this instance's id in the cluster.
func (n *Node) ID() string { return n.id }

// publish sends a local event to the other instances. It never blocks the call
// that caused the event: NATS buffers.
func (n *Node) publish(ctx context.Context, e pinion.Event) {
	if e.Remote {
		return
	}
	m := message{Origin: n.id, Path: e.Path, Name: e.Name}
	var err error
	if m.Data, err = json.Marshal(e.External()); err != nil {
		n.logger.Error("cluster: an event could not be encoded", "path", e.Path, "event", e.Name, "error", err)
		return
	}
	b, _ := json.Marshal(m)
	if err := n.nc.Publish(n.subject, b); err != nil {
		n.logger.Warn("cluster: publishing an event", "error", err)
	}
}

// receive hands an event of another instance to this one.
func (n *Node) receive(msg *nats.Msg) {
	var m message
	if err := json.Unmarshal(msg.Data, &m); err != nil || m.Path == "" || m.Name == "" {
		n.logger.Warn("cluster: ignoring a malformed event", "error", err)
		return
	}
	if m.Origin == n.id {
		return
	}
	e := pinion.Event{Path: m.Path, Name: m.Name}
	if len(m.Dispatch) > 0 {
		m.Data = m.Dispatch
	}
	if err := json.Unmarshal(m.Data, &e.Data); err != nil {
		n.logger.Warn("cluster: ignoring an event with bad data", "error", err)
		return
	}
	n.app.Receive(context.Background(), e)
}

// Close leaves the cluster.
func (n *Node) Close() error {
	n.stop()
	err := n.nc.Drain()
	return err
}
