package workflow

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// The policy's read rows, tried whole: every read × every role (the roles of TestPolicyTable)
// → allowed, FORBIDDEN or NOT_FOUND (may not see: answered as if it did not exist). A read that
// hides rather than refuses (a contact) counts its hiding as FORBIDDEN here.
func TestPolicyReads(t *testing.T) {
	const ok, F, NF = "allowed", "FORBIDDEN", "NOT_FOUND"
	hidden := forbidden("hidden")
	w := newTestbed(t)
	s := w.service(memoryStore(t), nil)
	st := w.leave()
	table := []struct {
		action string
		want   []string // by roles' order: starter, assignee, candidate, cc, past approver, stranger, operator
		do     func(ctx context.Context, r *Request) error
	}{
		{"seeInstance", []string{ok, ok, NF, ok, ok, NF, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.InstanceByID(ctx, st.instance)
			return err
		}},
		{"seeTask", []string{ok, ok, NF, ok, ok, NF, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.TaskByID(ctx, st.pending)
			return err
		}},
		{"watchInstance", []string{ok, ok, NF, ok, ok, NF, ok}, func(ctx context.Context, r *Request) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			_, err := r.WatchInstance(ctx, st.instance)
			return err
		}},
		{"listInstances", []string{ok, F, F, F, F, F, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.Instances(ctx, InstanceFilter{StartUserID: w.sb.UserID("lihua")}, InstanceOrder{}, Window{Limit: 1})
			return err
		}},
		{"listUsers", []string{F, F, F, F, F, F, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.ListUsers(ctx, UserFilter{}, Window{Limit: 1})
			return err
		}},
		{"seeContact", []string{ok, F, F, F, F, F, ok}, func(_ context.Context, r *Request) error {
			if !r.ContactVisible(w.sb.UserID("lihua")) {
				return hidden
			}
			return nil
		}},
		{"readWorkbench", []string{ok, ok, ok, ok, ok, ok, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.BoxCounts(ctx)
			return err
		}},
		{"listFlows", []string{ok, ok, ok, ok, ok, ok, ok}, func(ctx context.Context, r *Request) error {
			_, err := r.Flows(ctx, upstream.FlowTypeApproval)
			return err
		}},
	}
	seen := map[string]bool{}
	for _, row := range table {
		require.NotPanics(t, func() { RuleFor(row.action) }, "every row is a rule of the policy")
		seen[row.action] = true
		for i, role := range roles {
			t.Run(fmt.Sprintf("%s/%s", row.action, role.role), func(t *testing.T) {
				err := row.do(context.Background(), w.as(s, w.actor(role.user)))
				if want := row.want[i]; want == ok {
					assert.NoError(t, err)
				} else {
					assert.True(t, IsCode(err, Code(want)), "want %s, got %v", want, err)
				}
			})
		}
	}
	for _, r := range Policy {
		if !r.Write && r.Action != "seeUser" { // a user's name is the graph's user batcher's: anyone's to read
			assert.True(t, seen[r.Action], "read %s has no row here", r.Action)
		}
	}
}

// Whether an approver may withdraw their approval is WeDa's word (CanRevoke), not a reading of
// result codes the vendor leaves undefined: a manager's approval at a node that allows no revoke
// is refused before any Revoke is sent.
func TestRevokeIsWeDasWord(t *testing.T) {
	w := newTestbed(t)
	s := w.service(memoryStore(t), nil)
	st := w.leave()
	managed := w.approve(upstream.ID(st.instance), "wangfang") // the managers' node allows no approver revoke
	before := w.sb.Calls("Revoke")
	_, err := w.as(s, w.actor("wangfang")).RevokeTask(context.Background(), "", managed, AsApprover)
	assert.True(t, IsCode(err, CodeForbidden), "%v", err)
	assert.Zero(t, w.sb.Calls("Revoke")-before, "refused before WeDa was asked to revoke")

	before = w.sb.Calls("Revoke")
	_, err = w.as(s, w.actor("kongtest")).RevokeTask(context.Background(), "", st.approved, AsApprover)
	assert.True(t, IsCode(err, CodeForbidden), "the instance moved on past kongtest's node: %v", err)
	assert.Zero(t, w.sb.Calls("Revoke")-before)
}
