package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/transport/socketio"
)

// Gin counts the requests a gin engine answers. Use it first, so that it
// sees the status of requests that later middleware ends.
func (m *Metrics) Gin() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "services" // REST is served by NoRoute, at every service path
		}
		m.httpRequests.WithLabelValues(route, httpMethod(c.Request.Method), strconv.Itoa(c.Writer.Status())).Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

func httpMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statsCollector turns a Stats function into metrics at each scrape.
type statsCollector struct {
	descs   []*prometheus.Desc
	collect func(ch chan<- prometheus.Metric)
}

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Sockets exports the counters of a socket.io transport (socketio.Stats).
func (m *Metrics) Sockets(s *socketio.Server) {
	current := prometheus.NewDesc("pinion_socket_connections", "Live socket.io connections.", nil, nil)
	opened := prometheus.NewDesc("pinion_socket_connections_opened_total", "socket.io connections accepted.", nil, nil)
	refused := prometheus.NewDesc("pinion_socket_handshakes_refused_total", "socket.io handshakes refused (bad credentials, a cross-site cookie).", nil, nil)
	closed := prometheus.NewDesc("pinion_socket_connections_closed_total", "socket.io connections that ended, by reason (socket.io's; \"too slow\" for clients disconnected because they did not read).", []string{"reason"}, nil)
	delivered := prometheus.NewDesc("pinion_channel_deliveries_total", "Events written to socket.io connections by channels (one per connection of a fan-out).", nil, nil)
	dropped := prometheus.NewDesc("pinion_channel_dropped_total", "Events not delivered: to a connection gone, or discarded with the queue of a client disconnected as too slow.", nil, nil)
	slow := prometheus.NewDesc("pinion_socket_slow_disconnects_total", "socket.io clients disconnected because their queue passed sockets.maxQueuedBytes or maxQueuedPackets.", nil, nil)
	m.reg.MustRegister(statsCollector{
		descs: []*prometheus.Desc{current, opened, refused, closed, delivered, dropped, slow},
		collect: func(ch chan<- prometheus.Metric) {
			st := s.Stats()
			ch <- prometheus.MustNewConstMetric(current, prometheus.GaugeValue, float64(st.Connections))
			ch <- prometheus.MustNewConstMetric(opened, prometheus.CounterValue, float64(st.Opened))
			ch <- prometheus.MustNewConstMetric(refused, prometheus.CounterValue, float64(st.Refused))
			for reason, n := range st.Closed {
				ch <- prometheus.MustNewConstMetric(closed, prometheus.CounterValue, float64(n), reason)
			}
			ch <- prometheus.MustNewConstMetric(delivered, prometheus.CounterValue, float64(st.Delivered))
			ch <- prometheus.MustNewConstMetric(dropped, prometheus.CounterValue, float64(st.Dropped))
			ch <- prometheus.MustNewConstMetric(slow, prometheus.CounterValue, float64(st.SlowDisconnects))
		},
	})
}

// Authentication exports the counters of the authentication service
// (authentication.Stats).
func (m *Metrics) Authentication(a *authentication.Service) {
	logins := prometheus.NewDesc("pinion_auth_logins_total", "Logins (authentication create, socket handshakes included) by strategy and outcome (success, failure, invalid, throttled, unavailable, error).", []string{"strategy", "outcome"}, nil)
	throttled := prometheus.NewDesc("pinion_auth_throttled_total", "Login attempts refused with 429, by the counter that refused them (account, address).", []string{"scope"}, nil)
	revocations := prometheus.NewDesc("pinion_auth_revocations_total", "Revocations written, by kind (token, login, subject).", []string{"kind"}, nil)
	refreshes := prometheus.NewDesc("pinion_auth_refreshes_total", "Refresh token uses by outcome (success, reused, invalid, error).", []string{"outcome"}, nil)
	m.reg.MustRegister(statsCollector{
		descs: []*prometheus.Desc{logins, throttled, revocations, refreshes},
		collect: func(ch chan<- prometheus.Metric) {
			st := a.Stats()
			for k, n := range st.Logins {
				ch <- prometheus.MustNewConstMetric(logins, prometheus.CounterValue, float64(n), k.Strategy, k.Outcome)
			}
			for _, c := range []struct {
				d *prometheus.Desc
				m map[string]uint64
			}{{throttled, st.Throttled}, {revocations, st.Revocations}, {refreshes, st.Refreshes}} {
				for k, n := range c.m {
					ch <- prometheus.MustNewConstMetric(c.d, prometheus.CounterValue, float64(n), k)
				}
			}
		},
	})
}

// Database exports the database's readiness: up reports whether it
// answered its last check (1) or not (0), and since when.
func (m *Metrics) Database(up func() (ok bool, since time.Time)) {
	upDesc := prometheus.NewDesc("pinion_database_up", "Whether the database answered its last readiness check (1) or not (0).", nil, nil)
	sinceDesc := prometheus.NewDesc("pinion_database_state_since_seconds", "Unix time of the last change of pinion_database_up.", nil, nil)
	m.reg.MustRegister(statsCollector{
		descs: []*prometheus.Desc{upDesc, sinceDesc},
		collect: func(ch chan<- prometheus.Metric) {
			ok, since := up()
			v := 0.0
			if ok {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v)
			ch <- prometheus.MustNewConstMetric(sinceDesc, prometheus.GaugeValue, float64(since.UnixNano())/1e9)
		},
	})
}

// pool follows the MongoDB driver's connection pool.
type pool struct {
	open, inUse      atomic.Int64
	checkoutFailures *prometheus.CounterVec
	cleared          prometheus.Counter
	checkoutWait     prometheus.Histogram
}

// PoolMonitor returns the driver pool monitor that feeds the pool metrics
// (options.Client().SetPoolMonitor): connections open and checked out,
// failed checkouts by reason, pool clears (the driver clears a pool when
// its server stops answering) and the time a checkout waits.
func (m *Metrics) PoolMonitor() *event.PoolMonitor {
	if m.pool == nil {
		p := &pool{
			checkoutFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "pinion_mongodb_pool_checkout_failures_total",
				Help: "Connection checkouts that failed, by the driver's reason (timeout, connectionError, poolClosed).",
			}, []string{"reason"}),
			cleared: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "pinion_mongodb_pool_cleared_total",
				Help: "Times the driver cleared its connection pool (its server stopped answering).",
			}),
			checkoutWait: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "pinion_mongodb_pool_checkout_duration_seconds",
				Help:    "Time a connection checkout took (waiting for a free connection, or dialling one).",
				Buckets: DurationBuckets,
			}),
		}
		m.reg.MustRegister(p.checkoutFailures, p.cleared, p.checkoutWait,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pinion_mongodb_pool_connections", Help: "Connections the driver's pool holds open."},
				func() float64 { return float64(p.open.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pinion_mongodb_pool_connections_in_use", Help: "Connections checked out of the pool: operations running."},
				func() float64 { return float64(p.inUse.Load()) }))
		m.pool = p
	}
	return &event.PoolMonitor{Event: m.pool.event}
}

func (p *pool) event(e *event.PoolEvent) {
	switch e.Type {
	case event.ConnectionCreated:
		p.open.Add(1)
	case event.ConnectionClosed:
		p.open.Add(-1)
	case event.ConnectionCheckedOut:
		p.inUse.Add(1)
		p.checkoutWait.Observe(e.Duration.Seconds())
	case event.ConnectionCheckedIn:
		p.inUse.Add(-1)
	case event.ConnectionCheckOutFailed:
		p.checkoutFailures.WithLabelValues(e.Reason).Inc()
		p.checkoutWait.Observe(e.Duration.Seconds())
	case event.ConnectionPoolCleared:
		p.cleared.Inc()
	}
}
