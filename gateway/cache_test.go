package gateway_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

func countCalls(calls []string, endpoint string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, endpoint) {
			n++
		}
	}
	return n
}

func TestReferenceDataIsCachedAcrossRequests(t *testing.T) {
	h := newHarness(t)
	var out inbox
	h.ok(h.me, inboxQuery, nil, &out)
	h.ok(h.me, `{ flows { name } }`, nil, &struct{}{})
	h.calls.reset()
	h.ok(h.userID("lihua"), inboxQuery, nil, &out) // another viewer: the same user records
	h.ok(h.me, `{ flows { name } flow(processKey: "leave_request") { name } }`, nil, &struct{}{})
	calls := h.calls.calls()
	assert.Zero(t, countCalls(calls, "ListDeployedFlows"), "the flows came from the cache")
	assert.Equal(t, 1, countCalls(calls, "ListProcessInstances"), "per-viewer boxes are never cached")

	off := newHarness(t, func(c *gateway.Config) { c.ReferenceTTL = 0 })
	off.ok(off.me, `{ flows { name } }`, nil, &struct{}{})
	off.ok(off.me, `{ flows { name } }`, nil, &struct{}{})
	assert.Equal(t, 2, countCalls(off.calls.calls(), "ListDeployedFlows"), "REFERENCE_CACHE_TTL=0 turns it off")
}

func TestStartFlowSurvivesAStaleCachedFlowCode(t *testing.T) {
	h := newHarness(t)
	var flow struct{ Flow struct{ FlowCode string } }
	h.ok(h.me, `{ flow(processKey: "leave_request") { flowCode } }`, nil, &flow) // warms the cache
	newCode, ok := h.sb.SaveFlow("leave_request")
	require.True(t, ok)
	require.NotEqual(t, flow.Flow.FlowCode, newCode)

	var out struct {
		StartFlow struct {
			Instance struct{ FlowCode, Status string }
		}
	}
	h.ok(h.userID("lihua"), `mutation { startFlow(input: { processKey: "leave_request" }) { instance { flowCode status } } }`, nil, &out)
	assert.Equal(t, newCode, out.StartFlow.Instance.FlowCode)
	assert.Equal(t, "IN_PROGRESS", out.StartFlow.Instance.Status)
	assert.EqualValues(t, 2, h.sb.Calls("StartFlow"), "refused with the stale code, then started with the new one")
}
