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

// Operation codes of a task's result [7] [8] that the effect checks read.
const (
	opRevoke   = 5
	opRollback = 6
)

// InstanceByID composes an instance from one of its tasks [7] and the detail behind it [9].
func (r *Request) InstanceByID(ctx context.Context, id string) (*Instance, error) {
	inst, err := r.instance(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.requireVisible(ctx, "flow instance", id, id, string(inst.Detail.StartUserID)); err != nil {
		return nil, err
	}
	return inst, nil
}

func (r *Request) instance(ctx context.Context, id string) (*Instance, error) {
	if strings.TrimSpace(id) == "" {
		return nil, fieldError("instanceId", "is required")
	}
	tasks, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(id), PageSize: 1})
	if errors.Is(err, upstream.ErrNotFound) || err == nil && len(tasks.Result) == 0 {
		return nil, notFound("flow instance", id)
	}
	if err != nil {
		return nil, err
	}
	detail, err := r.sess.DescribeProcessInstance(ctx, upstream.DescribeInstanceRequest{FlowTaskID: tasks.Result[0].TaskID,
		PageType: upstream.PageDone})
	if err != nil {
		return nil, err
	}
	return &Instance{Detail: detail, FlowName: string(tasks.Result[0].FlowName)}, nil
}

// TaskByID composes a task from the instance behind it [9] and the instance's tasks [7].
func (r *Request) TaskByID(ctx context.Context, id string) (*Task, error) {
	t, err := r.task(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.requireVisible(ctx, "task", id, string(t.InstanceID), t.StarterID); err != nil {
		return nil, err
	}
	return t, nil
}

func (r *Request) task(ctx context.Context, id string) (*Task, error) {
	if strings.TrimSpace(id) == "" {
		return nil, fieldError("taskId", "is required")
	}
	detail, err := r.sess.DescribeProcessInstance(ctx, upstream.DescribeInstanceRequest{FlowTaskID: upstream.ID(id),
		PageType: upstream.PageDone})
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, notFound("task", id)
	}
	if err != nil {
		return nil, err
	}
	tasks, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: detail.InstanceID,
		TaskIDs: []upstream.ID{upstream.ID(id)}})
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

// Box is a workbench box [12]: the page types of WeDa's workbench.
type Box string

// The boxes.
const (
	BoxTodo   Box = upstream.PageTodo
	BoxDone   Box = upstream.PageDone
	BoxCreate Box = upstream.PageCreate
	BoxCC     Box = upstream.PageCC
	BoxDraft  Box = upstream.PageDraft
)

// DescribeTask reads the instance behind a task as it shows in box [9]; the CC box is the
// actor's own. The task was reached through a lookup that applied the policy (its instance, a
// box of the actor's, a checked payload): its instance is as visible as the task, and is not
// checked again.
func (r *Request) DescribeTask(ctx context.Context, taskID string, box Box) (*upstream.ProcessInstance, error) {
	me := r.a.info()
	return r.sess.DescribeProcessInstance(ctx, upstream.DescribeInstanceRequest{FlowTaskID: upstream.ID(taskID),
		PageType: string(box), UserInfo: &me})
}

// MessagesByID finds the actor's messages with the given ids among their newest ones; ids that
// are not the actor's are simply absent.
func (r *Request) MessagesByID(ctx context.Context, ids []string) ([]upstream.Message, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []upstream.Message
	const pages = 5
	for page := 1; page <= pages && len(out) < len(want); page++ {
		res, err := r.sess.DescribeWorkflowMessages(ctx, upstream.MessagesRequest{UserInfo: r.a.info(), PageNo: page,
			PageSize: upstream.MaxMessagesPage})
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
