package session

import (
	"context"

	"github.com/wedagraph/gateway/upstream"
)

// The writes: never memoized, never retried here (the client resends only after a 401 that
// fetched a fresh token), each one call under the operation's bounds. The domain runs them
// exactly once under an idempotency key and detached from the client's cancellation.

// StartFlow starts an instance [3].
func (s *Session) StartFlow(ctx context.Context, req *upstream.StartFlowRequest) (res *upstream.StartFlowResult, err error) {
	err = s.Do(ctx, func(ctx context.Context) error {
		res, err = s.client.StartFlow(ctx, req)
		return err
	})
	return res, err
}

// CompleteTask submits, approves, rejects or transfers a task [4].
func (s *Session) CompleteTask(ctx context.Context, req *upstream.CompleteTaskRequest) (res *upstream.CompleteTaskResult, err error) {
	err = s.Do(ctx, func(ctx context.Context) error {
		res, err = s.client.CompleteTask(ctx, req)
		return err
	})
	return res, err
}

// StopFlow terminates an instance [5].
func (s *Session) StopFlow(ctx context.Context, req *upstream.StopFlowRequest) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.StopFlow(ctx, req) })
}

// SubmitFlowTaskList submits the chosen next approvers [14].
func (s *Session) SubmitFlowTaskList(ctx context.Context, taskIDs []upstream.ID) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.SubmitFlowTaskList(ctx, taskIDs) })
}

// PressTask urges an instance's current approvers [15].
func (s *Session) PressTask(ctx context.Context, instanceID string) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.PressTask(ctx, upstream.ID(instanceID)) })
}

// Revoke withdraws an approval or an instance [16].
func (s *Session) Revoke(ctx context.Context, req *upstream.RevokeRequest) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.Revoke(ctx, req) })
}

// AddCounterSignAssignee adds signers at a node [17].
func (s *Session) AddCounterSignAssignee(ctx context.Context, req *upstream.AddCounterSignRequest) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.AddCounterSignAssignee(ctx, req) })
}

// RollBack sends an instance back to an earlier node [19].
func (s *Session) RollBack(ctx context.Context, req *upstream.RollBackRequest) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.RollBack(ctx, req) })
}

// UpdateWorkflowMessageStatus marks a user's messages read or unread [22].
func (s *Session) UpdateWorkflowMessageStatus(ctx context.Context, user upstream.UserInfo, ids []upstream.ID, status string) error {
	return s.Do(ctx, func(ctx context.Context) error { return s.client.UpdateWorkflowMessageStatus(ctx, user, ids, status) })
}
