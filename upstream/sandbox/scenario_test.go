package sandbox_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

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

func requireCode(t *testing.T, err error, kind upstream.Kind, code string) {
	t.Helper()
	var ue *upstream.Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, kind, ue.Kind, ue.Error())
	assert.Contains(t, ue.Code, code)
	assert.NotEmpty(t, ue.RequestID)
}

// --- lifecycles ---

func TestLifecycleApproveToTheEnd(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	assert.EqualValues(t, upstream.InstanceInProgress, e.instanceStatus(t, inst))
	e.act(t, inst, "kongtest", upstream.ActionApprove)
	e.act(t, inst, "wangfang", upstream.ActionApprove) // 或签: the first of two approvers decides
	assert.EqualValues(t, upstream.InstanceApproved, e.instanceStatus(t, inst))
	assert.Equal(t, []int64{upstream.OpSubmit, upstream.OpApprove, upstream.OpApprove, upstream.OpCarbonCopy}, e.actions(t, inst))
	assert.Empty(t, e.tasks(t, inst, upstream.TaskTodo))
	assert.Len(t, e.tasks(t, inst, upstream.TaskInvalid), 1, "zhangwei's parallel task is void")

	// The CC node copied HR, who see it in their CC box.
	items, err := e.c.ListProcessInstances(e.ctx, &upstream.WorkItemsRequest{UserInfo: e.user("chenjing"), PageType: upstream.PageCC, PageSize: 100})
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(items.Records, func(r upstream.ProcessInstance) bool { return r.InstanceID == inst }))

	canvas, err := e.c.GetProcessCanvasInfo(e.ctx, inst, e.flow(t, "leave_request").FlowCode)
	require.NoError(t, err)
	for _, n := range canvas.Nodes {
		assert.EqualValues(t, 1, n.Status.Value, "every node done: %s", n.Name)
	}

	// A finished task cannot be completed again.
	done := e.tasks(t, inst, upstream.TaskDone)[1]
	_, err = e.c.CompleteTask(e.ctx, &upstream.CompleteTaskRequest{TaskID: done.TaskID, ButtonAction: 2, Approver: e.user("kongtest")})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
}

func TestLifecycleReject(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	e.act(t, inst, "kongtest", upstream.ActionReject)
	assert.EqualValues(t, upstream.InstanceRejected, e.instanceStatus(t, inst))
	assert.Equal(t, []int64{upstream.OpSubmit, upstream.OpReject}, e.actions(t, inst))
}

func TestLifecycleTransfer(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	e.act(t, inst, "kongtest", upstream.ActionTransfer, func(r *upstream.CompleteTaskRequest) {
		to := e.user("sunli")
		r.TurnToUser = &to
	})
	e.act(t, inst, "sunli", upstream.ActionApprove) // the task is now sunli's
	assert.Len(t, e.tasks(t, inst, upstream.TaskTodo), 2, "the next node's two approvers")

	// Transfer without a target is refused.
	_, err := e.c.CompleteTask(e.ctx, &upstream.CompleteTaskRequest{TaskID: e.todo(t, inst, "wangfang").TaskID,
		ButtonAction: upstream.ActionTransfer, Approver: e.user("wangfang")})
	requireCode(t, err, upstream.KindInvalidInput, "MissingParameter")
}

func TestLifecycleAddSign(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	task := e.todo(t, inst, "kongtest")
	require.NoError(t, e.c.AddCounterSignAssignee(e.ctx, &upstream.AddCounterSignRequest{TaskID: task.TaskID,
		Approver: e.user("kongtest"), AssigneeIDs: []upstream.ID{e.user("sunli").UserID}}))
	e.act(t, inst, "kongtest", upstream.ActionApprove)
	assert.Len(t, e.tasks(t, inst, upstream.TaskTodo), 1, "the node waits for the added signer")
	e.act(t, inst, "sunli", upstream.ActionApprove)
	assert.Len(t, e.tasks(t, inst, upstream.TaskTodo), 2, "both signed: the next node opens")

	ops, err := e.c.GetFlowInstanceOperations(e.ctx, &upstream.InstanceOperationsRequest{InstanceID: inst, PageSize: 50})
	require.NoError(t, err)
	assert.Equal(t, []upstream.Person{{ID: e.user("sunli").UserID, Name: "sunli"}}, ops.Result[1].Parsed.CounterSigners)

	// Adding someone who already signs here is refused.
	err = e.c.AddCounterSignAssignee(e.ctx, &upstream.AddCounterSignRequest{TaskID: e.todo(t, inst, "wangfang").TaskID,
		Approver: e.user("wangfang"), AssigneeIDs: []upstream.ID{e.user("sunli").UserID}})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation") // this node has no add-sign
}

func TestLifecycleRollback(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	e.act(t, inst, "kongtest", upstream.ActionApprove)
	targets, err := e.c.GetPreElementList(e.ctx, inst)
	require.NoError(t, err)
	require.Len(t, targets, 2)
	assert.Equal(t, upstream.Text("approvalNode1661763351191"), targets[0].ElementID)
	assert.True(t, bool(targets[0].LastNode))
	assert.EqualValues(t, 1, targets[1].ApproveType.Value, "the approval start node")

	require.NoError(t, e.c.RollBack(e.ctx, &upstream.RollBackRequest{UserInfo: e.user("wangfang"),
		TaskID: e.todo(t, inst, "wangfang").TaskID, TargetNodeID: string(targets[0].ElementID), TargetActTaskID: targets[0].ActTaskID}))
	todo := e.tasks(t, inst, upstream.TaskTodo)
	require.Len(t, todo, 1)
	assert.Equal(t, e.user("kongtest").UserID, todo[0].TaskAssignee.UserID, "back with the supervisor")
	assert.Equal(t, []int64{upstream.OpSubmit, upstream.OpApprove, upstream.OpRollback}, e.actions(t, inst))

	// Rolling back to a node that is not in the list is refused.
	err = e.c.RollBack(e.ctx, &upstream.RollBackRequest{UserInfo: e.user("kongtest"), TaskID: todo[0].TaskID,
		TargetNodeID: "endNode", TargetActTaskID: "1"})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
}

func TestLifecycleRevokeByApprover(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	approved := e.todo(t, inst, "kongtest")
	e.act(t, inst, "kongtest", upstream.ActionApprove)
	require.NoError(t, e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: approved.TaskID, Revoker: e.user("kongtest"),
		RevokerType: upstream.RevokeByApprover}))
	todo := e.tasks(t, inst, upstream.TaskTodo)
	require.Len(t, todo, 1)
	assert.Equal(t, e.user("kongtest").UserID, todo[0].TaskAssignee.UserID)
	ops, err := e.c.GetFlowInstanceOperations(e.ctx, &upstream.InstanceOperationsRequest{InstanceID: inst})
	require.NoError(t, err)
	assert.Equal(t, "审批人撤销", ops.Result[len(ops.Result)-1].Parsed.RevokeText)

	// Someone else cannot revoke it.
	err = e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: approved.TaskID, Revoker: e.user("sunli"), RevokerType: upstream.RevokeByApprover})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
}

func TestLifecycleRevokeByStarter(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	submit := e.tasks(t, inst, upstream.TaskDone)[0]
	err := e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: submit.TaskID, Revoker: e.user("sunli"), RevokerType: upstream.RevokeByStarter})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
	require.NoError(t, e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: submit.TaskID, Revoker: e.user("lihua"), RevokerType: upstream.RevokeByStarter}))
	assert.EqualValues(t, upstream.InstanceStopped, e.instanceStatus(t, inst))
	assert.Empty(t, e.tasks(t, inst, upstream.TaskTodo))
}

func TestLifecycleStop(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "purchase_order", "lihua")
	err := e.c.StopFlow(e.ctx, &upstream.StopFlowRequest{InstanceID: inst, Operator: e.user("sunli")})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
	require.NoError(t, e.c.StopFlow(e.ctx, &upstream.StopFlowRequest{InstanceID: inst, Operator: e.user("lihua"), DeleteReason: "no longer needed"}))
	assert.EqualValues(t, upstream.InstanceStopped, e.instanceStatus(t, inst))
	err = e.c.StopFlow(e.ctx, &upstream.StopFlowRequest{InstanceID: inst, Operator: e.user("lihua")})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
}

func TestLifecyclePressLimit(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	before := messageCount(t, e, "kongtest")
	for range 3 {
		require.NoError(t, e.c.PressTask(e.ctx, inst))
	}
	assert.Equal(t, before+3, messageCount(t, e, "kongtest"), "each press reminds the approver")
	err := e.c.PressTask(e.ctx, inst)
	requireCode(t, err, upstream.KindFailedOperation, "LimitExceeded")
	assert.Equal(t, before+3, messageCount(t, e, "kongtest"))
}

func messageCount(t *testing.T, e *env, name string) int64 {
	t.Helper()
	counts, err := e.c.DescribeWorkflowMessageCount(e.ctx, e.user(name), upstream.MessageTodo)
	require.NoError(t, err)
	require.Len(t, counts, 1)
	return int64(counts[0].WaitingCount + counts[0].FinishCount)
}

func TestLifecycleChooseNextApproverThenSubmit(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "expense_claim", "lihua")
	res := e.act(t, inst, "liuyang", upstream.ActionApprove)
	require.True(t, bool(res.ToBeSubmittedFlowTaskFlag))
	require.Len(t, res.ToBeSubmittedFlowTaskInfo, 3)
	assert.Equal(t, upstream.Text("zhaolei"), res.ToBeSubmittedFlowTaskInfo[0].AssigneeName)
	assert.Empty(t, e.tasks(t, inst, upstream.TaskTodo), "nobody is asked before the choice")

	chosen := res.ToBeSubmittedFlowTaskInfo[1]
	require.NoError(t, e.c.SubmitFlowTaskList(e.ctx, []upstream.ID{chosen.WaitFlowTaskID}))
	todo := e.tasks(t, inst, upstream.TaskTodo)
	require.Len(t, todo, 1)
	assert.Equal(t, chosen.Assignee, todo[0].TaskAssignee.UserID)

	// Submitting again is refused; an empty list is a missing parameter.
	requireCode(t, e.c.SubmitFlowTaskList(e.ctx, []upstream.ID{chosen.WaitFlowTaskID}), upstream.KindFailedOperation, "FailedOperation")
	requireCode(t, e.c.SubmitFlowTaskList(e.ctx, nil), upstream.KindInvalidInput, "MissingParameter")

	e.act(t, inst, "huangmin", upstream.ActionApprove)
	assert.EqualValues(t, upstream.InstanceApproved, e.instanceStatus(t, inst))
}

func TestLifecycleMessagesReadUnread(t *testing.T) {
	e := newEnv(t)
	me := e.user("kongtest")
	unread := upstream.MessageUnread
	list, err := e.c.DescribeWorkflowMessages(e.ctx, &upstream.MessagesRequest{UserInfo: me, PageNo: 1, PageSize: 200, Status: unread})
	require.NoError(t, err)
	require.NotEmpty(t, list.ResponseList)
	first := list.ResponseList[0]
	typ := int(first.MessageType.Value)
	count := func() upstream.MessageCount {
		c, err := e.c.DescribeWorkflowMessageCount(e.ctx, me, typ)
		require.NoError(t, err)
		return c[0]
	}
	before := count()
	require.NoError(t, e.c.UpdateWorkflowMessageStatus(e.ctx, me, []upstream.ID{first.MessageID}, upstream.MessageRead))
	after := count()
	assert.Equal(t, before.WaitingCount-1, after.WaitingCount)
	assert.Equal(t, before.FinishCount+1, after.FinishCount)
	require.NoError(t, e.c.UpdateWorkflowMessageStatus(e.ctx, me, []upstream.ID{first.MessageID}, upstream.MessageUnread))
	assert.Equal(t, before, count())

	// Someone else's message is not found for me.
	other, err := e.c.DescribeWorkflowMessages(e.ctx, &upstream.MessagesRequest{UserInfo: e.user("liuyang"), PageNo: 1, PageSize: 1})
	require.NoError(t, err)
	require.NotEmpty(t, other.ResponseList)
	err = e.c.UpdateWorkflowMessageStatus(e.ctx, me, []upstream.ID{other.ResponseList[0].MessageID}, upstream.MessageRead)
	requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
	err = e.c.UpdateWorkflowMessageStatus(e.ctx, me, []upstream.ID{first.MessageID}, "READ_MAYBE")
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
}

// --- one per read endpoint, against the seed ---

func TestSeedReadEndpoints(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	me := e.user(sandbox.DemoUser)

	t.Run("users", func(t *testing.T) {
		all, err := e.c.ListUsers(ctx, upstream.UserQuery{Count: true, OrderBy: "name asc", Top: 100})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(all.Value), 12)
		assert.EqualValues(t, len(all.Value), all.Count.Value)
		assert.Equal(t, upstream.Text("administrator"), all.Value[0].Name)
		sources := map[int64]bool{}
		for _, u := range all.Value {
			sources[u.Type.Value] = true
		}
		assert.Equal(t, map[int64]bool{3: true, 4: true}, sources, "WeCom and internal users")

		e.sb.ResetCounts()
		batch, err := e.c.GetUsersByIDs(ctx, []upstream.ID{me.UserID, e.user("lihua").UserID, "1", me.UserID})
		require.NoError(t, err)
		assert.Len(t, batch, 2)
		assert.EqualValues(t, 1, e.sb.Calls("sys_user"), "one OData call for the batch")

		one, err := e.c.GetUser(ctx, me.UserID)
		require.NoError(t, err)
		assert.Equal(t, upstream.Text(sandbox.DemoUser), one.Name)
		_, err = e.c.GetUser(ctx, "404")
		require.ErrorIs(t, err, upstream.ErrNotFound)

		page, err := e.c.ListUsers(ctx, upstream.UserQuery{Filter: "(type eq 3 or contains(name,'li')) and name ne 'lihua'", Skip: 1, Top: 2, Count: true})
		require.NoError(t, err)
		assert.Len(t, page.Value, 2)
		assert.Greater(t, page.Count.Value, int64(2))
		_, err = e.c.ListUsers(ctx, upstream.UserQuery{Filter: "name eq"})
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameter")
	})
	t.Run("flows", func(t *testing.T) {
		prod, err := e.c.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
		require.NoError(t, err)
		pre, err := e.c.ListDeployedFlows(upstream.WithEnvType(ctx, upstream.EnvPre), upstream.FlowTypeApproval)
		require.NoError(t, err)
		assert.Len(t, prod.FlowSet, 3, "published approval flows")
		assert.Len(t, pre.FlowSet, 4, "pre also shows the unpublished one")
		logic, err := e.c.ListDeployedFlows(ctx, upstream.FlowTypeLogic)
		require.NoError(t, err)
		assert.Len(t, logic.FlowSet, 1)
		_, err = e.c.ListDeployedFlows(ctx, 7)
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	})
	t.Run("instances filter, sort, page", func(t *testing.T) {
		all, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{PageSize: 1000})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, int(all.TotalCount), 30)
		statuses := map[int64]int{}
		for _, r := range all.Result {
			statuses[r.Status.Value]++
		}
		for _, s := range []int64{1, 2, 3, 4} {
			assert.Positive(t, statuses[s], "status %d seeded", s)
		}
		def, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{})
		require.NoError(t, err)
		assert.Len(t, def.Result, 10, "default page size")
		assert.True(t, def.Result[0].StartTime.After(def.Result[9].StartTime.Time), "start_time desc by default")

		asc, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Sort: "flow_name", Order: "asc", Status: 3, PageNumber: 2, PageSize: 5})
		require.NoError(t, err)
		assert.Equal(t, int64(statuses[3]), int64(asc.TotalCount))
		for i, r := range asc.Result {
			assert.EqualValues(t, 3, r.Status.Value)
			if i > 0 {
				assert.LessOrEqual(t, asc.Result[i-1].FlowName, r.FlowName)
			}
		}
		_, err = e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Sort: "colour"})
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
		_, err = e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Status: 9})
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	})
	t.Run("workbench boxes and counts agree", func(t *testing.T) {
		counts, err := e.c.ListProcessInstancesCount(ctx, me, upstream.PageTodo)
		require.NoError(t, err)
		require.Len(t, counts, 5)
		for _, c := range counts {
			box, err := e.c.ListProcessInstances(ctx, &upstream.WorkItemsRequest{UserInfo: me, PageType: string(c.PageType), PageSize: 500})
			require.NoError(t, err)
			assert.Equal(t, c.Total, box.TotalCount, string(c.PageType))
			assert.Len(t, box.Records, int(c.Total))
		}
		todo, err := e.c.ListProcessInstances(ctx, &upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageTodo, PageSize: 20})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, int(todo.TotalCount), 20, "the demo inbox is full")
		assert.True(t, bool(todo.Records[0].CanApprove))
		assert.NotEmpty(t, todo.Records[0].Buttons)
		_, err = e.c.ListProcessInstances(ctx, &upstream.WorkItemsRequest{UserInfo: me, PageType: "LATER"})
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	})
	t.Run("detail, page and canvas of a work item", func(t *testing.T) {
		todo, err := e.c.ListProcessInstances(ctx, &upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageTodo, PageSize: 1})
		require.NoError(t, err)
		item := todo.Records[0]
		d, err := e.c.DescribeProcessInstance(ctx, &upstream.DescribeInstanceRequest{FlowTaskID: item.TaskID, PageType: upstream.PageTodo})
		require.NoError(t, err)
		assert.Equal(t, item.InstanceID, d.InstanceID)
		assert.NotEmpty(t, d.StartUserID)
		assert.True(t, bool(d.CanApprove))
		done := false
		page, err := e.c.GetApprovalPageDetail(ctx, &upstream.ApprovalPageRequest{InstanceID: d.InstanceID, FlowCode: d.FlowCode,
			NodeID: string(d.CurrentNodeID), IsCompleted: &done, PageType: upstream.PageTodo, TaskID: item.TaskID})
		require.NoError(t, err)
		assert.True(t, bool(page.ShowTurnToPerson))
		assert.True(t, bool(page.ShowAddAssignee))
		require.NotEmpty(t, page.VariableInfos.ObjectMap, "the start parameters")
		canvas, err := e.c.GetProcessCanvasInfo(ctx, d.InstanceID, d.FlowCode)
		require.NoError(t, err)
		assert.Len(t, canvas.Edges, len(canvas.Nodes)-1)
		inProgress := 0
		for _, n := range canvas.Nodes {
			if n.Status.Value == 3 {
				inProgress++
				assert.Equal(t, d.CurrentNodeID, n.ElementID)
			}
		}
		assert.Equal(t, 1, inProgress)

		_, err = e.c.GetProcessCanvasInfo(ctx, d.InstanceID, "1")
		requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
		_, err = e.c.DescribeProcessInstance(ctx, &upstream.DescribeInstanceRequest{FlowTaskID: "1", PageType: upstream.PageTodo})
		requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
		_, err = e.c.DescribeProcessInstance(ctx, &upstream.DescribeInstanceRequest{FlowTaskID: item.TaskID, PageType: upstream.PageCC})
		requireCode(t, err, upstream.KindInvalidInput, "MissingParameter")
	})
	t.Run("cc detail needs the cc id", func(t *testing.T) {
		cc, err := e.c.ListProcessInstances(ctx, &upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageCC, PageSize: 1})
		require.NoError(t, err)
		require.NotEmpty(t, cc.Records)
		item := cc.Records[0]
		assert.NotEmpty(t, item.CcID)
		assert.False(t, item.CcTime.IsZero())
		d, err := e.c.DescribeProcessInstance(ctx, &upstream.DescribeInstanceRequest{FlowTaskID: item.TaskID, PageType: upstream.PageCC, UserInfo: &me})
		require.NoError(t, err)
		assert.Equal(t, item.CcID, d.CcID)
		_, err = e.c.GetApprovalPageDetail(ctx, &upstream.ApprovalPageRequest{InstanceID: d.InstanceID, FlowCode: d.FlowCode,
			NodeID: string(d.CurrentNodeID), PageType: upstream.PageCC, TaskID: item.TaskID})
		requireCode(t, err, upstream.KindInvalidInput, "MissingParameter")
		_, err = e.c.GetApprovalPageDetail(ctx, &upstream.ApprovalPageRequest{InstanceID: d.InstanceID, FlowCode: d.FlowCode,
			NodeID: string(d.CurrentNodeID), PageType: upstream.PageCC, TaskID: item.TaskID, CcID: d.CcID})
		require.NoError(t, err)
	})
	t.Run("tasks and operations filters", func(t *testing.T) {
		inst := e.start(t, "purchase_order", "zhangwei")
		wuxia := e.user("wuxia")
		mine, err := e.c.GetFlowInstanceTasks(ctx, &upstream.InstanceTasksRequest{InstanceID: inst, TaskAssignee: &wuxia})
		require.NoError(t, err)
		require.Len(t, mine.Result, 1)
		assert.EqualValues(t, 1, mine.TotalCount)
		assert.Equal(t, upstream.Text("approvalNode1660217576658"), mine.Result[0].ElementID)
		byNode, err := e.c.GetFlowInstanceTasks(ctx, &upstream.InstanceTasksRequest{InstanceID: inst, ElementIDs: []string{"startNode"}})
		require.NoError(t, err)
		assert.Len(t, byNode.Result, 1)
		ops, err := e.c.GetFlowInstanceOperations(ctx, &upstream.InstanceOperationsRequest{InstanceID: inst, OperatorUser: &wuxia})
		require.NoError(t, err)
		assert.Empty(t, ops.Result)
		_, err = e.c.GetFlowInstanceTasks(ctx, &upstream.InstanceTasksRequest{InstanceID: "42"})
		requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
		_, err = e.c.GetFlowInstanceOperations(ctx, &upstream.InstanceOperationsRequest{})
		requireCode(t, err, upstream.KindInvalidInput, "MissingParameter")
	})
	t.Run("messages search and paging", func(t *testing.T) {
		_, err := e.c.DescribeWorkflowMessages(ctx, &upstream.MessagesRequest{UserInfo: me, PageNo: 1, PageSize: 201})
		requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
		found, err := e.c.DescribeWorkflowMessages(ctx, &upstream.MessagesRequest{UserInfo: me, PageNo: 1, PageSize: 5, SearchTitleName: "抄送"})
		require.NoError(t, err)
		require.NotEmpty(t, found.ResponseList)
		for _, m := range found.ResponseList {
			assert.Contains(t, string(m.MainTitle), "抄送")
			assert.EqualValues(t, upstream.MessageInSite, m.MessageType.Value)
		}
	})
}

func TestStartFlowRefusals(t *testing.T) {
	e := newEnv(t)
	f := e.flow(t, "contract_review")
	req := &upstream.StartFlowRequest{FlowCode: f.FlowCode, FlowVersion: string(f.Version), ProcessKey: "contract_review", StartUser: e.user("lihua")}
	_, err := e.c.StartFlow(e.ctx, req)
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation") // unpublished, in prod
	_, err = e.c.StartFlow(upstream.WithEnvType(e.ctx, upstream.EnvPre), req)
	require.NoError(t, err, "pre runs unpublished flows")

	bad := *req
	bad.ProcessKey = "nope"
	_, err = e.c.StartFlow(e.ctx, &bad)
	requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
	bad = *req
	bad.FlowCode = "123"
	_, err = e.c.StartFlow(upstream.WithEnvType(e.ctx, upstream.EnvPre), &bad)
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	bad = *req
	bad.StartUser = upstream.UserInfo{UserID: "999", Type: 4}
	_, err = e.c.StartFlow(upstream.WithEnvType(e.ctx, upstream.EnvPre), &bad)
	requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
	bad = *req
	bad.StartUser.Type = 9
	_, err = e.c.StartFlow(upstream.WithEnvType(e.ctx, upstream.EnvPre), &bad)
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
}

func TestConcurrentUseKeepsStateConsistent(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	const starters = 8
	ids := make(chan upstream.ID, starters)
	for i := range starters {
		wg.Go(func() {
			f := e.flow(t, "leave_request")
			res, err := e.c.StartFlow(e.ctx, &upstream.StartFlowRequest{FlowCode: f.FlowCode, FlowVersion: string(f.Version),
				ProcessKey: "leave_request", StartUser: e.user([]string{"lihua", "sunli"}[i%2])})
			if assert.NoError(t, err) {
				ids <- res.FlowInstanceID
			}
		})
		wg.Go(func() {
			_, err := e.c.ListProcessInstances(e.ctx, &upstream.WorkItemsRequest{UserInfo: e.user("kongtest"), PageType: upstream.PageTodo})
			assert.NoError(t, err)
			_, err = e.c.GetUsersByIDs(e.ctx, []upstream.ID{e.user("kongtest").UserID})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	close(ids)
	seen := map[upstream.ID]bool{}
	for id := range ids {
		assert.False(t, seen[id], "ids are unique")
		seen[id] = true
		e.act(t, id, "kongtest", upstream.ActionApprove)
	}
	assert.Len(t, seen, starters)
}
