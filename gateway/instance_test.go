package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

func TestInstanceDetailScreen(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	inst := h.startLeave("lihua")
	task := h.todoTask(inst, "kongtest")
	require.NoError(t, h.up.AddCounterSignAssignee(ctx, &upstream.AddCounterSignRequest{TaskID: upstream.ID(task),
		Approver: h.user("kongtest"), AssigneeIDs: []upstream.ID{upstream.ID(h.userID("sunli"))}}))
	_, err := h.up.CompleteTask(ctx, &upstream.CompleteTaskRequest{TaskID: upstream.ID(task), ButtonAction: upstream.ActionApprove,
		Approver: h.user("kongtest"), Comment: "@lihua 已阅", CcUserIDs: []upstream.ID{upstream.ID(h.userID("wuxia"))}})
	require.NoError(t, err)

	var out struct {
		Instance struct {
			ID, Name, Status, FlowCode, FlowName string
			StartUser                            struct{ Name string }
			CurrentNode                          struct{ ID, Name string }
			Flow                                 struct {
				ProcessKey           string
				TakesStartParameters bool
			}
			Tasks struct {
				TotalCount int
				Nodes      []struct {
					ID, Status, Result string
					Node               struct{ ID, Name string }
					Assignee           struct{ Name string }
					StartUser          struct{ Name string }
					Instance           struct{ ID string }
					View               struct{ CanApprove bool }
					ApprovalPage       *struct {
						ShowAddSigners bool
						Objects        []struct {
							OutputKey string
							Fields    map[string]any
						}
						Outputs []struct{ VariableKey string }
					}
				}
			}
			Operations struct {
				Nodes []struct {
					Action, NodeName string
					Comment          *string
					Operator         struct{ Name string }
					CcUsers          []struct{ Name string }
					CounterSigners   []struct{ Name string }
					Mentions         []struct{ Name string }
					ContentValid     bool
					Content          string
				}
			}
			Canvas struct {
				Nodes []struct {
					ElementID, Kind, Status string
					Processors              []struct {
						Name, Status string
						OperatedAt   *string
					}
				}
				Edges []struct{ Source, Target, Status string }
			}
			RollbackTargets []struct {
				NodeID, TaskID      string
				IsStartNode, IsLast bool
			}
		}
	}
	h.ok(h.me, `query($id: ID!) { instance(id: $id) {
		id name status flowCode flowName startUser { name } currentNode { id name }
		flow { processKey takesStartParameters }
		tasks { totalCount nodes { id status result node { id name } assignee { name } startUser { name } instance { id }
			view { canApprove }
			approvalPage { showAddSigners objects { outputKey fields } outputs { variableKey } } } }
		operations { nodes { action nodeName comment operator { name } ccUsers { name } counterSigners { name } mentions { name } contentValid content } }
		canvas { nodes { elementId kind status processors { name status operatedAt } } edges { source target status } }
		rollbackTargets { nodeId taskId isStartNode isLast }
	} }`, map[string]any{"id": inst}, &out)
	i := out.Instance
	assert.Equal(t, inst, i.ID)
	assert.Equal(t, "lihua提交的请假申请", i.Name)
	assert.Equal(t, "IN_PROGRESS", i.Status)
	assert.Equal(t, "lihua", i.StartUser.Name)
	assert.Equal(t, "直属主管审批", i.CurrentNode.Name, "sunli still has to sign")
	assert.Equal(t, "leave_request", i.Flow.ProcessKey)
	assert.True(t, i.Flow.TakesStartParameters)

	require.Equal(t, 3, i.Tasks.TotalCount)
	submit, approved, signer := i.Tasks.Nodes[0], i.Tasks.Nodes[1], i.Tasks.Nodes[2]
	assert.Equal(t, "SUBMIT", submit.Result)
	assert.Equal(t, "APPROVE", approved.Result)
	assert.Equal(t, "kongtest", approved.Assignee.Name)
	assert.Equal(t, "lihua", approved.StartUser.Name)
	assert.Equal(t, inst, approved.Instance.ID)
	assert.Equal(t, "sunli", signer.Assignee.Name)
	assert.Equal(t, "TODO", signer.Status)
	assert.False(t, signer.View.CanApprove, "kongtest views sunli's task")
	require.NotNil(t, signer.ApprovalPage)
	assert.True(t, signer.ApprovalPage.ShowAddSigners)
	require.NotEmpty(t, signer.ApprovalPage.Objects)
	assert.Equal(t, map[string]any{"leave": map[string]any{"days": json.Number("3")}}, jsonNumbers(t, signer.ApprovalPage.Objects[0].Fields))

	ops := i.Operations.Nodes
	require.Len(t, ops, 4)
	assert.Equal(t, []string{"SUBMIT", "ADD_SIGN", "APPROVE", "CARBON_COPY"},
		[]string{ops[0].Action, ops[1].Action, ops[2].Action, ops[3].Action})
	assert.Equal(t, []struct{ Name string }{{"sunli"}}, ops[1].CounterSigners)
	assert.Equal(t, "@lihua 已阅", *ops[2].Comment)
	assert.Equal(t, "kongtest", ops[2].Operator.Name)
	assert.Equal(t, []struct{ Name string }{{"wuxia"}}, ops[3].CcUsers)
	for _, op := range ops {
		assert.True(t, op.ContentValid, op.Content)
	}

	require.Len(t, i.Canvas.Nodes, 5)
	assert.Equal(t, "START", i.Canvas.Nodes[0].Kind)
	assert.Equal(t, "DONE", i.Canvas.Nodes[0].Status)
	assert.Equal(t, "IN_PROGRESS", i.Canvas.Nodes[1].Status)
	assert.Equal(t, "NOT_STARTED", i.Canvas.Nodes[2].Status)
	assert.Len(t, i.Canvas.Nodes[1].Processors, 2)
	assert.Len(t, i.Canvas.Edges, 4)
	require.Len(t, i.RollbackTargets, 1)
	assert.True(t, i.RollbackTargets[0].IsStartNode)
	assert.True(t, i.RollbackTargets[0].IsLast)
}

// jsonNumbers re-decodes v keeping numbers as json.Number, to compare form data exactly.
func jsonNumbers(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out any
	require.NoError(t, dec.Decode(&out))
	return out
}

func TestHandleNodeMentions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	flows, err := h.up.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
	require.NoError(t, err)
	var expense upstream.DeployedFlow
	for _, f := range flows.FlowSet {
		if f.ProcessKey == "expense_claim" {
			expense = f
		}
	}
	res, err := h.up.StartFlow(ctx, &upstream.StartFlowRequest{FlowCode: expense.FlowCode, FlowVersion: string(expense.Version),
		ProcessKey: expense.ProcessKey, StartUser: h.user("lihua")})
	require.NoError(t, err)
	inst := string(res.FlowInstanceID)
	_, err = h.up.CompleteTask(ctx, &upstream.CompleteTaskRequest{TaskID: upstream.ID(h.todoTask(inst, "liuyang")),
		ButtonAction: upstream.ActionApprove, Approver: h.user("liuyang"), Comment: "@kongtest 请复核"})
	require.NoError(t, err)
	var out struct {
		Instance struct {
			Operations struct {
				Nodes []struct {
					Action       string
					Mentions     []struct{ Name string }
					ContentValid bool
				}
			}
		}
	}
	h.ok(asAdmin, `query($id: ID!) { instance(id: $id) { operations { nodes { action mentions { name } contentValid } } } }`,
		map[string]any{"id": inst}, &out)
	handle := out.Instance.Operations.Nodes[1]
	assert.Equal(t, "HANDLE", handle.Action)
	assert.Equal(t, []struct{ Name string }{{"kongtest"}}, handle.Mentions, "read from WeDa's invalid JSON")
	assert.True(t, handle.ContentValid, "after mending")
}
