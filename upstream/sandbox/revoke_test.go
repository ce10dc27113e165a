package sandbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An approver takes back an approval only while no one after them has acted ([16] 撤销, 审批人撤销):
// once a later node has approved, the approval stands, however many nodes the flow has moved on
// since, and CanRevoke says so too.
func TestApproverRevokeEndsWhenALaterNodeActs(t *testing.T) {
	e := newEngine(func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) })
	e.seed(1)
	id := func(name string) string { return (&seeder{e: e}).id(name) }
	f := &flow{ProcessKey: "three_approvals", Name: "三级审批", Type: flowApproval, Published: true, Version: "1.0",
		FlowCode: e.nextID(), Nodes: []*node{
			{ID: "startNode", Name: "开始", Kind: kindStart},
			{ID: "a", Name: "一审", Kind: kindApproval, Assignees: []string{id("kongtest")}, RevokeByApprover: true},
			{ID: "b", Name: "二审", Kind: kindApproval, Assignees: []string{id("wangfang")}},
			{ID: "c", Name: "三审", Kind: kindApproval, Assignees: []string{id("zhangwei")}},
			{ID: "endNode", Name: "结束", Kind: kindEnd}}}
	e.flows, e.flowByKey[f.ProcessKey] = append(e.flows, f), f
	res, err := e.start(f, f.FlowCode, f.Version, e.userByID[id("lihua")], nil, false)
	require.Nil(t, err)
	inst := res.Instance
	approve := func(name string) *task {
		t.Helper()
		todo := pending(inst, inst.Current, taskTodo)
		require.Len(t, todo, 1)
		require.Equal(t, id(name), todo[0].Assignee)
		_, err := e.complete(completeInput{Task: todo[0], Action: btnApprove, Approver: e.userByID[id(name)]})
		require.Nil(t, err)
		return todo[0]
	}
	kong := e.userByID[id("kongtest")]

	first := approve("kongtest")
	assert.True(t, e.canRevoke(workItem{inst: inst, task: first}, kong.ID), "the next node has not acted")
	approve("wangfang")
	require.Equal(t, "c", inst.Flow.Nodes[inst.Current].ID, "the third node waits, no one has acted there")
	assert.False(t, e.canRevoke(workItem{inst: inst, task: first}, kong.ID), "the second node approved")
	assert.NotNil(t, e.revoke(first, kong, revokeByApprover), "Revoke agrees")
	assert.Equal(t, "c", inst.Flow.Nodes[inst.Current].ID, "nothing moved")
}
