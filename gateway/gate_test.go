package gateway_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream"
)

// gatedTransport holds every upstream call to one endpoint until the test opens the gate, so a
// test can read what the gateway sent while that call had not yet ended: ordering, not timing.
type gatedTransport struct {
	base     http.RoundTripper
	endpoint string        // the last path segment to hold, e.g. ListProcessInstancesCount
	arrived  chan struct{} // one value per held call, sent as it reaches the gate
	open     chan struct{} // closed to let the held calls through
	once     sync.Once
	hold     atomic.Bool // whether calls to the endpoint are held; true from newGate

	mu     sync.Mutex
	opened bool
	ended  int // held calls that have come back from the upstream
	left   int // held calls whose context ended at the gate (their operation was stopped)
}

func newGate(endpoint string) *gatedTransport {
	g := &gatedTransport{endpoint: endpoint, arrived: make(chan struct{}, 100), open: make(chan struct{})}
	g.hold.Store(true)
	return g
}

// install wraps the harness's transport; pass it as a config mutation.
func (g *gatedTransport) install(t *testing.T) func(*gateway.Config) {
	t.Cleanup(g.release) // never leave a request hanging past the test
	return func(c *gateway.Config) {
		g.base = c.UpstreamTransport
		if g.base == nil {
			g.base = upstream.NewTransport() // what the gateway uses when the config names none
		}
		c.UpstreamTransport = g
	}
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !g.hold.Load() || !strings.HasSuffix(r.URL.Path, "/"+g.endpoint) {
		return g.base.RoundTrip(r)
	}
	g.arrived <- struct{}{}
	select {
	case <-g.open:
	case <-r.Context().Done():
		g.mu.Lock()
		g.left++
		g.mu.Unlock()
		return nil, r.Context().Err()
	}
	resp, err := g.base.RoundTrip(r)
	g.mu.Lock()
	g.ended++
	g.mu.Unlock()
	return resp, err
}

// waitArrived waits until a held call has reached the gate. The bound only keeps a broken
// gateway from hanging the test; no result depends on how long this takes.
func (g *gatedTransport) waitArrived(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(2 * time.Minute):
		t.Fatal("the deferred upstream call never reached the gate")
	}
}

func (g *gatedTransport) release() {
	g.once.Do(func() {
		g.mu.Lock()
		g.opened = true
		g.mu.Unlock()
		close(g.open)
	})
}

// stopped reports how many held calls were stopped at the gate.
func (g *gatedTransport) stopped() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.left
}

// state reports whether the gate was opened and how many held calls have ended.
func (g *gatedTransport) state() (opened bool, ended int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.opened, g.ended
}
