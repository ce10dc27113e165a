//go:build !race

package gateway_test

// Timing under the race detector measures the detector: scripts/test runs this file in a second,
// race-free pass.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

func TestInboxScreenRunsIndependentCallsConcurrently(t *testing.T) {
	// The reference cache off: user records come from WeDa every time, the slowest case (three
	// waves: the list, the tasks and histories, the users).
	h := newHarness(t, func(c *gateway.Config) { c.ReferenceTTL = 0 })
	const latency = 50 * time.Millisecond
	h.sb.SetLatency("", latency, 0)
	var out inbox
	h.ok(h.me, inboxQuery, nil, &out) // warm: the token fetch is not part of the screen
	start := time.Now()
	h.ok(h.me, inboxQuery, nil, &out)
	elapsed := time.Since(start)
	t.Logf("inbox screen with %s upstream latency: %s", latency, elapsed)
	require.Len(t, out.Viewer.WorkItems.Nodes, 20)
	// Sequential calls would take 42 × 50 ms; three waves (list, tasks + histories, users) take 150 ms.
	assert.Less(t, elapsed, 4*latency, "took %s", elapsed)
}
