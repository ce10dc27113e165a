package workflow

import (
	"context"
	"strings"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// The next-approver choice [4] → [14] belongs to whoever completed the task that asked for it.
// SubmitFlowTaskList carries no user, so WeDa cannot check that: the gateway notes, in the store
// the replicas share, whose completion produced each pending task, and submits only the actor's.

func choiceKey(env, pendingTaskID string) string { return "choice\x00" + env + "\x00" + pendingTaskID }

// noteChoices records the actor's pending choices. A failure is logged: the write it follows
// happened, and the actor can still finish in WeDa's own workbench.
func (s *Service) noteChoices(ctx context.Context, a Actor, c Completed) {
	for _, ch := range c.Choices {
		if err := s.notes.Put(context.WithoutCancel(ctx), choiceKey(env(ctx), ch.PendingTaskID), a.UserID+"\x00"+c.InstanceID); err != nil {
			s.log.ErrorContext(ctx, "could not note a next-approver choice", "task", ch.PendingTaskID, "err", err)
		}
	}
}

// choiceInstance returns the instance of the actor's choices, refusing ids that are not theirs:
// NOT_FOUND when the actor may not see the instance (or there is no such choice), FORBIDDEN when
// they may see it but the choice is another's.
func (s *Service) choiceInstance(ctx context.Context, a Actor, ids []string) (string, error) {
	instance := ""
	for _, id := range ids {
		note, err := s.notes.Get(ctx, choiceKey(env(ctx), id))
		if err != nil {
			return "", s.storeFailed(ctx, "choice", err)
		}
		owner, inst, ok := strings.Cut(note, "\x00")
		if !ok {
			return "", errorf(CodeNotFound, "no next-approver choice %s is waiting for you", id)
		}
		if owner != a.UserID {
			visible, err := s.CanSee(ctx, a, inst, "")
			if err != nil {
				return "", err
			}
			if !visible {
				return "", errorf(CodeNotFound, "no next-approver choice %s is waiting for you", id)
			}
			return "", forbidden("the choice %s belongs to whoever completed the task before it", id)
		}
		if instance != "" && inst != instance {
			return "", fieldError("pendingTaskIds", "names tasks of two instances (%s, %s): submit one instance's choice at a time", instance, inst)
		}
		instance = inst
	}
	return instance, nil
}

// SubmitNextApprovers submits the pending tasks the actor's completion offered [14].
func (s *Service) SubmitNextApprovers(ctx context.Context, a Actor, key string, pendingTaskIDs []string) (Changed, error) {
	var instance string
	return run(ctx, s, a, key, command[Changed]{name: "submitNextApprovers", input: pendingTaskIDs,
		validate: func() error { return requireIDs("pendingTaskIds", pendingTaskIDs, 50) },
		authorize: func(ctx context.Context) (err error) {
			instance, err = s.choiceInstance(ctx, a, pendingTaskIDs)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return instanceCall(ctx, instance, func(ctx context.Context, c *upstream.Client) error {
				return c.SubmitFlowTaskList(ctx, toIDs(pendingTaskIDs))
			})
		},
		// The chosen tasks no longer wait to be submitted.
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			inst, err := s.choiceInstance(ctx, a, pendingTaskIDs)
			if err != nil {
				return Changed{}, false, err
			}
			tasks, err := loaders(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(inst),
				TaskIDs: toIDs(pendingTaskIDs), PageSize: len(pendingTaskIDs)})
			if err != nil {
				return Changed{}, false, err
			}
			for _, t := range tasks.Result {
				if t.TaskStatus.Valid && t.TaskStatus.Value == upstream.TaskToSubmit {
					return Changed{InstanceID: inst}, false, nil
				}
			}
			return Changed{InstanceID: inst}, true, nil
		},
	})
}
