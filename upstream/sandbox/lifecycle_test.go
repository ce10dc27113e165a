package sandbox_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// One lifecycle per test, each on a fresh sandbox: every move of the approval engine.

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
	_, err = e.c.CompleteTask(e.ctx, &upstream.CompleteTaskRequest{TaskID: done.TaskID, ButtonAction: upstream.ActionApprove, Approver: e.user("kongtest")})
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

	e.rollBack(t, inst, "wangfang", targets[0])
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
