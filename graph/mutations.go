package graph

import (
	"context"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/workflow"
)

// The mutations map GraphQL inputs to the domain's writes (package workflow) and their results
// to payloads; the rules — input checks, who may act, exactly once, who hears of the change —
// live there.

// idempotencyKey is the input's clientMutationId, else the operation's key (an HTTP request's
// Idempotency-Key header, a WebSocket operation's extensions.idempotencyKey).
func idempotencyKey(ctx context.Context, clientMutationID *string) string {
	if clientMutationID != nil && *clientMutationID != "" {
		return *clientMutationID
	}
	return idempotency.HeaderKey(ctx)
}

// viewerOf is the viewer a payload carries: the one who acted, whose counts and boxes the write
// changed.
func viewerOf(a workflow.Actor) *model.Viewer {
	return &model.Viewer{ID: a.UserID, Source: a.Source}
}

func (r *Resolver) startFlow(ctx context.Context, in model.StartFlowInput) (*model.StartFlowPayload, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	res, err := req.StartFlow(ctx, idempotencyKey(ctx, in.ClientMutationID), workflow.StartFlow{
		ProcessKey: in.ProcessKey, FlowCode: in.FlowCode, FlowVersion: in.FlowVersion, StartParameters: in.StartParameters})
	if err != nil {
		return nil, err
	}
	return &model.StartFlowPayload{ClientMutationID: in.ClientMutationID, InstanceID: res.InstanceID, StarterTaskID: res.StarterTaskID,
		Viewer: viewerOf(req.Actor())}, nil
}

func (r *Resolver) completeTask(ctx context.Context, in model.CompleteTaskInput) (*model.CompleteTaskPayload, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	params := make([]workflow.PageParameter, 0, len(in.PageParameters))
	for _, p := range in.PageParameters {
		params = append(params, workflow.PageParameter{Key: p.Key, Type: p.Type, Value: p.Value})
	}
	res, err := req.CompleteTask(ctx, idempotencyKey(ctx, in.ClientMutationID), workflow.CompleteTask{
		TaskID: in.TaskID, Action: workflow.Action(in.Action), Comment: deref(in.Comment), TransferTo: in.TransferTo,
		CcUserIDs: in.CcUserIds, PageParameters: params})
	if err != nil {
		return nil, err
	}
	p := &model.CompleteTaskPayload{ClientMutationID: in.ClientMutationID, TaskID: res.TaskID, InstanceID: res.InstanceID,
		NextApproversRequired: res.NextApproversRequired, NextApproverChoices: make([]*model.NextApproverChoice, 0, len(res.Choices)),
		Viewer: viewerOf(req.Actor())}
	for _, c := range res.Choices {
		p.NextApproverChoices = append(p.NextApproverChoices, &model.NextApproverChoice{PendingTaskID: c.PendingTaskID,
			AssigneeID: c.AssigneeID, AssigneeName: c.AssigneeName})
	}
	return p, nil
}

// instanceWrite runs a write that changed an instance, and maps it to its payload.
func (r *Resolver) instanceWrite(ctx context.Context, clientMutationID *string,
	write func(req *workflow.Request, key string) (workflow.Changed, error)) (*model.InstancePayload, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	res, err := write(req, idempotencyKey(ctx, clientMutationID))
	if err != nil {
		return nil, err
	}
	return &model.InstancePayload{ClientMutationID: clientMutationID, InstanceID: res.InstanceID, Viewer: viewerOf(req.Actor())}, nil
}

func (r *Resolver) markMessages(ctx context.Context, in model.MarkMessagesInput) (*model.MarkMessagesPayload, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := req.MarkMessages(ctx, idempotencyKey(ctx, in.ClientMutationID), in.MessageIds, in.Status == model.ReadStatusRead)
	if err != nil {
		return nil, err
	}
	return &model.MarkMessagesPayload{ClientMutationID: in.ClientMutationID, MessageIDs: ids, Viewer: viewerOf(req.Actor())}, nil
}
