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
func (r *Request) noteChoices(ctx context.Context, c Completed) {
	for _, ch := range c.Choices {
		err := r.s.choiceOwners.Put(context.WithoutCancel(ctx), choiceKey(r.sess.Env(), ch.PendingTaskID), r.a.UserID+"\x00"+c.InstanceID)
		if err != nil {
			r.s.log.ErrorContext(ctx, "could not note a next-approver choice", "task", ch.PendingTaskID, "err", err)
		}
	}
}

// choiceInstance returns the instance of the actor's choices, refusing ids that are not theirs:
// NOT_FOUND when the actor may not see the instance (or there is no such choice), FORBIDDEN when
// they may see it but the choice is another's.
func (r *Request) choiceInstance(ctx context.Context, ids []string) (string, error) {
	a := r.a
	instance := ""
	for _, id := range ids {
		note, err := r.s.choiceOwners.Get(ctx, choiceKey(r.sess.Env(), id))
		if err != nil {
			return "", r.s.storeFailed(ctx, "choice", err)
		}
		owner, inst, ok := strings.Cut(note, "\x00")
		if !ok {
			return "", errorf(CodeNotFound, "no next-approver choice %s is waiting for you", id)
		}
		if owner != a.UserID {
			visible, err := r.participates(ctx, inst, "")
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
func (r *Request) SubmitNextApprovers(ctx context.Context, key string, pendingTaskIDs []string) (Changed, error) {
	var instance string
	return run(ctx, r, key, command[Changed]{name: "submitNextApprovers", input: pendingTaskIDs,
		validate: func() error { return requireIDs("pendingTaskIds", pendingTaskIDs, 50) },
		authorize: func(ctx context.Context) (err error) {
			instance, err = r.choiceInstance(ctx, pendingTaskIDs)
			return err
		},
		write: func(ctx context.Context) (Changed, error) {
			return changed(instance, r.sess.SubmitFlowTaskList(ctx, toIDs(pendingTaskIDs)))
		},
		// The chosen tasks no longer wait to be submitted.
		happened: func(ctx context.Context, _ time.Time) (Changed, bool, error) {
			inst, err := r.choiceInstance(ctx, pendingTaskIDs)
			if err != nil {
				return Changed{}, false, err
			}
			tasks, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(inst),
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
