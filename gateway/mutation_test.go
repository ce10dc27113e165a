package gateway_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

const instanceFields = `id status currentNode { id name }
	tasks { nodes { id status result node { id name } assignee { id name } } }`

type instanceView struct {
	ID          string
	Status      string
	CurrentNode struct{ ID, Name string }
	Tasks       struct {
		Nodes []struct {
			ID, Status, Result string
			Node               struct{ ID, Name string }
			Assignee           struct{ ID, Name string }
		}
	}
}

// openTask is user's open task in the instance as the payload shows it.
func (v instanceView) openTask(t *testing.T, name string) string {
	t.Helper()
	for _, task := range v.Tasks.Nodes {
		if task.Status == "TODO" && task.Assignee.Name == name {
			return task.ID
		}
	}
	t.Fatalf("%s has no open task: %+v", name, v.Tasks.Nodes)
	return ""
}

func (h *harness) start(user, processKey string) instanceView {
	h.t.Helper()
	var out struct {
		StartFlow struct {
			Instance    instanceView
			StarterTask struct{ ID, Result string }
		}
	}
	h.ok(user, `mutation($key: String!) { startFlow(input: { processKey: $key, startParameters: { leave: { days: 2 } } }) {
		instance { `+instanceFields+` } starterTask { id result } } }`, map[string]any{"key": processKey}, &out)
	require.Equal(h.t, "SUBMIT", out.StartFlow.StarterTask.Result)
	return out.StartFlow.Instance
}

type completed struct {
	Instance              instanceView
	Task                  struct{ ID, Status, Result string }
	NextApproversRequired bool
	NextApproverChoices   []struct {
		PendingTaskID string
		AssigneeName  string
		Assignee      struct{ Name string }
	}
}

func (h *harness) complete(user, taskID, action string, extra map[string]any) completed {
	h.t.Helper()
	input := map[string]any{"taskId": taskID, "action": action, "comment": "ok"}
	for k, v := range extra {
		input[k] = v
	}
	var out struct{ CompleteTask completed }
	h.ok(user, `mutation($input: CompleteTaskInput!) { completeTask(input: $input) {
		instance { `+instanceFields+` } task { id status result } nextApproversRequired
		nextApproverChoices { pendingTaskId assigneeName assignee { name } } } }`, map[string]any{"input": input}, &out)
	return out.CompleteTask
}

func (h *harness) instanceWrite(user, mutation, inputType string, input map[string]any) instanceView {
	h.t.Helper()
	var out map[string]struct{ Instance instanceView }
	h.ok(user, `mutation($input: `+inputType+`!) { m: `+mutation+`(input: $input) { instance { `+instanceFields+` } } }`,
		map[string]any{"input": input}, &out)
	return out["m"].Instance
}

func TestMutationApproveToTheEnd(t *testing.T) {
	h := newHarness(t)
	lihua, kongtest, wangfang := h.userID("lihua"), h.me, h.userID("wangfang")
	inst := h.start(lihua, "leave_request")
	assert.Equal(t, "IN_PROGRESS", inst.Status)
	assert.Equal(t, "直属主管审批", inst.CurrentNode.Name)

	res := h.complete(kongtest, inst.openTask(t, "kongtest"), "APPROVE", nil)
	assert.Equal(t, "APPROVE", res.Task.Result)
	assert.Equal(t, "部门经理审批", res.Instance.CurrentNode.Name, "the payload is read after the write")
	assert.False(t, res.NextApproversRequired)

	res = h.complete(wangfang, res.Instance.openTask(t, "wangfang"), "APPROVE", nil)
	assert.Equal(t, "APPROVED", res.Instance.Status)
}

func TestMutationReject(t *testing.T) {
	h := newHarness(t)
	inst := h.start(h.userID("lihua"), "leave_request")
	res := h.complete(h.me, inst.openTask(t, "kongtest"), "REJECT", map[string]any{"comment": "not now"})
	assert.Equal(t, "REJECTED", res.Instance.Status)
}

func TestMutationTransfer(t *testing.T) {
	h := newHarness(t)
	inst := h.start(h.userID("lihua"), "leave_request")
	res := h.complete(h.me, inst.openTask(t, "kongtest"), "TRANSFER", map[string]any{"transferTo": h.userID("sunli")})
	assert.Equal(t, "TRANSFER", res.Task.Result)
	res = h.complete(h.userID("sunli"), res.Instance.openTask(t, "sunli"), "APPROVE", nil)
	assert.Equal(t, "部门经理审批", res.Instance.CurrentNode.Name)
}

func TestMutationAddSignersThenBothApprove(t *testing.T) {
	h := newHarness(t)
	inst := h.start(h.userID("lihua"), "leave_request")
	task := inst.openTask(t, "kongtest")
	inst = h.instanceWrite(h.me, "addCounterSigners", "AddCounterSignersInput",
		map[string]any{"taskId": task, "userIds": []string{h.userID("sunli")}})
	sunliTask := inst.openTask(t, "sunli")
	res := h.complete(h.me, task, "APPROVE", nil)
	assert.Equal(t, "直属主管审批", res.Instance.CurrentNode.Name, "waits for the added signer")
	res = h.complete(h.userID("sunli"), sunliTask, "APPROVE", nil)
	assert.Equal(t, "部门经理审批", res.Instance.CurrentNode.Name)
}

func TestMutationRollback(t *testing.T) {
	h := newHarness(t)
	inst := h.start(h.userID("lihua"), "leave_request")
	res := h.complete(h.me, inst.openTask(t, "kongtest"), "APPROVE", nil)
	wangfang := h.userID("wangfang")
	inst = h.instanceWrite(wangfang, "rollBackTask", "RollBackTaskInput",
		map[string]any{"taskId": res.Instance.openTask(t, "wangfang"), "targetNodeId": "approvalNode1661763351191"})
	assert.Equal(t, "直属主管审批", inst.CurrentNode.Name)
	inst.openTask(t, "kongtest")

	// A node that is not a rollback target is refused before any write, naming the choices.
	calls := len(h.calls.calls())
	resp := h.query(h.me, `mutation($t: ID!) { rollBackTask(input: { taskId: $t, targetNodeId: "endNode" }) { instance { id } } }`,
		map[string]any{"t": inst.openTask(t, "kongtest")})
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "BAD_USER_INPUT", resp.Errors[0].Extensions["code"])
	assert.Contains(t, resp.Errors[0].Message, "startNode")
	for _, c := range h.calls.calls()[calls:] {
		assert.NotContains(t, c, "RollBack ", "no write was sent")
	}
}

func TestMutationRevokeAsApproverAndAsStarter(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "leave_request")
	approved := inst.openTask(t, "kongtest")
	h.complete(h.me, approved, "APPROVE", nil)
	inst = h.instanceWrite(h.me, "revokeTask", "RevokeTaskInput", map[string]any{"taskId": approved, "as": "APPROVER"})
	assert.Equal(t, "直属主管审批", inst.CurrentNode.Name)
	inst.openTask(t, "kongtest")

	starterTask := inst.Tasks.Nodes[0].ID
	inst = h.instanceWrite(lihua, "revokeTask", "RevokeTaskInput", map[string]any{"taskId": starterTask, "as": "STARTER"})
	assert.Equal(t, "STOPPED", inst.Status)
}

func TestMutationStop(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "purchase_order")
	stop := `mutation($id: ID!) { stopFlow(input: { instanceId: $id }) { instance { status } } }`

	// kongtest has no part in it: it does not exist for him, and nothing is written.
	resp := h.query(h.me, stop, map[string]any{"id": inst.ID})
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"])
	assert.Zero(t, h.sb.Calls("StopFlow"))

	// wuxia signs at its first node but did not start it: the gateway refuses, before any write.
	resp = h.query(h.userID("wuxia"), stop, map[string]any{"id": inst.ID})
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"], resp.Errors[0].Message)
	assert.Contains(t, resp.Errors[0].Message, "only the starter")
	assert.Zero(t, h.sb.Calls("StopFlow"))

	inst = h.instanceWrite(lihua, "stopFlow", "StopFlowInput", map[string]any{"instanceId": inst.ID, "reason": "cancelled"})
	assert.Equal(t, "STOPPED", inst.Status)
}

func TestMutationPressThreeTimesThenAClearError(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "leave_request")
	for range 3 {
		h.instanceWrite(lihua, "pressInstance", "PressInstanceInput", map[string]any{"instanceId": inst.ID})
	}
	resp := h.query(lihua, `mutation($id: ID!) { pressInstance(input: { instanceId: $id }) { instance { id } } }`, map[string]any{"id": inst.ID})
	require.NotEmpty(t, resp.Errors)
	e := resp.Errors[0]
	assert.Equal(t, "UPSTREAM_ERROR", e.Extensions["code"])
	assert.Equal(t, "LimitExceeded.PressTask", e.Extensions["upstream"].(map[string]any)["code"])
	assert.Contains(t, e.Message, "3 times today")
}

func TestMutationChooseNextApproversThenSubmit(t *testing.T) {
	h := newHarness(t)
	inst := h.start(h.userID("lihua"), "expense_claim")
	liuyang := h.userID("liuyang")
	res := h.complete(liuyang, inst.openTask(t, "liuyang"), "APPROVE", nil)
	require.True(t, res.NextApproversRequired)
	require.Len(t, res.NextApproverChoices, 3)
	choice := res.NextApproverChoices[2]
	assert.Equal(t, choice.AssigneeName, choice.Assignee.Name)

	inst = h.instanceWrite(liuyang, "submitNextApprovers", "SubmitNextApproversInput",
		map[string]any{"pendingTaskIds": []string{choice.PendingTaskID}})
	task := inst.openTask(t, choice.Assignee.Name)
	res = h.complete(h.userID(choice.Assignee.Name), task, "APPROVE", nil)
	assert.Equal(t, "APPROVED", res.Instance.Status)
}

func TestMutationMarkMessagesChangesCounts(t *testing.T) {
	h := newHarness(t)
	var before struct {
		Viewer struct {
			Messages struct {
				Nodes []struct{ ID string }
			}
			MessageCounts []struct {
				Type         string
				Unread, Read int
			}
		}
	}
	h.ok(h.me, `{ viewer { messages(type: TODO, status: UNREAD, first: 2) { nodes { id } } messageCounts(type: TODO) { type unread read } } }`, nil, &before)
	ids := []string{before.Viewer.Messages.Nodes[0].ID, before.Viewer.Messages.Nodes[1].ID}
	var out struct {
		MarkMessages struct {
			Messages []struct{ ID, Status string }
			Counts   []struct {
				Type         string
				Unread, Read int
			} `json:"messageCounts"`
		}
	}
	h.ok(h.me, `mutation($ids: [ID!]!) { markMessages(input: { messageIds: $ids, status: READ }) { messages { id status } messageCounts { type unread read } } }`,
		map[string]any{"ids": ids}, &out)
	require.Len(t, out.MarkMessages.Messages, 2)
	for _, m := range out.MarkMessages.Messages {
		assert.Equal(t, "READ", m.Status)
	}
	b := before.Viewer.MessageCounts[0]
	a := out.MarkMessages.Counts[0]
	assert.Equal(t, "TODO", a.Type)
	assert.Equal(t, b.Unread-2, a.Unread)
	assert.Equal(t, b.Read+2, a.Read)
}

func TestMutationStartByProcessKeyRefusals(t *testing.T) {
	h := newHarness(t)
	resp := h.query(h.me, `mutation { startFlow(input: { processKey: "nope" }) { instance { id } } }`, nil)
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"])
	assert.Equal(t, "input.processKey", resp.Errors[0].Extensions["field"])

	// contract_review is unpublished: prod does not list it, and says so.
	resp = h.query(h.me, `mutation { startFlow(input: { processKey: "contract_review" }) { instance { id } } }`, nil)
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"])
	assert.Zero(t, h.sb.Calls("StartFlow"))

	// An explicit flowCode and version are accepted without a lookup.
	var flows struct {
		Flow struct{ FlowCode, Version string }
	}
	h.ok(h.me, `{ flow(processKey: "purchase_order") { flowCode version } }`, nil, &flows)
	var out struct {
		StartFlow struct{ Instance struct{ Status string } }
	}
	h.ok(h.me, `mutation($c: ID, $v: String) { startFlow(input: { processKey: "purchase_order", flowCode: $c, flowVersion: $v }) { instance { status } } }`,
		map[string]any{"c": flows.Flow.FlowCode, "v": flows.Flow.Version}, &out)
	assert.Equal(t, "IN_PROGRESS", out.StartFlow.Instance.Status)
}

func TestMutationInputValidatedBeforeAnyUpstreamCall(t *testing.T) {
	h := newHarness(t)
	cases := []struct{ name, mutation, field string }{
		{"empty task id", `completeTask(input: { taskId: "", action: APPROVE }) { task { id } }`, "input.taskId"},
		{"transfer without target", `completeTask(input: { taskId: "1", action: TRANSFER }) { task { id } }`, "input.transferTo"},
		{"target without transfer", `completeTask(input: { taskId: "1", action: APPROVE, transferTo: "2" }) { task { id } }`, "input.transferTo"},
		{"transfer to oneself", `completeTask(input: { taskId: "1", action: TRANSFER, transferTo: "` + h.me + `" }) { task { id } }`, "input.transferTo"},
		{"duplicate page parameter", `completeTask(input: { taskId: "1", action: APPROVE, pageParameters: [{ key: "a", value: 1 }, { key: "a", value: 2 }] }) { task { id } }`, "input.pageParameters"},
		{"empty cc id", `completeTask(input: { taskId: "1", action: APPROVE, ccUserIds: [""] }) { task { id } }`, "input.ccUserIds[0]"},
		{"long comment", `completeTask(input: { taskId: "1", action: APPROVE, comment: "` + strings.Repeat("长", 2001) + `" }) { task { id } }`, "input.comment"},
		{"empty list", `submitNextApprovers(input: { pendingTaskIds: [] }) { instance { id } }`, "input.pendingTaskIds"},
		{"duplicate ids", `markMessages(input: { messageIds: ["1", "1"], status: READ }) { messages { id } }`, "input.messageIds"},
		{"no signers", `addCounterSigners(input: { taskId: "1", userIds: [] }) { instance { id } }`, "input.userIds"},
		{"add oneself", `addCounterSigners(input: { taskId: "1", userIds: ["` + h.me + `"] }) { instance { id } }`, "input.userIds"},
		{"half a version", `startFlow(input: { processKey: "leave_request", flowCode: "1" }) { instance { id } }`, "input.flowCode"},
		{"parameters not an object", `startFlow(input: { processKey: "leave_request", startParameters: [1] }) { instance { id } }`, "input.startParameters"},
		{"empty instance id", `stopFlow(input: { instanceId: " " }) { instance { id } }`, "input.instanceId"},
		{"no target node", `rollBackTask(input: { taskId: "1", targetNodeId: "" }) { instance { id } }`, "input.targetNodeId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.calls.reset()
			resp := h.query(h.me, "mutation { "+tc.mutation+" }", nil)
			require.NotEmpty(t, resp.Errors)
			assert.Equal(t, "BAD_USER_INPUT", resp.Errors[0].Extensions["code"], resp.Errors[0].Message)
			assert.Equal(t, tc.field, resp.Errors[0].Extensions["field"], resp.Errors[0].Message)
			assert.Empty(t, h.calls.calls(), "no upstream call")
		})
	}
	t.Run("unknown enum", func(t *testing.T) {
		resp := h.query(h.me, `mutation { completeTask(input: { taskId: "1", action: MAYBE }) { task { id } } }`, nil)
		require.NotEmpty(t, resp.Errors)
		assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.Errors[0].Extensions["code"])
	})
	t.Run("no viewer", func(t *testing.T) {
		h.calls.reset()
		resp := h.query("", `mutation { pressInstance(input: { instanceId: "1" }) { instance { id } } }`, nil)
		require.NotEmpty(t, resp.Errors)
		assert.Equal(t, "UNAUTHENTICATED", resp.Errors[0].Extensions["code"])
		assert.Empty(t, h.calls.calls())
	})
	t.Run("not over GET", func(t *testing.T) {
		status, body, _ := get(t, h.srv.URL+`/graphql?query=mutation%7BpressInstance(input:%7BinstanceId:%221%22%7D)%7BclientMutationId%7D%7D`)
		assert.NotEqual(t, 200, status, body)
		assert.Zero(t, h.sb.Calls("PressTask"))
	})
}

const startWithKey = `mutation { startFlow(input: { processKey: "purchase_order" }) { clientMutationId instance { id } } }`

func startedID(t *testing.T, res gqlResponse) string {
	t.Helper()
	require.Empty(t, res.Errors, "%+v", res.Errors)
	var out struct {
		StartFlow struct{ Instance struct{ ID string } }
	}
	require.NoError(t, json.Unmarshal(res.Data, &out))
	return out.StartFlow.Instance.ID
}

func TestIdempotentStartFlow(t *testing.T) {
	h := newHarness(t)
	h.sb.SetLatency("StartFlow", 50*time.Millisecond, 0) // so the duplicates arrive while the first is in flight
	headers := map[string]string{"X-Weda-User-Id": h.me, "Idempotency-Key": "start-42"}
	ids := make([]string, 10)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			_, res := h.raw(headers, gqlBody(startWithKey, nil))
			ids[i] = startedID(t, res)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, h.sb.Calls("StartFlow"), "exactly one instance was started")
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every duplicate got the first result")
	}

	// The same key from another viewer is theirs alone.
	_, res := h.raw(map[string]string{"X-Weda-User-Id": h.userID("lihua"), "Idempotency-Key": "start-42"}, gqlBody(startWithKey, nil))
	other := startedID(t, res)
	assert.NotEqual(t, ids[0], other)
	assert.EqualValues(t, 2, h.sb.Calls("StartFlow"))

	// clientMutationId works as the key, and is echoed.
	q := `mutation { startFlow(input: { processKey: "purchase_order", clientMutationId: "m-1" }) { clientMutationId instance { id } } }`
	first, again := h.query(h.me, q, nil), h.query(h.me, q, nil)
	assert.Equal(t, startedID(t, first), startedID(t, again))
	assert.Contains(t, string(first.Data), `"clientMutationId":"m-1"`)
	assert.EqualValues(t, 3, h.sb.Calls("StartFlow"))

	// The same key with another input is a client bug, said as such.
	res = h.query(h.me, `mutation { startFlow(input: { processKey: "leave_request", clientMutationId: "m-1" }) { instance { id } } }`, nil)
	require.NotEmpty(t, res.Errors)
	assert.Equal(t, "BAD_USER_INPUT", res.Errors[0].Extensions["code"])
	assert.Contains(t, res.Errors[0].Message, "different input")
}

func TestWriteTimeoutIsNotRetriedAndAKeyedRetryIsSafe(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.Upstream.Timeout = 300 * time.Millisecond })
	h.sb.SetLatency("CompleteTask", time.Second, 0) // carried out, answered too late
	inst := h.start(h.userID("lihua"), "leave_request")
	task := inst.openTask(t, "kongtest")
	q := `mutation($t: ID!) { completeTask(input: { taskId: $t, action: APPROVE, clientMutationId: "approve-1" }) {
		task { status result } instance { currentNode { name } } } }`

	res := h.query(h.me, q, map[string]any{"t": task})
	require.NotEmpty(t, res.Errors)
	e := res.Errors[0]
	assert.Equal(t, "UPSTREAM_TIMEOUT", e.Extensions["code"])
	assert.Equal(t, true, e.Extensions["outcomeUnknown"])
	assert.Contains(t, e.Message, "may have happened")
	assert.Contains(t, e.Message, "same idempotency key")
	assert.EqualValues(t, 1, h.sb.Calls("CompleteTask"), "a write is never retried")

	// The retry checks first: the approval took effect, so nothing is sent again.
	var out struct {
		CompleteTask struct {
			Task     struct{ Status, Result string }
			Instance struct{ CurrentNode struct{ Name string } }
		}
	}
	h.ok(h.me, q, map[string]any{"t": task}, &out)
	assert.EqualValues(t, 1, h.sb.Calls("CompleteTask"))
	assert.Equal(t, "APPROVE", out.CompleteTask.Task.Result)
	assert.Equal(t, "部门经理审批", out.CompleteTask.Instance.CurrentNode.Name)
}

func TestKeyedRefusalIsReplayedNotResent(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "purchase_order")
	h.instanceWrite(lihua, "stopFlow", "StopFlowInput", map[string]any{"instanceId": inst.ID})
	// Stopping it again: WeDa refuses (it is no longer in progress).
	q := `mutation($id: ID!) { stopFlow(input: { instanceId: $id, clientMutationId: "stop-1" }) { instance { status } } }`
	first := h.query(lihua, q, map[string]any{"id": inst.ID})
	again := h.query(lihua, q, map[string]any{"id": inst.ID})
	require.NotEmpty(t, first.Errors)
	require.NotEmpty(t, again.Errors)
	assert.Equal(t, first.Errors[0].Message, again.Errors[0].Message)
	assert.Equal(t, first.Errors[0].Extensions, again.Errors[0].Extensions, "the same code, upstream code and RequestId")
	assert.Equal(t, "UPSTREAM_ERROR", again.Errors[0].Extensions["code"])
	assert.Equal(t, []any{"stopFlow"}, again.Errors[0].Path)
	assert.EqualValues(t, 2, h.sb.Calls("StopFlow"), "the first stop, and one refused attempt")
}
