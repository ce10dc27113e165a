package workflow

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// instanceCall sends one write of the request as one upstream call.
func instanceCall(ctx context.Context, instanceID string, fn func(ctx context.Context, c *upstream.Client) error) (Changed, error) {
	l := loaders(ctx)
	err := l.Do(ctx, func(ctx context.Context) error { return fn(ctx, l.Client()) })
	return Changed{InstanceID: instanceID}, err
}

// ended reports whether an instance is no longer in progress (stopped, revoked, decided).
func (s *Service) ended(ctx context.Context, id string) (Changed, bool, error) {
	inst, err := s.instance(ctx, id)
	if err != nil {
		return Changed{}, false, err
	}
	st := inst.Detail.Status
	return Changed{InstanceID: id}, st.Valid && st.Value != upstream.InstanceInProgress, nil
}

// StopFlow terminates an instance: its starter's or an operator's decision.
func (s *Service) StopFlow(ctx context.Context, a Actor, key, instanceID, reason string) (Changed, error) {
	in := struct{ InstanceID, Reason string }{instanceID, reason}
	return run(ctx, s, a, key, command[Changed]{name: "stopFlow", input: in,
		validate: func() error { return requireID("instanceId", instanceID) },
		authorize: func(ctx context.Context) error {
			_, err := s.authorizeInstance(ctx, a, "stopFlow", instanceID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return instanceCall(ctx, instanceID, func(ctx context.Context, c *upstream.Client) error {
				return c.StopFlow(ctx, &upstream.StopFlowRequest{InstanceID: upstream.ID(instanceID), Operator: a.info(), DeleteReason: reason})
			})
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) { return s.ended(ctx, instanceID) },
	})
}

// PressInstance urges an instance's current approvers. PressTask carries no user, so the
// gateway alone decides who may urge: the starter or an operator.
func (s *Service) PressInstance(ctx context.Context, a Actor, key, instanceID string) (Changed, error) {
	return run(ctx, s, a, key, command[Changed]{name: "pressInstance", input: instanceID,
		validate: func() error { return requireID("instanceId", instanceID) },
		authorize: func(ctx context.Context) error {
			_, err := s.authorizeInstance(ctx, a, "pressInstance", instanceID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return instanceCall(ctx, instanceID, func(ctx context.Context, c *upstream.Client) error {
				return c.PressTask(ctx, upstream.ID(instanceID))
			})
		},
		// An urge leaves nothing to read back; after an unknown outcome it is not sent again, as a
		// second reminder costs the approvers' daily quota.
		happened: func(context.Context, time.Time) (Changed, bool, error) {
			return Changed{InstanceID: instanceID}, true, nil
		},
	})
}

// RevokeTask withdraws the actor's approval (as approver) or the whole instance (as starter).
func (s *Service) RevokeTask(ctx context.Context, a Actor, key, taskID string, as RevokeRole) (Changed, error) {
	in := struct {
		TaskID string
		As     RevokeRole
	}{taskID, as}
	action, kind := "revokeTask(APPROVER)", upstream.RevokeByApprover
	if as == AsStarter {
		action, kind = "revokeTask(STARTER)", upstream.RevokeByStarter
	}
	var task *Task
	return run(ctx, s, a, key, command[Changed]{name: "revokeTask", input: in,
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
			task, err = s.authorizeTask(ctx, a, action, taskID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return instanceCall(ctx, string(task.InstanceID), func(ctx context.Context, c *upstream.Client) error {
				return c.Revoke(ctx, &upstream.RevokeRequest{TaskID: upstream.ID(taskID), Revoker: a.info(), RevokerType: kind})
			})
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := s.task(ctx, taskID)
			if err != nil {
				return Changed{}, false, err
			}
			if as == AsApprover {
				revoked := t.OperationResult.Valid && t.OperationResult.Value == opRevoke
				return Changed{InstanceID: string(t.InstanceID)}, revoked, nil
			}
			return s.ended(ctx, string(t.InstanceID))
		},
	})
}

// Operation codes of a task's result [7] [8] that the effect checks read.
const (
	opRevoke   = 5
	opRollback = 6
)

// AddCounterSigners adds signers to the node of the actor's pending task.
func (s *Service) AddCounterSigners(ctx context.Context, a Actor, key, taskID string, userIDs []string) (Changed, error) {
	in := struct {
		TaskID  string
		UserIDs []string
	}{taskID, userIDs}
	var task *Task
	return run(ctx, s, a, key, command[Changed]{name: "addCounterSigners", input: in,
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
			task, err = s.authorizeTask(ctx, a, "addCounterSigners", taskID)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return instanceCall(ctx, string(task.InstanceID), func(ctx context.Context, c *upstream.Client) error {
				return c.AddCounterSignAssignee(ctx, &upstream.AddCounterSignRequest{TaskID: upstream.ID(taskID),
					Approver: a.info(), AssigneeIDs: toIDs(userIDs)})
			})
		},
		// Every added signer has an open task at the node.
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := s.task(ctx, taskID)
			if err != nil {
				return Changed{}, false, err
			}
			open, err := loaders(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: t.InstanceID,
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
func (s *Service) RollBackTask(ctx context.Context, a Actor, key string, in RollBack) (Changed, error) {
	var task *Task
	var target *upstream.RollbackTarget
	return run(ctx, s, a, key, command[Changed]{name: "rollBackTask", input: in,
		validate: func() error {
			if err := requireID("taskId", in.TaskID); err != nil {
				return err
			}
			return requireID("targetNodeId", in.TargetNodeID)
		},
		authorize: func(ctx context.Context) (err error) {
			if task, err = s.authorizeTask(ctx, a, "rollBackTask", in.TaskID); err != nil {
				return err
			}
			targets, err := loaders(ctx).RollbackTargets(ctx, string(task.InstanceID))
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
			return instanceCall(ctx, string(task.InstanceID), func(ctx context.Context, c *upstream.Client) error {
				return c.RollBack(ctx, &upstream.RollBackRequest{UserInfo: a.info(), TaskID: upstream.ID(in.TaskID),
					TargetNodeID: string(target.ElementID), TargetActTaskID: target.ActTaskID})
			})
		},
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			t, err := s.task(ctx, in.TaskID)
			if err != nil {
				return Changed{}, false, err
			}
			return Changed{InstanceID: string(t.InstanceID)}, t.OperationResult.Valid && t.OperationResult.Value == opRollback, nil
		},
	})
}

// MarkMessages sets the read status of the actor's own messages.
func (s *Service) MarkMessages(ctx context.Context, a Actor, key string, ids []string, read bool) ([]string, error) {
	in := struct {
		IDs  []string
		Read bool
	}{ids, read}
	status := upstream.MessageUnread
	if read {
		status = upstream.MessageRead
	}
	return run(ctx, s, a, key, command[[]string]{name: "markMessages", input: in,
		validate: func() error { return requireIDs("messageIds", ids, upstream.MaxMessagesPage) },
		authorize: func(ctx context.Context) error {
			mine, err := s.Messages(ctx, a, ids)
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
			l := loaders(ctx)
			err := l.Do(ctx, func(ctx context.Context) error {
				return l.Client().UpdateWorkflowMessageStatus(ctx, a.info(), toIDs(ids), status)
			})
			return ids, err
		},
		// Every message has the status asked for.
		happened: func(ctx context.Context, _ time.Time) ([]string, bool, error) {
			mine, err := s.Messages(ctx, a, ids)
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
