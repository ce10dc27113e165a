package gateway_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/graph/userbatch"
)

// TestUserBatchWaitsForEveryResolver: the viewer's own record is asked for at once, the
// assignees only once the slow task lists answer; the batch still goes once, when nothing can
// ask for another user. A quiet period or a maximum wait would send the viewer's record first.
func TestUserBatchWaitsForEveryResolver(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.ReferenceTTL = 0 })
	h.sb.SetLatency("GetFlowInstanceTasks", 200*time.Millisecond, 0)
	h.calls.reset()
	var out struct {
		Viewer struct {
			User      struct{ Name string }
			WorkItems struct {
				Nodes []struct {
					Instance struct {
						Tasks struct {
							Nodes []struct{ Assignee struct{ Name string } }
						}
					}
				}
			}
		}
	}
	h.ok(h.me, `{ viewer { user { name } workItems(box: TODO, first: 5) { nodes { instance {
		tasks { nodes { assignee { name } } } } } } } }`, nil, &out)
	users := 0
	for _, c := range h.calls.calls() {
		if strings.HasPrefix(c, "sys_user") {
			users++
		}
	}
	assert.Equal(t, 1, users, "one user batch")
	assert.NotEmpty(t, out.Viewer.User.Name)
	for _, it := range out.Viewer.WorkItems.Nodes {
		for _, task := range it.Instance.Tasks.Nodes {
			assert.NotEmpty(t, task.Assignee.Name)
		}
	}
}

// TestListWorkersMatchGqlgen: the batcher announces as many list elements as gqlgen marshals at
// once; more would be waited for and never start.
func TestListWorkersMatchGqlgen(t *testing.T) {
	b, err := os.ReadFile("../gqlgen.yml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*worker_limit:\s*(\d+)`).FindSubmatch(b)
	require.NotNil(t, m, "gqlgen.yml sets exec.worker_limit")
	n, _ := strconv.Atoi(string(m[1]))
	assert.Equal(t, userbatch.ListWorkers, n)
}

// TestUserBatchCountsFieldsAfterAnInstance: a work item's fields after `instance` that ask for
// users are part of the one batch too, whichever of them comes first (a review found a second,
// later batch when `instance` ran inline, its followers released behind it).
func TestUserBatchCountsFieldsAfterAnInstance(t *testing.T) {
	for _, q := range []string{
		`{ viewer { workItems(box: TODO, first: 20) { nodes { instance { startUser { name } currentNode { name } }
			name startUser { name } currentApprovers { name } } } } }`,
		`{ viewer { workItems(box: DONE, first: 20) { nodes { name instance { startUser { name }
			tasks { nodes { assignee { name } } } } startUser { name } } } } }`,
	} {
		h := newHarness(t, func(c *gateway.Config) { c.ReferenceTTL = 0 })
		h.calls.reset()
		var out map[string]any
		h.ok(h.me, q, nil, &out)
		users := 0
		for _, c := range h.calls.calls() {
			if strings.HasPrefix(c, "sys_user") {
				users++
			}
		}
		assert.Equal(t, 1, users, "one user batch for %s", q)
	}
}
