package gateway_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inboxQuery is the inbox screen: the first 20 to-do items, each with its instance's tasks
// (assignee names) and history (operator names).
const inboxQuery = `{ viewer { workItems(box: TODO, first: 20) { totalCount nodes {
	taskId name startTime currentNode { name }
	instance { id status
		tasks { nodes { id status node { name } assignee { id name } } }
		operations { nodes { action comment time operator { id name } } }
	}
} } } }`

type inbox struct {
	Viewer struct {
		WorkItems struct {
			TotalCount int
			Nodes      []struct {
				Instance struct {
					Tasks struct {
						Nodes []struct {
							Assignee struct{ ID, Name string }
						}
					}
					Operations struct {
						Nodes []struct {
							Operator struct{ ID, Name string }
						}
					}
				}
			}
		}
	}
}

func TestInboxScreenUpstreamEconomy(t *testing.T) {
	h := newHarness(t)
	h.calls.reset()
	var out inbox
	h.ok(h.me, inboxQuery, nil, &out)

	items := out.Viewer.WorkItems.Nodes
	require.Len(t, items, 20)
	for _, it := range items {
		require.NotEmpty(t, it.Instance.Tasks.Nodes)
		for _, task := range it.Instance.Tasks.Nodes {
			assert.NotEmpty(t, task.Assignee.Name, "assignee %s resolved", task.Assignee.ID)
		}
		for _, op := range it.Instance.Operations.Nodes {
			assert.NotEmpty(t, op.Operator.Name)
		}
	}

	calls := h.calls.calls()
	assert.LessOrEqual(t, len(calls), 1+20+20+1, "at most one list, 20 task lists, 20 histories, one user batch")
	seen := map[string]bool{}
	byEndpoint := map[string]int{}
	for _, c := range calls {
		assert.False(t, seen[c], "duplicate upstream call: %s", c)
		seen[c] = true
		byEndpoint[strings.SplitN(strings.SplitN(c, " ", 2)[0], "?", 2)[0]]++
	}
	assert.Equal(t, map[string]int{"ListProcessInstances": 1, "GetFlowInstanceTasks": 20,
		"GetFlowInstanceOperations": 20, "sys_user": 1}, byEndpoint)
	assert.Contains(t, h.logs.String(), `"upstream_calls":42`, "the request's log line counts its upstream calls")
}

// TestFlowNodesAreKeyedPerInstance: a flow node's id is what client caches key it by, so it
// differs between instances although element ids (startNode, the supervisor's node) repeat in
// every instance of a flow; the element id stays in elementId.
func TestFlowNodesAreKeyedPerInstance(t *testing.T) {
	h := newHarness(t)
	var res struct {
		Viewer struct {
			WorkItems struct {
				Nodes []struct {
					Instance struct {
						ID    string
						Tasks struct {
							Nodes []struct {
								Node struct{ ID, ElementID string }
							}
						}
					}
				}
			}
		}
	}
	h.ok(h.me, `{ viewer { workItems(box: TODO, first: 20) { nodes { instance { id tasks { nodes { node { id elementId } } } } } } } }`, nil, &res)
	ids := map[string]string{} // node id → instance id
	shared := map[string]int{} // element id → instances it appears in
	for _, item := range res.Viewer.WorkItems.Nodes {
		seen := map[string]bool{}
		for _, task := range item.Instance.Tasks.Nodes {
			n := task.Node
			require.NotEmpty(t, n.ElementID)
			if owner, ok := ids[n.ID]; ok {
				assert.Equal(t, item.Instance.ID, owner, "node id %s names nodes of two instances", n.ID)
			}
			ids[n.ID] = item.Instance.ID
			if !seen[n.ElementID] {
				seen[n.ElementID] = true
				shared[n.ElementID]++
			}
		}
	}
	repeated := 0
	for _, n := range shared {
		if n > 1 {
			repeated++
		}
	}
	assert.Positive(t, repeated, "the inbox shows one element id in several instances")
}
