package graph

import (
	"context"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/workflow"
)

// The mutations map GraphQL inputs to the domain's writes (package workflow) and their results
// to payloads; the rules — input checks, who may act, exactly once — live there.

// idempotencyKey is the input's clientMutationId, else the Idempotency-Key header.
func idempotencyKey(ctx context.Context, clientMutationID *string) string {
	if clientMutationID != nil && *clientMutationID != "" {
		return *clientMutationID
	}
	return idempotency.HeaderKey(ctx)
}

// viewerOf is the payloads' viewer: the one who acted, whose counts and boxes the write changed.
func viewerOf(a workflow.Actor) *model.Viewer {
	return &model.Viewer{ID: a.UserID, Source: a.Source}
}

func (r *Resolver) startFlow(ctx context.Context, in model.StartFlowInput) (*model.StartFlowPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.StartFlow(ctx, a, idempotencyKey(ctx, in.ClientMutationID), workflow.StartFlow{
		ProcessKey: in.ProcessKey, FlowCode: in.FlowCode, FlowVersion: in.FlowVersion, StartParameters: in.StartParameters})
	if err != nil {
		return nil, err
	}
	r.touched(ctx, res.InstanceID)
	return &model.StartFlowPayload{ClientMutationID: in.ClientMutationID, InstanceID: res.InstanceID, StarterTaskID: res.StarterTaskID,
		Viewer: viewerOf(a)}, nil
}

func (r *Resolver) completeTask(ctx context.Context, in model.CompleteTaskInput) (*model.CompleteTaskPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	params := make([]workflow.PageParameter, 0, len(in.PageParameters))
	for _, p := range in.PageParameters {
		params = append(params, workflow.PageParameter{Key: p.Key, Type: p.Type, Value: p.Value})
	}
	res, err := r.Workflow.CompleteTask(ctx, a, idempotencyKey(ctx, in.ClientMutationID), workflow.CompleteTask{
		TaskID: in.TaskID, Action: workflow.Action(in.Action), Comment: deref(in.Comment), TransferTo: in.TransferTo,
		CcUserIDs: in.CcUserIds, PageParameters: params})
	if err != nil {
		return nil, err
	}
	r.touched(ctx, res.InstanceID)
	p := &model.CompleteTaskPayload{ClientMutationID: in.ClientMutationID, TaskID: res.TaskID, InstanceID: res.InstanceID,
		NextApproversRequired: res.NextApproversRequired, NextApproverChoices: make([]*model.NextApproverChoice, 0, len(res.Choices)),
		Viewer: viewerOf(a)}
	for _, c := range res.Choices {
		p.NextApproverChoices = append(p.NextApproverChoices, &model.NextApproverChoice{PendingTaskID: c.PendingTaskID,
			AssigneeID: c.AssigneeID, AssigneeName: c.AssigneeName})
	}
	return p, nil
}

// instancePayload maps a write of a that changed an instance, and refreshes who watches it.
func (r *Resolver) instancePayload(ctx context.Context, a workflow.Actor, clientMutationID *string, res workflow.Changed, err error) (*model.InstancePayload, error) {
	if err != nil {
		return nil, err
	}
	r.touched(ctx, res.InstanceID)
	return &model.InstancePayload{ClientMutationID: clientMutationID, InstanceID: res.InstanceID, Viewer: viewerOf(a)}, nil
}

func (r *Resolver) stopFlow(ctx context.Context, in model.StopFlowInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.StopFlow(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.InstanceID, deref(in.Reason))
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) submitNextApprovers(ctx context.Context, in model.SubmitNextApproversInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.SubmitNextApprovers(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.PendingTaskIds)
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) pressInstance(ctx context.Context, in model.PressInstanceInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.PressInstance(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.InstanceID)
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) revokeTask(ctx context.Context, in model.RevokeTaskInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.RevokeTask(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.TaskID, workflow.RevokeRole(in.As))
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) addCounterSigners(ctx context.Context, in model.AddCounterSignersInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.AddCounterSigners(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.TaskID, in.UserIds)
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) rollBackTask(ctx context.Context, in model.RollBackTaskInput) (*model.InstancePayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Workflow.RollBackTask(ctx, a, idempotencyKey(ctx, in.ClientMutationID), workflow.RollBack{
		TaskID: in.TaskID, TargetNodeID: in.TargetNodeID, TargetTaskID: in.TargetTaskID})
	return r.instancePayload(ctx, a, in.ClientMutationID, res, err)
}

func (r *Resolver) markMessages(ctx context.Context, in model.MarkMessagesInput) (*model.MarkMessagesPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := r.Workflow.MarkMessages(ctx, a, idempotencyKey(ctx, in.ClientMutationID), in.MessageIds, in.Status == model.ReadStatusRead)
	if err != nil {
		return nil, err
	}
	r.touched(ctx, "")
	return &model.MarkMessagesPayload{ClientMutationID: in.ClientMutationID, MessageIDs: ids, Viewer: viewerOf(a)}, nil
}
