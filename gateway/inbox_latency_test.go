package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

// waveGate holds each upstream call until every call of its wave has arrived, then lets the
// wave go together. A gateway that sent a wave's calls one after another would never fill it:
// the first call would wait for a second that only comes after the first returns. So the screen
// passes only if its independent calls are in flight at once, on a fast machine or a loaded one,
// with no clock in the assertion.
type waveGate struct {
	base  http.RoundTripper
	mu    sync.Mutex
	armed bool
	sizes []int // calls expected in each wave
	wave  int
	n     int
	open  chan struct{}
	seen  [][]string
	stuck bool // a wave never filled: later calls fail at once
}

func (g *waveGate) RoundTrip(r *http.Request) (*http.Response, error) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	g.mu.Lock()
	if g.stuck {
		g.mu.Unlock()
		return nil, fmt.Errorf("an earlier wave never filled")
	}
	if !g.armed || name == "clientCredential" {
		g.mu.Unlock()
		return g.base.RoundTrip(r)
	}
	if g.wave >= len(g.sizes) {
		g.seen = append(g.seen, []string{name})
		g.mu.Unlock()
		return g.base.RoundTrip(r)
	}
	wave := g.wave
	g.seen[wave] = append(g.seen[wave], name)
	g.n++
	open := g.open
	if g.n == g.sizes[wave] {
		close(g.open)
		g.wave, g.n, g.open = g.wave+1, 0, make(chan struct{})
	}
	g.mu.Unlock()
	select {
	case <-open:
	case <-time.After(10 * time.Second): // only a broken gateway gets here
		g.mu.Lock()
		g.stuck = true
		g.mu.Unlock()
		return nil, fmt.Errorf("wave %d never filled: its calls were not in flight together", wave+1)
	}
	return g.base.RoundTrip(r)
}

// The inbox screen in three waves: the list; the 20 task lists and 20 histories together; one
// batch of users.
func TestInboxScreenRunsIndependentCallsConcurrently(t *testing.T) {
	gate := &waveGate{sizes: []int{1, 40, 1}, open: make(chan struct{}), seen: make([][]string, 3)}
	// The reference cache off: user records come from WeDa every time, so the third wave is real.
	h := newHarness(t, func(c *gateway.Config) {
		c.ReferenceTTL = 0
		gate.base = c.UpstreamTransport
		c.UpstreamTransport = gate
	})
	var out inbox
	h.ok(h.me, `{ viewer { user { id } } }`, nil, &out) // the token fetch is not part of the screen
	gate.mu.Lock()
	gate.armed = true
	gate.mu.Unlock()
	h.ok(h.me, inboxQuery, nil, &out)
	require.Len(t, out.Viewer.WorkItems.Nodes, 20)
	gate.mu.Lock()
	defer gate.mu.Unlock()
	assert.Equal(t, []string{"ListProcessInstances"}, gate.seen[0])
	assert.Len(t, gate.seen[1], 40)
	assert.Equal(t, []string{"sys_user"}, gate.seen[2])
	assert.Len(t, gate.seen, 3, "nothing after the third wave")
}
