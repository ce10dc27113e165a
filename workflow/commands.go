package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wedagraph/gateway/upstream"
)

// Each write: input checks, policy (policy.go), the write, and the check of its effect after an
// unknown outcome. All run through run (exactly_once.go).

func nothingToCheck() error { return nil }

// StartFlow starts an instance of a flow as the actor, finding the flow's current code and
// version from its process key when the input names none.
func (r *Request) StartFlow(ctx context.Context, key string, in StartFlow) (Started, error) {
	a := r.a
	return run(ctx, r, key, command[Started]{name: "startFlow", input: in,
		validate: func() error {
			if err := requireID("processKey", in.ProcessKey); err != nil {
				return err
			}
			if (in.FlowCode == nil) != (in.FlowVersion == nil) {
				return fieldError("flowCode", "flowCode and flowVersion go together: send both, or neither for the latest")
			}
			if in.StartParameters != nil {
				if _, ok := in.StartParameters.(map[string]any); !ok {
					return fieldError("startParameters", "must be an object of variable names to values")
				}
			}
			return nil
		},
		authorize: func(context.Context) error { return nil }, // WeDa decides who may start which flow
		write:     func(ctx context.Context) (Started, error) { return r.startFlow(ctx, in) },
		// The instance of this flow the actor started since the first attempt, if any.
		happened: func(ctx context.Context, since time.Time) (Started, bool, error) {
			res, err := r.sess.GetFlowInstances(ctx, upstream.FlowInstancesRequest{ProcessKey: in.ProcessKey,
				StartUserID: upstream.ID(a.UserID), StartTime: since.Add(-time.Minute).UnixMilli(), PageSize: 1})
			if err != nil || len(res.Result) == 0 {
				return Started{}, false, err
			}
			out := Started{InstanceID: string(res.Result[0].InstanceID)}
			tasks, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: res.Result[0].InstanceID, PageSize: 1})
			if err != nil {
				return Started{}, false, err
			}
			if len(tasks.Result) > 0 {
				out.StarterTaskID = string(tasks.Result[0].TaskID)
			}
			return out, true, nil
		},
	})
}

func (r *Request) startFlow(ctx context.Context, in StartFlow) (Started, error) {
	req := &upstream.StartFlowRequest{ProcessKey: in.ProcessKey, StartUser: r.a.info()}
	if params, ok := in.StartParameters.(map[string]any); ok {
		req.StartParams = params
	}
	lookup := in.FlowCode == nil
	if lookup {
		f, err := r.deployedFlow(ctx, in.ProcessKey)
		if err != nil {
			return Started{}, err
		}
		req.FlowCode, req.FlowVersion = f.FlowCode, string(f.Version)
	} else {
		req.FlowCode, req.FlowVersion = upstream.ID(*in.FlowCode), *in.FlowVersion
	}
	res, err := r.sess.StartFlow(ctx, req)
	// A cached flow code goes stale when the flow is saved again. WeDa refused the start
	// outright (nothing happened), so look again and, if the code moved, send it once more.
	if err != nil && lookup && errors.Is(err, upstream.ErrInvalidInput) {
		r.sess.InvalidateFlows()
		if f, ferr := r.deployedFlow(ctx, in.ProcessKey); ferr == nil && f.FlowCode != req.FlowCode {
			req.FlowCode, req.FlowVersion = f.FlowCode, string(f.Version)
			res, err = r.sess.StartFlow(ctx, req)
		}
	}
	if err != nil {
		return Started{}, err
	}
	return Started{InstanceID: string(res.FlowInstanceID), StarterTaskID: string(res.TaskID)}, nil
}

var buttonActions = map[Action]int{Submit: upstream.ActionSubmit, Approve: upstream.ActionApprove,
	Reject: upstream.ActionReject, Transfer: upstream.ActionTransfer}

// CompleteTask submits, approves, rejects or transfers the actor's pending task. When WeDa asks
// for the next approvers to be chosen, the choice is noted as the actor's (SubmitNextApprovers).
func (r *Request) CompleteTask(ctx context.Context, key string, in CompleteTask) (Completed, error) {
	a := r.a
	var task *Task
	return run(ctx, r, key, command[Completed]{name: "completeTask", input: in,
		validate: func() error { return validateCompletion(a, in) },
		authorize: func(ctx context.Context) (err error) {
			task, err = r.authorizeTask(ctx, "completeTask", in.TaskID)
			return err
		},
		write: func(ctx context.Context) (Completed, error) {
			req := &upstream.CompleteTaskRequest{TaskID: upstream.ID(in.TaskID), ButtonAction: buttonActions[in.Action],
				Comment: in.Comment, Approver: a.info(), CcUserIDs: toIDs(in.CcUserIDs)}
			if in.TransferTo != nil {
				req.TurnToUser = &upstream.UserInfo{UserID: upstream.ID(*in.TransferTo), Type: upstream.SourceInternal}
			}
			if len(in.PageParameters) > 0 {
				req.PageParams = map[string]upstream.VariableInfo{}
				for _, p := range in.PageParameters {
					req.PageParams[p.Key] = upstream.VariableInfo{Type: p.Type, Value: p.Value}
				}
			}
			res, err := r.sess.CompleteTask(ctx, req)
			if err != nil {
				return Completed{}, err
			}
			out := Completed{TaskID: in.TaskID, InstanceID: string(task.InstanceID),
				NextApproversRequired: bool(res.ToBeSubmittedFlowTaskFlag), Choices: []Choice{}}
			for _, w := range res.ToBeSubmittedFlowTaskInfo {
				out.Choices = append(out.Choices, Choice{PendingTaskID: string(w.WaitFlowTaskID), AssigneeID: string(w.Assignee),
					AssigneeName: optional(string(w.AssigneeName))})
			}
			r.noteChoices(ctx, out)
			return out, nil
		},
		// The task no longer waits: the action took effect. Pending choices, if the next node
		// needs them, are the instance's tasks waiting to be submitted.
		happened: func(ctx context.Context, _ time.Time) (Completed, bool, error) {
			t, err := r.task(ctx, in.TaskID)
			if err != nil || t.Pending() || t.TaskStatus.Value == upstream.TaskDraft {
				return Completed{}, false, err
			}
			out := Completed{TaskID: in.TaskID, InstanceID: string(t.InstanceID), Choices: []Choice{}}
			waiting, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: t.InstanceID,
				TaskStatus: upstream.TaskToSubmit, PageSize: 100})
			if err != nil {
				return Completed{}, false, err
			}
			for _, w := range waiting.Result {
				out.Choices = append(out.Choices, Choice{PendingTaskID: string(w.TaskID), AssigneeID: string(w.TaskAssignee.UserID)})
			}
			out.NextApproversRequired = len(out.Choices) > 0
			r.noteChoices(ctx, out)
			return out, true, nil
		},
	})
}

func validateCompletion(a Actor, in CompleteTask) error {
	if err := requireID("taskId", in.TaskID); err != nil {
		return err
	}
	if _, ok := buttonActions[in.Action]; !ok {
		return fieldError("action", "unknown action %s", in.Action)
	}
	transfer := in.Action == Transfer
	switch {
	case transfer && (in.TransferTo == nil || strings.TrimSpace(*in.TransferTo) == ""):
		return fieldError("transferTo", "is required with TRANSFER")
	case !transfer && in.TransferTo != nil:
		return fieldError("transferTo", "goes only with TRANSFER")
	case transfer && *in.TransferTo == a.UserID:
		return fieldError("transferTo", "is the viewer: a task cannot be transferred to its own assignee")
	}
	if utf8.RuneCountInString(in.Comment) > MaxComment {
		return fieldError("comment", "is longer than %d characters", MaxComment)
	}
	if len(in.CcUserIDs) > 0 {
		if err := requireIDs("ccUserIds", in.CcUserIDs, 100); err != nil {
			return err
		}
	}
	var keys []string
	for i, p := range in.PageParameters {
		if strings.TrimSpace(p.Key) == "" {
			return fieldError(fmt.Sprintf("pageParameters[%d].key", i), "is empty")
		}
		if slices.Contains(keys, p.Key) {
			return fieldError("pageParameters", "names %s twice", p.Key)
		}
		keys = append(keys, p.Key)
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

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
