package sandbox_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// The scenario tests drive the sandbox through the production client over HTTP.

// env is a sandbox behind an httptest server and the production client pointed at it.
type env struct {
	sb  *sandbox.Server
	c   *upstream.Client
	url string
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	tokens := upstream.NewClientCredentials(srv.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, srv.Client())
	c, err := upstream.New(upstream.Config{BaseURL: srv.URL, Tokens: tokens, RetryBaseDelay: time.Millisecond})
	require.NoError(t, err)
	return &env{sb: sb, c: c, url: srv.URL, ctx: context.Background()}
}

func (e *env) user(name string) upstream.UserInfo {
	id := e.sb.UserID(name)
	if id == "" {
		panic("no user " + name)
	}
	return upstream.UserInfo{UserID: upstream.ID(id), Type: upstream.SourceInternal}
}

func (e *env) flow(t *testing.T, key string) upstream.DeployedFlow {
	t.Helper()
	flows, err := e.c.ListDeployedFlows(upstream.WithEnvType(e.ctx, upstream.EnvPre), upstream.FlowTypeApproval)
	require.NoError(t, err)
	for _, f := range flows.FlowSet {
		if f.ProcessKey == key {
			return f
		}
	}
	t.Fatalf("no flow %s", key)
	return upstream.DeployedFlow{}
}

func (e *env) start(t *testing.T, key, starter string) upstream.ID {
	t.Helper()
	f := e.flow(t, key)
	res, err := e.c.StartFlow(e.ctx, &upstream.StartFlowRequest{FlowCode: f.FlowCode, FlowVersion: string(f.Version),
		ProcessKey: key, StartUser: e.user(starter), StartParams: map[string]any{"leave": map[string]any{"days": 2}}})
	require.NoError(t, err)
	require.NotEmpty(t, res.TaskID, "the starter's submit task")
	return res.FlowInstanceID
}

func (e *env) tasks(t *testing.T, inst upstream.ID, status int) []upstream.InstanceTask {
	t.Helper()
	res, err := e.c.GetFlowInstanceTasks(e.ctx, &upstream.InstanceTasksRequest{InstanceID: inst, TaskStatus: status, PageSize: 100})
	require.NoError(t, err)
	return res.Result
}

// todo returns the one open task of the instance for user.
func (e *env) todo(t *testing.T, inst upstream.ID, name string) upstream.InstanceTask {
	t.Helper()
	for _, task := range e.tasks(t, inst, upstream.TaskTodo) {
		if task.TaskAssignee.UserID == e.user(name).UserID {
			return task
		}
	}
	t.Fatalf("%s has no open task on %s", name, inst)
	return upstream.InstanceTask{}
}

func (e *env) act(t *testing.T, inst upstream.ID, name string, action int, mutate ...func(*upstream.CompleteTaskRequest)) *upstream.CompleteTaskResult {
	t.Helper()
	req := &upstream.CompleteTaskRequest{TaskID: e.todo(t, inst, name).TaskID, ButtonAction: action, Approver: e.user(name), Comment: "ok"}
	for _, m := range mutate {
		m(req)
	}
	res, err := e.c.CompleteTask(e.ctx, req)
	require.NoError(t, err)
	return res
}

func (e *env) instanceStatus(t *testing.T, inst upstream.ID) int64 {
	t.Helper()
	for page := 1; ; page++ {
		res, err := e.c.GetFlowInstances(e.ctx, &upstream.FlowInstancesRequest{PageNumber: page, PageSize: 100})
		require.NoError(t, err)
		for _, r := range res.Result {
			if r.InstanceID == inst {
				return r.Status.Value
			}
		}
		require.NotEmpty(t, res.Result, "instance %s not listed", inst)
	}
}

func (e *env) actions(t *testing.T, inst upstream.ID) []int64 {
	t.Helper()
	res, err := e.c.GetFlowInstanceOperations(e.ctx, &upstream.InstanceOperationsRequest{InstanceID: inst, PageSize: 100})
	require.NoError(t, err)
	var out []int64
	for _, op := range res.Result {
		require.True(t, op.Parsed.Action.Valid, "content %q", op.Content)
		out = append(out, op.Parsed.Action.Value)
	}
	return out
}

// rollBack has user roll their open task on inst back to target, one that GetPreElementList listed.
func (e *env) rollBack(t *testing.T, inst upstream.ID, name string, target upstream.RollbackTarget) {
	t.Helper()
	require.NoError(t, e.c.RollBack(e.ctx, &upstream.RollBackRequest{UserInfo: e.user(name),
		TaskID: e.todo(t, inst, name).TaskID, TargetNodeID: string(target.ElementID), TargetActTaskID: target.ActTaskID}))
}

func requireCode(t *testing.T, err error, kind upstream.Kind, code string) {
	t.Helper()
	var ue *upstream.Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, kind, ue.Kind, ue.Error())
	assert.Contains(t, ue.Code, code)
	assert.NotEmpty(t, ue.RequestID)
}

func messageCount(t *testing.T, e *env, name string) int64 {
	t.Helper()
	counts, err := e.c.DescribeWorkflowMessageCount(e.ctx, e.user(name), upstream.MessageTodo)
	require.NoError(t, err)
	require.Len(t, counts, 1)
	return int64(counts[0].WaitingCount + counts[0].FinishCount)
}
