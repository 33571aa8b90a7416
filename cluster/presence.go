package cluster

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pinionhq/pinion"
)

// The presence protocol, on Subject + ".presence" (NATS core), one JSON
// message per report:
//
//	{"origin": id, "all": true, "channels": {"rooms/a": {"ada": 2}}, "hello": true}
//
// An instance reports its share of the tracked channels: all of it ("all")
// on joining ("hello": the others answer with theirs at once) and every
// PresenceInterval;
// only the channels that changed ("all": false, a channel with no users
// means nobody there any more) as soon as they change. Reports of one
// instance arrive in order (NATS keeps a publisher's order); "bye": true says
// it leaves. An instance
// not heard from for PresenceTimeout is dropped: its users leave.
type report struct {
	Origin   string                           `json:"origin"`
	All      bool                             `json:"all"`
	Hello    bool                             `json:"hello,omitempty"`
	Bye      bool                             `json:"bye,omitempty"`
	Channels map[string]pinion.PresenceCounts `json:"channels"`
}

type presence struct {
	n       *Node
	subject string
	sub     *nats.Subscription
	done    chan struct{}
	wg      sync.WaitGroup

	mu   sync.Mutex
	seen map[string]time.Time // instance → last report
}

func startPresence(n *Node) (*presence, error) {
	p := &presence{n: n, subject: n.subject + ".presence", done: make(chan struct{}), seen: map[string]time.Time{}}
	var err error
	if p.sub, err = n.nc.Subscribe(p.subject, p.receive); err != nil {
		return nil, err
	}
	n.app.OnPresence(func(channels []string) {
		select {
		case <-p.done:
			return
		default:
		}
		p.send(report{Channels: n.app.LocalPresence(channels...)})
	})
	p.send(report{All: true, Hello: true, Channels: n.app.LocalPresence()})
	p.wg.Add(1)
	go p.loop()
	return p, nil
}

func (p *presence) send(r report) {
	r.Origin = p.n.id
	b, _ := json.Marshal(r)
	if err := p.n.nc.Publish(p.subject, b); err != nil {
		p.n.logger.Debug("cluster: sending presence", "error", err)
	}
}

func (p *presence) receive(msg *nats.Msg) {
	var r report
	if json.Unmarshal(msg.Data, &r) != nil || r.Origin == "" || r.Origin == p.n.id {
		return
	}
	p.mu.Lock()
	_, known := p.seen[r.Origin]
	leaving := r.Bye
	if leaving {
		delete(p.seen, r.Origin)
	} else {
		p.seen[r.Origin] = time.Now()
	}
	p.mu.Unlock()
	p.n.app.SetRemotePresence(r.Origin, r.Channels, r.All)
	if r.Hello || !known && !leaving {
		// A new instance (or one back after a cut): it learns ours now
		// rather than at our next report.
		p.send(report{All: true, Channels: p.n.app.LocalPresence()})
	}
}

// loop reports every interval and drops the instances gone silent.
func (p *presence) loop() {
	defer p.wg.Done()
	t := time.NewTicker(p.n.opts.PresenceInterval)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.send(report{All: true, Channels: p.n.app.LocalPresence()})
		var gone []string
		p.mu.Lock()
		for id, at := range p.seen {
			if time.Since(at) > p.n.opts.PresenceTimeout {
				gone = append(gone, id)
				delete(p.seen, id)
			}
		}
		p.mu.Unlock()
		for _, id := range gone {
			p.n.logger.Info("cluster: an instance went silent: its users leave", "instance", id)
			p.n.app.ForgetInstance(id)
		}
	}
}

func (p *presence) close() {
	close(p.done)
	p.wg.Wait()
	p.sub.Unsubscribe()
	p.send(report{All: true, Bye: true})
	p.n.nc.Flush()
}
