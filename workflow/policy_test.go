package workflow

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// The roles a user can play in an instance, each a seeded sandbox user.
var roles = []struct{ role, user string }{
	{"starter", "lihua"}, {"assignee", "wangfang"}, {"candidate", "zhaolei"}, {"cc", "chenjing"},
	{"past approver", "kongtest"}, {"stranger", "sunli"}, {"operator", "administrator"},
}

// leaveState: lihua started a leave request; kongtest approved it with a copy to chenjing; it
// waits for wangfang or zhangwei. zhaolei has no part in it.
type leaveState struct {
	instance, starterTask, approved, pending, message string
}

func (w *testbed) leave() leaveState {
	started := w.start("lihua", "leave_request")
	approved := w.openTask(started.FlowInstanceID, "kongtest")
	_, err := w.direct.CompleteTask(context.Background(), &upstream.CompleteTaskRequest{TaskID: upstream.ID(approved),
		ButtonAction: upstream.ActionApprove, Approver: w.info("kongtest"), CcUserIDs: []upstream.ID{upstream.ID(w.sb.UserID("chenjing"))}})
	require.NoError(w.t, err)
	msgs, err := w.direct.DescribeWorkflowMessages(context.Background(), &upstream.MessagesRequest{UserInfo: w.info("chenjing"), PageNo: 1, PageSize: 1})
	require.NoError(w.t, err)
	require.NotEmpty(w.t, msgs.ResponseList)
	return leaveState{instance: string(started.FlowInstanceID), starterTask: string(started.TaskID), approved: approved,
		pending: w.openTask(started.FlowInstanceID, "wangfang"), message: string(msgs.ResponseList[0].MessageID)}
}

// choiceState: lihua started an expense claim; liuyang handled it (copying chenjing), which asks
// liuyang to choose the reviewer among zhaolei, huangmin and zhouqiang, who hold pending tasks.
func (w *testbed) choice(s *Service) (instance string, pending string) {
	started := w.start("lihua", "expense_claim")
	done, err := w.as(s, w.actor("liuyang")).CompleteTask(context.Background(), "", CompleteTask{TaskID: w.openTask(started.FlowInstanceID, "liuyang"),
		Action: Approve, CcUserIDs: []string{w.sb.UserID("chenjing")}})
	require.NoError(w.t, err)
	require.True(w.t, done.NextApproversRequired)
	for _, c := range done.Choices {
		if c.AssigneeID == w.sb.UserID("zhaolei") {
			return string(started.FlowInstanceID), c.PendingTaskID
		}
	}
	w.t.Fatal("zhaolei is not a choice")
	return "", ""
}

// The policy table, tried whole: every action × every role → allowed, FORBIDDEN (may see, may
// not act) or NOT_FOUND (may not see: answered as if it did not exist), and no write reaches
// WeDa on a refusal.
func TestPolicyTable(t *testing.T) {
	const ok, F, NF = "allowed", "FORBIDDEN", "NOT_FOUND"
	type act func(w *testbed, s *Service, a Actor, st leaveState) error
	changed := func(_ Changed, err error) error { return err }
	table := []struct {
		action   string
		endpoint string
		want     []string // by roles' order: starter, assignee, candidate, cc, past approver, stranger, operator
		do       act
	}{
		{"startFlow", "StartFlow", []string{ok, ok, ok, ok, ok, ok, ok}, func(w *testbed, s *Service, a Actor, _ leaveState) error {
			_, err := w.as(s, a).StartFlow(context.Background(), "", StartFlow{ProcessKey: "purchase_order"})
			return err
		}},
		{"completeTask", "CompleteTask", []string{F, ok, NF, F, F, NF, F}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			_, err := w.as(s, a).CompleteTask(context.Background(), "", CompleteTask{TaskID: st.pending, Action: Approve})
			return err
		}},
		{"addCounterSigners", "AddCounterSignAssignee", []string{F, ok, NF, F, F, NF, F}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).AddCounterSigners(context.Background(), "", st.pending, []string{w.sb.UserID("huangmin")}))
		}},
		{"rollBackTask", "RollBack", []string{F, ok, NF, F, F, NF, F}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).RollBackTask(context.Background(), "", RollBack{TaskID: st.pending, TargetNodeID: "approvalNode1661763351191"}))
		}},
		{"revokeTask(APPROVER)", "Revoke", []string{F, F, NF, F, ok, NF, F}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).RevokeTask(context.Background(), "", st.approved, AsApprover))
		}},
		{"revokeTask(STARTER)", "Revoke", []string{ok, F, NF, F, F, NF, F}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).RevokeTask(context.Background(), "", st.starterTask, AsStarter))
		}},
		{"stopFlow", "StopFlow", []string{ok, F, NF, F, F, NF, ok}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).StopFlow(context.Background(), "", st.instance, "test"))
		}},
		{"pressInstance", "PressTask", []string{ok, F, NF, F, F, NF, ok}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			return changed(w.as(s, a).PressInstance(context.Background(), "", st.instance))
		}},
		{"markMessages", "UpdateWorkflowMessageStatus", []string{NF, NF, NF, ok, NF, NF, NF}, func(w *testbed, s *Service, a Actor, st leaveState) error {
			_, err := w.as(s, a).MarkMessages(context.Background(), "", []string{st.message}, true)
			return err
		}},
		// In the expense claim, the "past approver" liuyang made the choice; the candidate holds a
		// pending task; the assignee (wangfang) has no part there.
		{"submitNextApprovers", "SubmitFlowTaskList", []string{F, NF, F, F, ok, NF, F}, nil},
	}
	writes := map[string]bool{}
	for _, row := range table {
		require.NotPanics(t, func() { RuleFor(row.action) }, "every row is a rule of the policy")
		writes[row.action] = true
		for i, r := range roles {
			t.Run(fmt.Sprintf("%s/%s", row.action, r.role), func(t *testing.T) {
				w := newTestbed(t)
				s := w.service(memoryStore(t), nil)
				var err error
				var before int64
				if row.do == nil {
					_, pending := w.choice(s)
					before = w.sb.Calls(row.endpoint)
					user := r.user
					if r.role == "past approver" {
						user = "liuyang"
					}
					_, err = w.as(s, w.actor(user)).SubmitNextApprovers(context.Background(), "", []string{pending})
				} else {
					st := w.leave()
					before = w.sb.Calls(row.endpoint)
					err = row.do(w, s, w.actor(r.user), st)
				}
				writes := w.sb.Calls(row.endpoint) - before
				switch want := row.want[i]; want {
				case ok:
					var we *Error
					assert.False(t, errors.As(err, &we), "the policy allows it; only WeDa may refuse: %v", err)
					assert.EqualValues(t, 1, writes, "one write")
				default:
					require.Error(t, err)
					assert.True(t, IsCode(err, Code(want)), "want %s, got %v", want, err)
					assert.Zero(t, writes, "a refusal sends nothing")
				}
			})
		}
	}
	for _, r := range Policy {
		assert.Equal(t, r.Write, writes[r.Action], "%s: every write of the policy has a row here, and only writes", r.Action)
	}
}

// Listing instances: an operator lists anyone's, anyone else only their own, whatever they ask.
func TestListedStarter(t *testing.T) {
	op := Actor{UserID: "op", Operator: true}
	me := Actor{UserID: "me"}
	for _, c := range []struct {
		who       Actor
		asked     string
		want      string
		forbidden bool
	}{
		{op, "", "", false},
		{op, "someone", "someone", false},
		{me, "", "me", false},
		{me, "me", "me", false},
		{me, "someone", "", true},
	} {
		got, err := c.who.listedStarter(c.asked)
		if c.forbidden {
			var we *Error
			require.ErrorAs(t, err, &we, "%+v", c)
			assert.Equal(t, CodeForbidden, we.Code)
			continue
		}
		require.NoError(t, err, "%+v", c)
		assert.Equal(t, c.want, got, "%+v", c)
	}
}
