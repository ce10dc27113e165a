package workflow

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// changed is a write's result: the instance it changed, or its error.
func changed(instanceID string, err error) (Changed, error) {
	return Changed{InstanceID: instanceID}, err
}

// ended reports whether an instance is no longer in progress (stopped, revoked, decided).
func (r *Request) ended(ctx context.Context, id string) (Changed, bool, error) {
	inst, err := r.instance(ctx, id)
	if err != nil {
		return Changed{}, false, err
	}
	st := inst.Detail.Status
	return Changed{InstanceID: id}, st.Valid && st.Value != upstream.InstanceInProgress, nil
}

// StopFlow terminates an instance: its starter's or an operator's decision.
func (r *Request) StopFlow(ctx context.Context, key, instanceID, reason string) (Changed, error) {
	in := struct{ InstanceID, Reason string }{instanceID, reason}
	return run(ctx, r, key, command[Changed]{name: "stopFlow", input: in,
		validate: func() error { return requireID("instanceId", instanceID) },
		authorize: func(ctx context.Context) error {
			_, err := r.authorizeInstance(ctx, "stopFlow", instanceID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(instanceID, r.sess.StopFlow(ctx, &upstream.StopFlowRequest{InstanceID: upstream.ID(instanceID),
				Operator: r.a.info(), DeleteReason: reason}))
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) { return r.ended(ctx, instanceID) },
	})
}

// PressInstance urges an instance's current approvers. PressTask carries no user, so the
// gateway alone decides who may urge: the starter or an operator.
func (r *Request) PressInstance(ctx context.Context, key, instanceID string) (Changed, error) {
	return run(ctx, r, key, command[Changed]{name: "pressInstance", input: instanceID,
		validate: func() error { return requireID("instanceId", instanceID) },
		authorize: func(ctx context.Context) error {
			_, err := r.authorizeInstance(ctx, "pressInstance", instanceID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(instanceID, r.sess.PressTask(ctx, instanceID))
		},
		// An urge leaves nothing to read back; after an unknown outcome it is not sent again, as a
		// second reminder costs the approvers' daily quota.
		happened: func(context.Context, time.Time) (Changed, bool, error) {
			return Changed{InstanceID: instanceID}, true, nil
		},
	})
}

// RevokeTask withdraws the actor's approval (as approver) or the whole instance (as starter).
func (r *Request) RevokeTask(ctx context.Context, key, taskID string, as RevokeRole) (Changed, error) {
	in := struct {
		TaskID string
		As     RevokeRole
	}{taskID, as}
	action, kind := "revokeTask(APPROVER)", upstream.RevokeByApprover
	if as == AsStarter {
		action, kind = "revokeTask(STARTER)", upstream.RevokeByStarter
	}
	var task *Task
	return run(ctx, r, key, command[Changed]{name: "revokeTask", input: in,
		validate: func() error {
			if err := requireID("taskId", taskID); err != nil {
				return err
			}
			if as != AsApprover && as != AsStarter {
				return fieldError("as", "unknown role %s", as)
			}
			return nil
		},
		authorize: func(ctx context.Context) (err error) {
			task, err = r.authorizeTask(ctx, action, taskID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(string(task.InstanceID), r.sess.Revoke(ctx, &upstream.RevokeRequest{TaskID: upstream.ID(taskID),
				Revoker: r.a.info(), RevokerType: kind}))
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := r.task(ctx, taskID)
			if err != nil {
				return Changed{}, false, err
			}
			if as == AsApprover {
				revoked := t.OperationResult.Valid && t.OperationResult.Value == opRevoke
				return Changed{InstanceID: string(t.InstanceID)}, revoked, nil
			}
			return r.ended(ctx, string(t.InstanceID))
		},
	})
}

// AddCounterSigners adds signers to the node of the actor's pending task.
func (r *Request) AddCounterSigners(ctx context.Context, key, taskID string, userIDs []string) (Changed, error) {
	a := r.a
	in := struct {
		TaskID  string
		UserIDs []string
	}{taskID, userIDs}
	var task *Task
	return run(ctx, r, key, command[Changed]{name: "addCounterSigners", input: in,
		validate: func() error {
			if err := requireID("taskId", taskID); err != nil {
				return err
			}
			if slices.Contains(userIDs, a.UserID) {
				return fieldError("userIds", "names the viewer, who already signs here")
			}
			return requireIDs("userIds", userIDs, 20)
		},
		authorize: func(ctx context.Context) (err error) {
			task, err = r.authorizeTask(ctx, "addCounterSigners", taskID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(string(task.InstanceID), r.sess.AddCounterSignAssignee(ctx, &upstream.AddCounterSignRequest{
				TaskID: upstream.ID(taskID), Approver: a.info(), AssigneeIDs: toIDs(userIDs)}))
		},
		// Every added signer has an open task at the node.
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := r.task(ctx, taskID)
			if err != nil {
				return Changed{}, false, err
			}
			open, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: t.InstanceID,
				ElementIDs: []string{string(t.ElementID)}, TaskStatus: upstream.TaskTodo, PageSize: 100})
			if err != nil {
				return Changed{}, false, err
			}
			for _, id := range userIDs {
				if !slices.ContainsFunc(open.Result, func(o upstream.InstanceTask) bool { return string(o.TaskAssignee.UserID) == id }) {
					return Changed{InstanceID: string(t.InstanceID)}, false, nil
				}
			}
			return Changed{InstanceID: string(t.InstanceID)}, true, nil
		},
	})
}

// RollBackTask sends the instance of the actor's pending task back to one of its rollback targets.
func (r *Request) RollBackTask(ctx context.Context, key string, in RollBack) (Changed, error) {
	var task *Task
	var target *upstream.RollbackTarget
	return run(ctx, r, key, command[Changed]{name: "rollBackTask", input: in,
		validate: func() error {
			if err := requireID("taskId", in.TaskID); err != nil {
				return err
			}
			return requireID("targetNodeId", in.TargetNodeID)
		},
		authorize: func(ctx context.Context) (err error) {
			if task, err = r.authorizeTask(ctx, "rollBackTask", in.TaskID); err != nil {
				return err
			}
			targets, err := r.sess.GetPreElementList(ctx, string(task.InstanceID))
			if err != nil {
				return err
			}
			var names []string
			for i, t := range targets {
				names = append(names, string(t.ElementID))
				if string(t.ElementID) == in.TargetNodeID && (in.TargetTaskID == nil || string(t.ActTaskID) == *in.TargetTaskID) {
					target = &targets[i]
				}
			}
			if target == nil {
				return fieldError("targetNodeId", "%s is not one of the instance's rollback targets (%s)",
					in.TargetNodeID, strings.Join(names, ", "))
			}
			return nil
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(string(task.InstanceID), r.sess.RollBack(ctx, &upstream.RollBackRequest{UserInfo: r.a.info(),
				TaskID: upstream.ID(in.TaskID), TargetNodeID: string(target.ElementID), TargetActTaskID: target.ActTaskID}))
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := r.task(ctx, in.TaskID)
			if err != nil {
				return Changed{}, false, err
			}
			return Changed{InstanceID: string(t.InstanceID)}, t.OperationResult.Valid && t.OperationResult.Value == opRollback, nil
		},
	})
}

// MarkMessages sets the read status of the actor's own messages.
func (r *Request) MarkMessages(ctx context.Context, key string, ids []string, read bool) ([]string, error) {
	in := struct {
		IDs  []string
		Read bool
	}{ids, read}
	status := upstream.MessageUnread
	if read {
		status = upstream.MessageRead
	}
	return run(ctx, r, key, command[[]string]{name: "markMessages", input: in,
		validate: func() error { return requireIDs("messageIds", ids, upstream.MaxMessagesPage) },
		authorize: func(ctx context.Context) error {
			mine, err := r.MessagesByID(ctx, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if !slices.ContainsFunc(mine, func(m upstream.Message) bool { return string(m.MessageID) == id }) {
					return notFound("message", id)
				}
			}
			return nil
		},
		write: func(ctx context.Context) ([]string, error) {
			return ids, r.sess.UpdateWorkflowMessageStatus(ctx, r.a.info(), toIDs(ids), status)
		},
		// Every message has the status asked for.
		happened: func(ctx context.Context, _ time.Time) ([]string, bool, error) {
			mine, err := r.MessagesByID(ctx, ids)
			if err != nil {
				return nil, false, err
			}
			for _, m := range mine {
				if string(m.Status) != status {
					return nil, false, nil
				}
			}
			return ids, len(mine) == len(ids), nil
		},
	})
}
