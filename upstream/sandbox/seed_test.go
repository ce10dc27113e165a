package sandbox_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// TestSeedReadEndpoints tries each read endpoint against the seed, on one sandbox.
func TestSeedReadEndpoints(t *testing.T) {
	e := newEnv(t)
	t.Run("users", func(t *testing.T) { seedUsers(t, e) })
	t.Run("flows", func(t *testing.T) { seedFlows(t, e) })
	t.Run("instances filter, sort, page", func(t *testing.T) { seedInstances(t, e) })
	t.Run("workbench boxes and counts agree", func(t *testing.T) { seedBoxes(t, e) })
	t.Run("detail, page and canvas of a work item", func(t *testing.T) { seedWorkItemDetail(t, e) })
	t.Run("cc detail needs the cc id", func(t *testing.T) { seedCCDetail(t, e) })
	t.Run("tasks and operations filters", func(t *testing.T) { seedTaskFilters(t, e) })
	t.Run("messages search and paging", func(t *testing.T) { seedMessages(t, e) })
}

func seedUsers(t *testing.T, e *env) {
	ctx, me := e.ctx, e.user(sandbox.DemoUser)
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
}

func seedFlows(t *testing.T, e *env) {
	ctx := e.ctx
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
}

func seedInstances(t *testing.T, e *env) {
	ctx := e.ctx
	all, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{PageSize: 1000})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, int(all.TotalCount), 30)
	statuses := map[int64]int{}
	for _, r := range all.Result {
		statuses[r.Status.Value]++
	}
	for _, s := range []int64{upstream.InstanceStopped, upstream.InstanceRejected, upstream.InstanceApproved, upstream.InstanceInProgress} {
		assert.Positive(t, statuses[s], "status %d seeded", s)
	}
	def, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{})
	require.NoError(t, err)
	assert.Len(t, def.Result, 10, "default page size")
	assert.True(t, def.Result[0].StartTime.After(def.Result[9].StartTime.Time), "start_time desc by default")

	asc, err := e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Sort: "flow_name", Order: "asc", Status: upstream.InstanceApproved, PageNumber: 2, PageSize: 5})
	require.NoError(t, err)
	assert.Equal(t, int64(statuses[upstream.InstanceApproved]), int64(asc.TotalCount))
	for i, r := range asc.Result {
		assert.EqualValues(t, upstream.InstanceApproved, r.Status.Value)
		if i > 0 {
			assert.LessOrEqual(t, asc.Result[i-1].FlowName, r.FlowName)
		}
	}
	_, err = e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Sort: "colour"})
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	_, err = e.c.GetFlowInstances(ctx, &upstream.FlowInstancesRequest{Status: 9})
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
}

func seedBoxes(t *testing.T, e *env) {
	ctx, me := e.ctx, e.user(sandbox.DemoUser)
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
}

func seedWorkItemDetail(t *testing.T, e *env) {
	ctx, me := e.ctx, e.user(sandbox.DemoUser)
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
}

func seedCCDetail(t *testing.T, e *env) {
	ctx, me := e.ctx, e.user(sandbox.DemoUser)
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
}

func seedTaskFilters(t *testing.T, e *env) {
	ctx := e.ctx
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
}

func seedMessages(t *testing.T, e *env) {
	ctx, me := e.ctx, e.user(sandbox.DemoUser)
	_, err := e.c.DescribeWorkflowMessages(ctx, &upstream.MessagesRequest{UserInfo: me, PageNo: 1, PageSize: 201})
	requireCode(t, err, upstream.KindInvalidInput, "InvalidParameterValue")
	found, err := e.c.DescribeWorkflowMessages(ctx, &upstream.MessagesRequest{UserInfo: me, PageNo: 1, PageSize: 5, SearchTitleName: "抄送"})
	require.NoError(t, err)
	require.NotEmpty(t, found.ResponseList)
	for _, m := range found.ResponseList {
		assert.Contains(t, string(m.MainTitle), "抄送")
		assert.EqualValues(t, upstream.MessageInSite, m.MessageType.Value)
	}
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
