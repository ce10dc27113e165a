package gateway

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wedagraph/gateway/delivery"
)

// inflight counts the work running at once against the bounds of Config.Streams: operations
// (an HTTP request, one message on a WebSocket, deferred parts included) in the process and per
// viewer, and long-lived connections (WebSockets and SSE streams) in the process and per viewer.
// Past a bound the answer is an immediate refusal; nothing waits in a queue.
type inflight struct {
	cfg     Streams
	refused *prometheus.CounterVec // by bound

	mu            sync.Mutex
	ops, conns    int
	opsByViewer   map[string]int
	connsByViewer map[string]int
}

func newInflight(cfg Streams) *inflight {
	return &inflight{cfg: cfg, opsByViewer: map[string]int{}, connsByViewer: map[string]int{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_refusals_total",
			Help: "Operations and connections refused at once because a bound of the work in flight was reached, by bound " +
				"(the setting's name)."}, []string{"bound"})}
}

// collectors export what runs now and what was refused.
func (f *inflight) collectors() []prometheus.Collector {
	return []prometheus.Collector{f.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "weda_gateway_operations_in_flight",
			Help: "Operations running now: HTTP requests, WebSocket operations, SSE queries (MAX_OPERATIONS_IN_FLIGHT bounds it)."},
			func() float64 { ops, _ := f.counts(); return float64(ops) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "weda_gateway_connections_open",
			Help: "Long-lived connections open now: WebSockets and SSE subscriptions (MAX_CONNECTIONS bounds it)."},
			func() float64 { _, conns := f.counts(); return float64(conns) }),
	}
}

// refuse counts a refusal at bound and returns it.
func (f *inflight) refuse(bound string, r *delivery.Refusal) *delivery.Refusal {
	f.refused.WithLabelValues(bound).Inc()
	return r
}

// retryAfter is what a refusal suggests: work in flight ends within moments.
const retryAfter = time.Second

// takeOp counts one operation of viewer ("" for none: the process bound only).
func (f *inflight) takeOp(viewer string) *delivery.Refusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.ops >= f.cfg.MaxOperations:
		return f.refuse("MAX_OPERATIONS_IN_FLIGHT", &delivery.Refusal{Status: http.StatusServiceUnavailable, Code: "RATE_LIMITED", RetryAfter: retryAfter,
			Message: fmt.Sprintf("the gateway is running its most operations at once (%d): retry after a second", f.cfg.MaxOperations)})
	case viewer != "" && f.opsByViewer[viewer] >= f.cfg.MaxOperationsPerViewer:
		return f.refuse("MAX_OPERATIONS_PER_VIEWER", &delivery.Refusal{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", RetryAfter: retryAfter,
			Message: fmt.Sprintf("more than %d operations at once for this user: wait for one to answer", f.cfg.MaxOperationsPerViewer)})
	}
	f.ops++
	if viewer != "" {
		f.opsByViewer[viewer]++
	}
	return nil
}

func (f *inflight) dropOp(viewer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops--
	if viewer != "" {
		if f.opsByViewer[viewer]--; f.opsByViewer[viewer] <= 0 {
			delete(f.opsByViewer, viewer)
		}
	}
}

// takeConn counts one long-lived connection in the process.
func (f *inflight) takeConn() *delivery.Refusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns >= f.cfg.MaxConnections {
		return f.refuse("MAX_CONNECTIONS", &delivery.Refusal{Status: http.StatusServiceUnavailable, Code: "RATE_LIMITED", RetryAfter: retryAfter,
			Message: fmt.Sprintf("the gateway holds its most long-lived connections (%d): retry later", f.cfg.MaxConnections)})
	}
	f.conns++
	return nil
}

func (f *inflight) dropConn() {
	f.mu.Lock()
	f.conns--
	f.mu.Unlock()
}

// takeViewerConn counts one long-lived connection of viewer.
func (f *inflight) takeViewerConn(viewer string) *delivery.Refusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.connsByViewer[viewer] >= f.cfg.MaxConnectionsPerViewer {
		return f.refuse("MAX_CONNECTIONS_PER_VIEWER", &delivery.Refusal{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", RetryAfter: retryAfter,
			Message: fmt.Sprintf("more than %d open connections (WebSockets and SSE streams) for this user: close one first",
				f.cfg.MaxConnectionsPerViewer)})
	}
	f.connsByViewer[viewer]++
	return nil
}

func (f *inflight) dropViewerConn(viewer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.connsByViewer[viewer]--; f.connsByViewer[viewer] <= 0 {
		delete(f.connsByViewer, viewer)
	}
}

// counts reports what is in flight now: operations and connections.
func (f *inflight) counts() (ops, conns int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops, f.conns
}

// ticket is one operation's admission (delivery.Ticket). An operation that turns out to be a
// subscription stops counting as an operation; over HTTP (SSE) it counts as a connection then.
type ticket struct {
	f      *inflight
	viewer string
	onConn bool // carried by a WebSocket, which is counted as a connection already

	mu     sync.Mutex
	op     bool // counted as an operation
	stream bool // counted as a connection (SSE)
}

// admit counts an operation of viewer; onConn says a WebSocket carries it.
func (f *inflight) admit(viewer string, onConn bool) (*ticket, *delivery.Refusal) {
	if r := f.takeOp(viewer); r != nil {
		return nil, r
	}
	return &ticket{f: f, viewer: viewer, onConn: onConn, op: true}, nil
}

// Stream implements delivery.Ticket.
func (t *ticket) Stream() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.onConn && !t.stream {
		if r := t.f.takeConn(); r != nil {
			return r
		}
		if t.viewer != "" {
			if r := t.f.takeViewerConn(t.viewer); r != nil {
				t.f.dropConn()
				return r
			}
		}
		t.stream = true
	}
	if t.op {
		t.op = false
		t.f.dropOp(t.viewer)
	}
	return nil
}

// release ends the admission.
func (t *ticket) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.op {
		t.op = false
		t.f.dropOp(t.viewer)
	}
	if t.stream {
		t.stream = false
		t.f.dropConn()
		if t.viewer != "" {
			t.f.dropViewerConn(t.viewer)
		}
	}
}
