package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The key is the mutation's, never the alias a client gave it: the same key under other aliases,
// in one document or across retries, urges once.
func TestSameKeyUnderAnotherAliasWritesOnce(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "purchase_order")
	headers := map[string]string{"X-Weda-User-Id": lihua, "Idempotency-Key": "urge-once"}
	vars := map[string]any{"id": inst.ID}

	_, res := h.raw(headers, gqlBody(`mutation($id: ID!) {
		a: pressInstance(input: { instanceId: $id }) { instance { id } }
		b: pressInstance(input: { instanceId: $id }) { instance { id } }
		c: pressInstance(input: { instanceId: $id }) { instance { id } } }`, vars))
	require.Empty(t, res.Errors, "%+v", res.Errors)
	_, res = h.raw(headers, gqlBody(`mutation($id: ID!) { again: pressInstance(input: { instanceId: $id }) { instance { id } } }`, vars))
	require.Empty(t, res.Errors, "%+v", res.Errors)
	assert.EqualValues(t, 1, h.sb.Calls("PressTask"), "one urge for one key")
}

// The next-approver choice belongs to whoever completed the task that asked for it: through the
// GraphQL API too, the starter cannot make it, and nothing reaches WeDa.
func TestNextApproverChoiceIsTheCompletersOnly(t *testing.T) {
	h := newHarness(t)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "expense_claim")
	res := h.complete(h.userID("liuyang"), inst.openTask(t, "liuyang"), "APPROVE", nil)
	require.True(t, res.NextApproversRequired)
	pending := res.NextApproverChoices[0]
	submit := `mutation($ids: [ID!]!) { submitNextApprovers(input: { pendingTaskIds: $ids }) { instance { id } } }`

	for _, who := range []string{lihua, h.userID(pending.Assignee.Name)} {
		r := h.query(who, submit, map[string]any{"ids": []string{pending.PendingTaskID}})
		require.NotEmpty(t, r.Errors)
		assert.Equal(t, "FORBIDDEN", r.Errors[0].Extensions["code"], r.Errors[0].Message)
	}
	r := h.query(h.userID("sunli"), submit, map[string]any{"ids": []string{pending.PendingTaskID}})
	require.NotEmpty(t, r.Errors)
	assert.Equal(t, "NOT_FOUND", r.Errors[0].Extensions["code"], "a stranger cannot tell it exists")
	assert.Zero(t, h.sb.Calls("SubmitFlowTaskList"))

	var done struct {
		SubmitNextApprovers struct{ Instance struct{ ID string } }
	}
	h.ok(h.userID("liuyang"), submit, map[string]any{"ids": []string{pending.PendingTaskID}}, &done)
	assert.Equal(t, inst.ID, done.SubmitNextApprovers.Instance.ID)
	assert.EqualValues(t, 1, h.sb.Calls("SubmitFlowTaskList"))
}
