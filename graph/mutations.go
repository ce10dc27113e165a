package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/upstream"
)

// mutation is one write: its input checks, the write itself, and a check of whether an earlier
// attempt whose outcome is unknown took effect (nil when repeating the write is harmless).
type mutation[P any] struct {
	input    any
	key      *string // the input's clientMutationId
	validate func(me upstream.UserInfo) error
	run      func(ctx context.Context, me upstream.UserInfo) (P, error)
	happened func(ctx context.Context, me upstream.UserInfo, since time.Time) (P, bool, error)
}

// fieldError is a BAD_USER_INPUT naming the input field at fault.
func fieldError(field, format string, args ...any) *gqlerror.Error {
	e := userError("input.%s: %s", field, fmt.Sprintf(format, args...))
	e.Extensions["field"] = "input." + field
	return e
}

// mutate runs m as the viewer, idempotently when the client sent a key.
func mutate[P any](ctx context.Context, store idempotency.Store, m mutation[P]) (P, error) {
	var zero P
	me, err := viewerInfo(ctx)
	if err != nil {
		return zero, err
	}
	if err := m.validate(me); err != nil {
		return zero, err
	}
	key := idempotencyKey(ctx, m.key)
	if key == "" || store == nil {
		return write(ctx, me, m)
	}
	if len(key) > 255 {
		return zero, userError("an idempotency key is at most 255 characters")
	}
	field := graphql.GetFieldContext(ctx).Field
	env := loader.For(ctx).Client().EnvFor(ctx)
	fullKey := strings.Join([]string{me.UserID.String(), env, field.Name, field.Alias, key}, "\x00")
	rec, owner, err := store.Claim(ctx, fullKey, fingerprint(m.input))
	switch {
	case errors.Is(err, idempotency.ErrKeyReused):
		return zero, userError("%v: send a new key for a new request", err)
	case err != nil:
		return zero, err
	case !owner:
		return replay[P](rec)
	}

	// A panic below must not leave the key claimed: every retry would wait on it.
	completed := false
	defer func() {
		if !completed {
			store.Release(fullKey)
		}
	}()
	if rec.State == idempotency.Unknown && m.happened != nil {
		if p, ok, err := m.happened(ctx, me, rec.Started); err == nil && ok {
			completed = true
			store.Complete(fullKey, done(p))
			return p, nil
		}
	}
	p, err := write(ctx, me, m)
	completed = true
	var ue *upstream.Error
	switch {
	case err == nil:
		store.Complete(fullKey, done(p))
	case errors.As(err, &ue) && ue.OutcomeUnknown:
		store.Complete(fullKey, idempotency.Record{State: idempotency.Unknown, Started: rec.Started})
	case errors.As(err, &ue) && (ue.Kind == upstream.KindFailedOperation || ue.Kind == upstream.KindNotFound ||
		ue.Kind == upstream.KindInvalidInput):
		refusal, _ := json.Marshal(PresentError(ctx, err))
		store.Complete(fullKey, idempotency.Record{State: idempotency.Failed, Err: refusal})
	default: // not sent, or refused before WeDa saw it: a retry may run it
		store.Release(fullKey)
	}
	return p, err
}

func done[P any](p P) idempotency.Record {
	b, _ := json.Marshal(p)
	return idempotency.Record{State: idempotency.Done, Value: b}
}

// replay answers a repeat with the first attempt's result or refusal.
func replay[P any](rec idempotency.Record) (P, error) {
	var p P
	if rec.State == idempotency.Failed {
		var refusal gqlerror.Error
		if err := json.Unmarshal(rec.Err, &refusal); err != nil {
			return p, codeError(CodeInternal, "the first attempt's answer could not be read")
		}
		refusal.Path = nil // the presenter sets this request's path
		return p, &refusal
	}
	if err := json.Unmarshal(rec.Value, &p); err != nil {
		return p, codeError(CodeInternal, "the first attempt's answer could not be read")
	}
	return p, nil
}

// write runs the mutation and makes the request's later reads fresh.
func write[P any](ctx context.Context, me upstream.UserInfo, m mutation[P]) (P, error) {
	p, err := m.run(ctx, me)
	loader.For(ctx).Forget()
	return p, err
}

func idempotencyKey(ctx context.Context, clientMutationID *string) string {
	if clientMutationID != nil && *clientMutationID != "" {
		return *clientMutationID
	}
	return idempotency.HeaderKey(ctx)
}

// fingerprint identifies an input, clientMutationId aside, so a reused key with another input
// is caught.
func fingerprint(input any) string {
	b, _ := json.Marshal(input)
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		delete(m, "ClientMutationID")
		b, _ = json.Marshal(m)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// upstreamWrite runs a write as one upstream call of the request.
func upstreamWrite(ctx context.Context, fn func(ctx context.Context, c *upstream.Client) error) error {
	l := loader.For(ctx)
	return l.Do(ctx, func(ctx context.Context) error { return fn(ctx, l.Client()) })
}

func requireID(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fieldError(field, "is required")
	}
	return nil
}

func requireIDs(field string, ids []string, most int) error {
	if len(ids) == 0 {
		return fieldError(field, "needs at least one id")
	}
	if len(ids) > most {
		return fieldError(field, "takes at most %d ids", most)
	}
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			return fieldError(fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
		if slices.Contains(ids[:i], id) {
			return fieldError(field, "names %s twice", id)
		}
	}
	return nil
}

func toIDs(ids []string) []upstream.ID {
	out := make([]upstream.ID, len(ids))
	for i, id := range ids {
		out[i] = upstream.ID(id)
	}
	return out
}

// --- the mutations ---

func startFlowMutation(input model.StartFlowInput) mutation[*model.StartFlowPayload] {
	return mutation[*model.StartFlowPayload]{
		input: input, key: input.ClientMutationID,
		validate: func(me upstream.UserInfo) error {
			if err := requireID("processKey", input.ProcessKey); err != nil {
				return err
			}
			if (input.FlowCode == nil) != (input.FlowVersion == nil) {
				return fieldError("flowCode", "flowCode and flowVersion go together: send both, or neither for the latest")
			}
			if input.StartParameters != nil {
				if _, ok := input.StartParameters.(map[string]any); !ok {
					return fieldError("startParameters", "must be an object of variable names to values")
				}
			}
			return nil
		},
		run: func(ctx context.Context, me upstream.UserInfo) (*model.StartFlowPayload, error) {
			req := &upstream.StartFlowRequest{ProcessKey: input.ProcessKey, StartUser: me}
			if params, ok := input.StartParameters.(map[string]any); ok {
				req.StartParams = params
			}
			lookup := input.FlowCode == nil
			if lookup {
				f, err := deployedFlow(ctx, input.ProcessKey)
				if err != nil {
					return nil, err
				}
				req.FlowCode, req.FlowVersion = f.FlowCode, string(f.Version)
			} else {
				req.FlowCode, req.FlowVersion = upstream.ID(*input.FlowCode), *input.FlowVersion
			}
			var res *upstream.StartFlowResult
			start := func() error {
				return upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) (err error) {
					res, err = c.StartFlow(ctx, req)
					return err
				})
			}
			err := start()
			// A cached flow code goes stale when the flow is saved again. WeDa refused the start
			// outright (nothing happened), so look again and, if the code moved, send it once more.
			if shared := loader.For(ctx).Shared(); err != nil && lookup && shared != nil && errors.Is(err, upstream.ErrInvalidInput) {
				shared.InvalidateFlows()
				if f, ferr := deployedFlow(ctx, input.ProcessKey); ferr == nil && f.FlowCode != req.FlowCode {
					req.FlowCode, req.FlowVersion = f.FlowCode, string(f.Version)
					err = start()
				}
			}
			if err != nil {
				return nil, err
			}
			return &model.StartFlowPayload{ClientMutationID: input.ClientMutationID, InstanceID: string(res.FlowInstanceID),
				StarterTaskID: string(res.TaskID)}, nil
		},
		// The instance of this flow the viewer started since the first attempt, if any.
		happened: func(ctx context.Context, me upstream.UserInfo, since time.Time) (*model.StartFlowPayload, bool, error) {
			res, err := loader.For(ctx).Instances(ctx, upstream.FlowInstancesRequest{ProcessKey: input.ProcessKey,
				StartUserID: me.UserID, StartTime: since.Add(-time.Minute).UnixMilli(), PageSize: 1})
			if err != nil || len(res.Result) == 0 {
				return nil, false, err
			}
			inst := string(res.Result[0].InstanceID)
			p := &model.StartFlowPayload{ClientMutationID: input.ClientMutationID, InstanceID: inst}
			if tasks, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(inst), PageSize: 1}); err == nil && len(tasks.Result) > 0 {
				p.StarterTaskID = string(tasks.Result[0].TaskID)
			}
			return p, true, nil
		},
	}
}

// deployedFlow finds the current code and version of a flow by its process key.
func deployedFlow(ctx context.Context, processKey string) (*upstream.DeployedFlow, error) {
	flows, err := loader.For(ctx).Flows(ctx, upstream.FlowTypeApproval)
	if err != nil {
		return nil, err
	}
	for i, f := range flows.FlowSet {
		if f.ProcessKey != processKey {
			continue
		}
		if !f.Published && loader.For(ctx).Client().EnvFor(ctx) == upstream.EnvProd {
			return nil, fieldError("processKey", "flow %s is not published: it can start only in the pre environment", processKey)
		}
		return &flows.FlowSet[i], nil
	}
	e := codeError(CodeNotFound, "input.processKey: no deployed approval flow with processKey %s", processKey)
	e.Extensions["field"] = "input.processKey"
	return nil, e
}

var taskActions = map[model.TaskAction]int{model.TaskActionSubmit: upstream.ActionSubmit, model.TaskActionApprove: upstream.ActionApprove,
	model.TaskActionReject: upstream.ActionReject, model.TaskActionTransfer: upstream.ActionTransfer}

const maxComment = 2000

func completeTaskMutation(input model.CompleteTaskInput) mutation[*model.CompleteTaskPayload] {
	return mutation[*model.CompleteTaskPayload]{
		input: input, key: input.ClientMutationID,
		validate: func(me upstream.UserInfo) error {
			if err := requireID("taskId", input.TaskID); err != nil {
				return err
			}
			if _, ok := taskActions[input.Action]; !ok {
				return fieldError("action", "unknown action %s", input.Action)
			}
			transfer := input.Action == model.TaskActionTransfer
			switch {
			case transfer && (input.TransferTo == nil || strings.TrimSpace(*input.TransferTo) == ""):
				return fieldError("transferTo", "is required with TRANSFER")
			case !transfer && input.TransferTo != nil:
				return fieldError("transferTo", "goes only with TRANSFER")
			case transfer && *input.TransferTo == string(me.UserID):
				return fieldError("transferTo", "is the viewer: a task cannot be transferred to its own assignee")
			}
			if input.Comment != nil && utf8.RuneCountInString(*input.Comment) > maxComment {
				return fieldError("comment", "is longer than %d characters", maxComment)
			}
			if len(input.CcUserIds) > 0 {
				if err := requireIDs("ccUserIds", input.CcUserIds, 100); err != nil {
					return err
				}
			}
			var keys []string
			for i, p := range input.PageParameters {
				if strings.TrimSpace(p.Key) == "" {
					return fieldError(fmt.Sprintf("pageParameters[%d].key", i), "is empty")
				}
				if slices.Contains(keys, p.Key) {
					return fieldError("pageParameters", "names %s twice", p.Key)
				}
				keys = append(keys, p.Key)
			}
			return nil
		},
		run: func(ctx context.Context, me upstream.UserInfo) (*model.CompleteTaskPayload, error) {
			if _, err := ownTask(ctx, input.TaskID); err != nil {
				return nil, err
			}
			req := &upstream.CompleteTaskRequest{TaskID: upstream.ID(input.TaskID), ButtonAction: taskActions[input.Action],
				Comment: deref(input.Comment), Approver: me, CcUserIDs: toIDs(input.CcUserIds)}
			if input.TransferTo != nil {
				req.TurnToUser = &upstream.UserInfo{UserID: upstream.ID(*input.TransferTo), Type: upstream.SourceInternal}
			}
			if len(input.PageParameters) > 0 {
				req.PageParams = map[string]upstream.VariableInfo{}
				for _, p := range input.PageParameters {
					req.PageParams[p.Key] = upstream.VariableInfo{Type: p.Type, Value: p.Value}
				}
			}
			var res *upstream.CompleteTaskResult
			err := upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) (err error) {
				res, err = c.CompleteTask(ctx, req)
				return err
			})
			if err != nil {
				return nil, err
			}
			p := &model.CompleteTaskPayload{ClientMutationID: input.ClientMutationID, TaskID: input.TaskID,
				NextApproversRequired: bool(res.ToBeSubmittedFlowTaskFlag), NextApproverChoices: []*model.NextApproverChoice{}}
			for _, w := range res.ToBeSubmittedFlowTaskInfo {
				p.NextApproverChoices = append(p.NextApproverChoices, &model.NextApproverChoice{AssigneeID: string(w.Assignee),
					AssigneeName: model.Str(w.AssigneeName), PendingTaskID: string(w.WaitFlowTaskID)})
			}
			return p, nil
		},
		// The task is no longer waiting: the action took effect. Pending choices, if the next node
		// needs them, are the instance's tasks waiting to be submitted.
		happened: func(ctx context.Context, me upstream.UserInfo, _ time.Time) (*model.CompleteTaskPayload, bool, error) {
			t, err := taskByID(ctx, input.TaskID)
			if err != nil || t.Status == model.TaskStatusTodo || t.Status == model.TaskStatusDraft {
				return nil, false, err
			}
			p := &model.CompleteTaskPayload{ClientMutationID: input.ClientMutationID, TaskID: input.TaskID,
				NextApproverChoices: []*model.NextApproverChoice{}}
			waiting, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(t.InstanceID),
				TaskStatus: upstream.TaskToSubmit, PageSize: 100})
			if err != nil {
				return nil, false, err
			}
			for _, w := range waiting.Result {
				p.NextApproverChoices = append(p.NextApproverChoices, &model.NextApproverChoice{
					AssigneeID: string(w.TaskAssignee.UserID), PendingTaskID: string(w.TaskID)})
			}
			p.NextApproversRequired = len(p.NextApproverChoices) > 0
			return p, true, nil
		},
	}
}

// instanceWrite is a write whose payload is the instance it changed.
func instanceWrite(clientMutationID *string, input any, validate func(me upstream.UserInfo) error,
	run func(ctx context.Context, me upstream.UserInfo) (string, error),
	happened func(ctx context.Context, me upstream.UserInfo) (string, bool, error)) mutation[*model.InstancePayload] {
	m := mutation[*model.InstancePayload]{input: input, key: clientMutationID, validate: validate,
		run: func(ctx context.Context, me upstream.UserInfo) (*model.InstancePayload, error) {
			inst, err := run(ctx, me)
			if err != nil {
				return nil, err
			}
			return &model.InstancePayload{ClientMutationID: clientMutationID, InstanceID: inst}, nil
		}}
	if happened != nil {
		m.happened = func(ctx context.Context, me upstream.UserInfo, _ time.Time) (*model.InstancePayload, bool, error) {
			inst, ok, err := happened(ctx, me)
			if err != nil || !ok {
				return nil, false, err
			}
			return &model.InstancePayload{ClientMutationID: clientMutationID, InstanceID: inst}, true, nil
		}
	}
	return m
}

func stopFlowMutation(input model.StopFlowInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error { return requireID("instanceId", input.InstanceID) },
		func(ctx context.Context, me upstream.UserInfo) (string, error) {
			if _, err := instanceByID(ctx, input.InstanceID); err != nil {
				return "", err
			}
			return input.InstanceID, upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.StopFlow(ctx, &upstream.StopFlowRequest{InstanceID: upstream.ID(input.InstanceID), Operator: me,
					DeleteReason: deref(input.Reason)})
			})
		},
		func(ctx context.Context, _ upstream.UserInfo) (string, bool, error) {
			return instanceEnded(ctx, input.InstanceID)
		})
}

// instanceEnded reports whether an instance is no longer in progress (stopped, revoked, decided).
func instanceEnded(ctx context.Context, id string) (string, bool, error) {
	inst, err := instanceByID(ctx, id)
	if err != nil {
		return "", false, err
	}
	return inst.ID, inst.Status != model.InstanceStatusInProgress, nil
}

func submitNextApproversMutation(input model.SubmitNextApproversInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error { return requireIDs("pendingTaskIds", input.PendingTaskIds, 50) },
		func(ctx context.Context, _ upstream.UserInfo) (string, error) {
			pending, err := taskByID(ctx, input.PendingTaskIds[0])
			if err != nil {
				return "", err
			}
			err = upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.SubmitFlowTaskList(ctx, toIDs(input.PendingTaskIds))
			})
			return pending.InstanceID, err
		},
		func(ctx context.Context, _ upstream.UserInfo) (string, bool, error) {
			t, err := taskByID(ctx, input.PendingTaskIds[0])
			if err != nil {
				return "", false, err
			}
			return t.InstanceID, t.Status != model.TaskStatusToSubmit, nil
		})
}

func pressInstanceMutation(input model.PressInstanceInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error { return requireID("instanceId", input.InstanceID) },
		func(ctx context.Context, _ upstream.UserInfo) (string, error) {
			if _, err := instanceByID(ctx, input.InstanceID); err != nil {
				return "", err
			}
			return input.InstanceID, upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.PressTask(ctx, upstream.ID(input.InstanceID))
			})
		},
		// An urge leaves nothing the viewer can read back; after an unknown outcome it is not
		// sent again, as a second reminder costs the approver's daily quota.
		func(context.Context, upstream.UserInfo) (string, bool, error) { return input.InstanceID, true, nil })
}

func revokeTaskMutation(input model.RevokeTaskInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error {
			if err := requireID("taskId", input.TaskID); err != nil {
				return err
			}
			if input.As != model.RevokerRoleApprover && input.As != model.RevokerRoleStarter {
				return fieldError("as", "unknown role %s", input.As)
			}
			return nil
		},
		func(ctx context.Context, me upstream.UserInfo) (string, error) {
			kind := upstream.RevokeByApprover
			var task *model.Task
			var err error
			if input.As == model.RevokerRoleStarter {
				kind = upstream.RevokeByStarter
				if task, err = taskByID(ctx, input.TaskID); err != nil {
					return "", err
				}
				if task.StartUserID != string(me.UserID) {
					return "", codeError(CodeForbidden, "you did not start the instance of task %s", input.TaskID)
				}
			} else if task, err = ownTask(ctx, input.TaskID); err != nil {
				return "", err
			}
			return task.InstanceID, upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.Revoke(ctx, &upstream.RevokeRequest{TaskID: upstream.ID(input.TaskID), Revoker: me, RevokerType: kind})
			})
		},
		func(ctx context.Context, _ upstream.UserInfo) (string, bool, error) {
			t, err := taskByID(ctx, input.TaskID)
			if err != nil {
				return "", false, err
			}
			if input.As == model.RevokerRoleApprover {
				return t.InstanceID, t.Result == model.OperationActionRevoke, nil
			}
			return instanceEnded(ctx, t.InstanceID)
		})
}

func addCounterSignersMutation(input model.AddCounterSignersInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error {
			if err := requireID("taskId", input.TaskID); err != nil {
				return err
			}
			if slices.Contains(input.UserIds, string(me.UserID)) {
				return fieldError("userIds", "names the viewer, who already signs here")
			}
			return requireIDs("userIds", input.UserIds, 20)
		},
		func(ctx context.Context, me upstream.UserInfo) (string, error) {
			task, err := ownTask(ctx, input.TaskID)
			if err != nil {
				return "", err
			}
			return task.InstanceID, upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.AddCounterSignAssignee(ctx, &upstream.AddCounterSignRequest{TaskID: upstream.ID(input.TaskID),
					Approver: me, AssigneeIDs: toIDs(input.UserIds)})
			})
		},
		// Every added signer has an open task at the node.
		func(ctx context.Context, _ upstream.UserInfo) (string, bool, error) {
			t, err := taskByID(ctx, input.TaskID)
			if err != nil {
				return "", false, err
			}
			open, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(t.InstanceID),
				ElementIDs: []string{t.Node.ID}, TaskStatus: upstream.TaskTodo, PageSize: 100})
			if err != nil {
				return "", false, err
			}
			for _, id := range input.UserIds {
				if !slices.ContainsFunc(open.Result, func(o upstream.InstanceTask) bool { return string(o.TaskAssignee.UserID) == id }) {
					return t.InstanceID, false, nil
				}
			}
			return t.InstanceID, true, nil
		})
}

func rollBackTaskMutation(input model.RollBackTaskInput) mutation[*model.InstancePayload] {
	return instanceWrite(input.ClientMutationID, input,
		func(me upstream.UserInfo) error {
			if err := requireID("taskId", input.TaskID); err != nil {
				return err
			}
			return requireID("targetNodeId", input.TargetNodeID)
		},
		func(ctx context.Context, me upstream.UserInfo) (string, error) {
			task, err := ownTask(ctx, input.TaskID)
			if err != nil {
				return "", err
			}
			inst := task.InstanceID
			targets, err := loader.For(ctx).RollbackTargets(ctx, inst)
			if err != nil {
				return "", err
			}
			var target *upstream.RollbackTarget
			var names []string
			for i, t := range targets {
				names = append(names, string(t.ElementID))
				if string(t.ElementID) == input.TargetNodeID && (input.TargetTaskID == nil || string(t.ActTaskID) == *input.TargetTaskID) {
					target = &targets[i]
				}
			}
			if target == nil {
				return "", fieldError("targetNodeId", "%s is not one of the instance's rollback targets (%s)",
					input.TargetNodeID, strings.Join(names, ", "))
			}
			err = upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.RollBack(ctx, &upstream.RollBackRequest{UserInfo: me, TaskID: upstream.ID(input.TaskID),
					TargetNodeID: string(target.ElementID), TargetActTaskID: target.ActTaskID})
			})
			return inst, err
		},
		func(ctx context.Context, _ upstream.UserInfo) (string, bool, error) {
			t, err := taskByID(ctx, input.TaskID)
			if err != nil {
				return "", false, err
			}
			return t.InstanceID, t.Result == model.OperationActionRollback, nil
		})
}

func markMessagesMutation(input model.MarkMessagesInput) mutation[*model.MarkMessagesPayload] {
	return mutation[*model.MarkMessagesPayload]{
		input: input, key: input.ClientMutationID,
		validate: func(me upstream.UserInfo) error {
			return requireIDs("messageIds", input.MessageIds, upstream.MaxMessagesPage)
		},
		run: func(ctx context.Context, me upstream.UserInfo) (*model.MarkMessagesPayload, error) {
			status := map[model.ReadStatus]string{model.ReadStatusRead: upstream.MessageRead, model.ReadStatusUnread: upstream.MessageUnread}[input.Status]
			err := upstreamWrite(ctx, func(ctx context.Context, c *upstream.Client) error {
				return c.UpdateWorkflowMessageStatus(ctx, me, toIDs(input.MessageIds), status)
			})
			if err != nil {
				return nil, err
			}
			return &model.MarkMessagesPayload{ClientMutationID: input.ClientMutationID, MessageIDs: input.MessageIds}, nil
		},
		// Setting a status again is harmless: no check, the write is simply sent again.
	}
}

// messagesByID finds the viewer's messages with the given ids among their newest ones.
func messagesByID(ctx context.Context, ids []string) ([]*model.Message, error) {
	me, err := viewerInfo(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []*model.Message
	const pages = 5
	for page := 1; page <= pages && len(out) < len(ids); page++ {
		res, err := loader.For(ctx).Messages(ctx, upstream.MessagesRequest{UserInfo: me, PageNo: page, PageSize: upstream.MaxMessagesPage})
		if err != nil {
			return nil, err
		}
		for _, m := range res.ResponseList {
			if want[string(m.MessageID)] {
				out = append(out, toMessage(m))
			}
		}
		if len(res.ResponseList) < upstream.MaxMessagesPage {
			break
		}
	}
	return out, nil
}
