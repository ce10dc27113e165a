package workflow

import (
	"context"
	"fmt"

	"github.com/wedagraph/gateway/upstream"
)

// The policy's rules that need a read to decide: who takes part in an instance, whose task it
// is. Each answers for the Request's actor.

// requireVisible answers NOT_FOUND, exactly as for a missing object, when the actor may not see
// the instance.
func (r *Request) requireVisible(ctx context.Context, what, id, instanceID, starterID string) error {
	ok, err := r.participates(ctx, instanceID, starterID)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(what, id)
	}
	return nil
}

// participates reports whether the actor is a Participant of an instance: an operator, its
// starter, the holder of a task in it (pending or past), or copied on it. The CC check reads the
// actor's own CC box rather than trusting WeDa to refuse a CC view, so it holds whatever WeDa
// checks.
func (r *Request) participates(ctx context.Context, instanceID, starterID string) (bool, error) {
	a := r.a
	if a.Operator || (starterID != "" && starterID == a.UserID) {
		return true, nil
	}
	me := a.info()
	mine, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID),
		TaskAssignee: &me, PageSize: 1})
	if err != nil {
		return false, err
	}
	if len(mine.Result) > 0 {
		return true, nil
	}
	const ccPages, pageSize = 5, 200
	for page := 1; page <= ccPages; page++ {
		box, err := r.sess.ListProcessInstances(ctx, upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageCC,
			PageNumber: page, PageSize: pageSize})
		if err != nil {
			return false, err
		}
		for _, w := range box.Records {
			if string(w.InstanceID) == instanceID {
				return true, nil
			}
		}
		if len(box.Records) < pageSize {
			break
		}
	}
	return false, nil
}

// authorizeTask checks the actor's part in a task for action and returns the task.
func (r *Request) authorizeTask(ctx context.Context, action, taskID string) (*Task, error) {
	t, err := r.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	a := r.a
	switch who := RuleFor(action).Who; who {
	case PendingAssignee:
		if string(t.TaskAssignee.UserID) != a.UserID {
			return nil, forbidden("task %s is not assigned to you", taskID)
		}
		if !t.Pending() {
			return nil, forbidden("task %s is not waiting for you: it is already done or closed", taskID)
		}
	case OwnApproval:
		if string(t.TaskAssignee.UserID) != a.UserID {
			return nil, forbidden("task %s is not an approval of yours to withdraw", taskID)
		}
		if err := r.wedaOffersRevoke(ctx, taskID, BoxDone); err != nil {
			return nil, err
		}
	case Starter:
		if t.StarterID != a.UserID {
			return nil, forbidden("you did not start the instance of task %s", taskID)
		}
		if err := r.wedaOffersRevoke(ctx, taskID, BoxCreate); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("workflow: %s is not a task action", action)
	}
	return t, nil
}

// authorizeInstance checks the actor's part in an instance for action.
func (r *Request) authorizeInstance(ctx context.Context, action, instanceID string) (*Instance, error) {
	inst, err := r.InstanceByID(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	a := r.a
	starter := string(inst.Detail.StartUserID) == a.UserID
	switch who := RuleFor(action).Who; {
	case who == Starter && starter, who == StarterOrOperator && (starter || a.Operator):
		return inst, nil
	case who == Starter || who == StarterOrOperator:
		return nil, forbidden("only the starter of flow instance %s (or an operator) may do this", instanceID)
	}
	return nil, fmt.Errorf("workflow: %s is not an instance action", action)
}

// listedStarter is the start-user filter a listing of instances runs with for the actor: an
// operator lists anyone's, with the filter asked for (maybe none); anyone else lists the ones
// they started (the rest of theirs are in their boxes), and asking for another's is FORBIDDEN,
// before any call.
func (a Actor) listedStarter(asked string) (string, error) {
	switch {
	case a.Operator:
		return asked, nil
	case asked != "" && !a.allows("listInstances", asked):
		return "", forbidden("only operators list instances others started; use viewer.workItems")
	}
	return a.UserID, nil
}

// wedaOffersRevoke asks WeDa itself whether the actor may revoke the task as it shows in box (the
// approver's DONE record, the starter's CREATE record): CanRevoke of [9] 查询流程实例详情, which
// WeDa sets for the viewer from the nodes' revoke settings. The vendor's document leaves the codes
// a completed task's result may carry undefined (its example gives an approval OperationResult 1),
// so the gateway does not derive the answer from them.
func (r *Request) wedaOffersRevoke(ctx context.Context, taskID string, box Box) error {
	detail, err := r.DescribeTask(ctx, taskID, box)
	if err != nil {
		return err
	}
	if !bool(detail.CanRevoke) {
		return forbidden("WeDa offers no revoke of task %s to you now (its flow or node does not allow it, or the "+
			"instance has moved on)", taskID)
	}
	return nil
}
