package workflow

import (
	"context"
	"errors"
	"strings"

	"github.com/wedagraph/gateway/upstream"
)

// Compositions for the lookups WeDa has no endpoint for. Each answers NOT_FOUND alike for what
// does not exist and for what the actor may not see.

// Instance is a flow instance as the detail endpoint [9] describes it.
type Instance struct {
	Detail   *upstream.ProcessInstance
	FlowName string
}

// Task is one task of an instance [7], with the instance's starter.
type Task struct {
	upstream.InstanceTask
	StarterID string
}

// Pending reports whether the task waits for its assignee.
func (t *Task) Pending() bool {
	return t.TaskStatus.Valid && t.TaskStatus.Value == upstream.TaskTodo
}

// approvedBy reports whether the task is an approval (or a handling) the user completed.
func (t *Task) approvedBy(userID string) bool {
	done := t.TaskStatus.Valid && t.TaskStatus.Value == upstream.TaskDone
	result := t.OperationResult.Valid && (t.OperationResult.Value == upstream.ActionApprove || t.OperationResult.Value == opHandle)
	return done && result && string(t.TaskAssignee.UserID) == userID
}

// opHandle is the operation code "handled" (办理), which some tables leave out.
const opHandle = 13

// InstanceByID composes an instance from one of its tasks [7] and the detail behind it [9].
func (s *Service) InstanceByID(ctx context.Context, a Actor, id string) (*Instance, error) {
	inst, err := s.instance(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.requireVisible(ctx, a, "flow instance", id, id, string(inst.Detail.StartUserID)); err != nil {
		return nil, err
	}
	return inst, nil
}

func (s *Service) instance(ctx context.Context, id string) (*Instance, error) {
	if strings.TrimSpace(id) == "" {
		return nil, fieldError("instanceId", "is required")
	}
	l := loaders(ctx)
	tasks, err := l.Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(id), PageSize: 1})
	if errors.Is(err, upstream.ErrNotFound) || err == nil && len(tasks.Result) == 0 {
		return nil, notFound("flow instance", id)
	}
	if err != nil {
		return nil, err
	}
	detail, err := l.Describe(ctx, upstream.DescribeInstanceRequest{FlowTaskID: tasks.Result[0].TaskID, PageType: upstream.PageDone})
	if err != nil {
		return nil, err
	}
	return &Instance{Detail: detail, FlowName: string(tasks.Result[0].FlowName)}, nil
}

// TaskByID composes a task from the instance behind it [9] and the instance's tasks [7].
func (s *Service) TaskByID(ctx context.Context, a Actor, id string) (*Task, error) {
	t, err := s.task(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.requireVisible(ctx, a, "task", id, string(t.InstanceID), t.StarterID); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) task(ctx context.Context, id string) (*Task, error) {
	if strings.TrimSpace(id) == "" {
		return nil, fieldError("taskId", "is required")
	}
	l := loaders(ctx)
	detail, err := l.Describe(ctx, upstream.DescribeInstanceRequest{FlowTaskID: upstream.ID(id), PageType: upstream.PageDone})
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, notFound("task", id)
	}
	if err != nil {
		return nil, err
	}
	tasks, err := l.Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: detail.InstanceID, TaskIDs: []upstream.ID{upstream.ID(id)}})
	if err != nil {
		return nil, err
	}
	for _, t := range tasks.Result {
		if string(t.TaskID) == id {
			return &Task{InstanceTask: t, StarterID: string(detail.StartUserID)}, nil
		}
	}
	return nil, notFound("task", id)
}

// InstanceStarter is the start-user filter a listing of instances runs with for the actor: an
// operator lists anyone's, with the filter asked for (maybe none); anyone else lists the ones
// they started (the rest of theirs are in their boxes), and asking for another's is FORBIDDEN,
// before any call.
func InstanceStarter(a Actor, asked string) (string, error) {
	if a.Operator {
		return asked, nil
	}
	if asked != "" && asked != a.UserID {
		return "", forbidden("only operators list instances others started; use viewer.workItems")
	}
	return a.UserID, nil
}

// requireVisible answers NOT_FOUND, exactly as for a missing object, when the actor may not see
// the instance.
func (s *Service) requireVisible(ctx context.Context, a Actor, what, id, instanceID, starterID string) error {
	ok, err := s.CanSee(ctx, a, instanceID, starterID)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(what, id)
	}
	return nil
}

// CanSee reports whether the actor may see an instance: an operator sees every one; a user the
// ones they started, hold a task in, or were copied on. The CC check reads the actor's own CC
// box rather than trusting WeDa to refuse a CC view, so it holds whatever WeDa checks.
func (s *Service) CanSee(ctx context.Context, a Actor, instanceID, starterID string) (bool, error) {
	if a.Operator || (starterID != "" && starterID == a.UserID) {
		return true, nil
	}
	me := a.info()
	l := loaders(ctx)
	mine, err := l.Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID), TaskAssignee: &me, PageSize: 1})
	if err != nil {
		return false, err
	}
	if len(mine.Result) > 0 {
		return true, nil
	}
	const ccPages, pageSize = 5, 200
	for page := 1; page <= ccPages; page++ {
		box, err := l.WorkItems(ctx, upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageCC, PageNumber: page, PageSize: pageSize})
		if err != nil {
			return false, err
		}
		for _, r := range box.Records {
			if string(r.InstanceID) == instanceID {
				return true, nil
			}
		}
		if len(box.Records) < pageSize {
			break
		}
	}
	return false, nil
}

// Messages finds the actor's messages with the given ids among their newest ones; ids that are
// not the actor's are simply absent.
func (s *Service) Messages(ctx context.Context, a Actor, ids []string) ([]upstream.Message, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []upstream.Message
	const pages = 5
	for page := 1; page <= pages && len(out) < len(want); page++ {
		res, err := loaders(ctx).Messages(ctx, upstream.MessagesRequest{UserInfo: a.info(), PageNo: page, PageSize: upstream.MaxMessagesPage})
		if err != nil {
			return nil, err
		}
		for _, m := range res.ResponseList {
			if want[string(m.MessageID)] {
				out = append(out, m)
			}
		}
		if len(res.ResponseList) < upstream.MaxMessagesPage {
			break
		}
	}
	return out, nil
}

// DeployedFlow finds the current code and version of a flow by its process key.
func (s *Service) DeployedFlow(ctx context.Context, processKey string) (*upstream.DeployedFlow, error) {
	flows, err := loaders(ctx).Flows(ctx, upstream.FlowTypeApproval)
	if err != nil {
		return nil, err
	}
	for i, f := range flows.FlowSet {
		if f.ProcessKey != processKey {
			continue
		}
		if !f.Published && env(ctx) == upstream.EnvProd {
			return nil, fieldError("processKey", "flow %s is not published: it can start only in the pre environment", processKey)
		}
		return &flows.FlowSet[i], nil
	}
	return nil, &Error{Code: CodeNotFound, Field: "processKey", Message: "no deployed approval flow with processKey " + processKey}
}
