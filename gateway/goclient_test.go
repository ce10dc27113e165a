package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/Khan/genqlient/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/examples/goclient"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// asViewer sends every request as the given sandbox user, as the README's header mode does.
type asViewer struct {
	user string
	base http.RoundTripper
}

func (a asViewer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Weda-User-Id", a.user)
	return a.base.RoundTrip(r)
}

// The genqlient client generated from schema.graphqls and the README's operations works against
// the gateway: the inbox, an instance's detail, an approval, with typed answers.
func TestGeneratedGoClient(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := graphql.NewClient(h.srv.URL+"/graphql", &http.Client{Transport: asViewer{h.me, h.srv.Client().Transport}})

	detail := h.startLeave(sandbox.DemoUser)
	approve := h.todoTask(h.startLeave("lihua"), sandbox.DemoUser)

	inbox, err := goclient.Inbox(ctx, c)
	require.NoError(t, err)
	assert.Positive(t, inbox.Viewer.WorkItemCounts.Todo)
	var found bool
	for _, n := range inbox.Viewer.WorkItems.Nodes {
		found = found || n.TaskId == approve
		assert.NotEmpty(t, n.Name)
		assert.False(t, n.StartTime.IsZero(), "DateTime bound to time.Time")
	}
	assert.True(t, found, "the task to approve is in the inbox")

	d, err := goclient.Detail(ctx, c, detail)
	require.NoError(t, err)
	assert.NotEmpty(t, d.Instance.Name)

	a, err := goclient.Approve(ctx, c, approve)
	require.NoError(t, err)
	assert.Equal(t, goclient.TaskStatusDone, a.CompleteTask.Task.Status)
	assert.Equal(t, goclient.OperationActionApprove, a.CompleteTask.Task.Result)
}
