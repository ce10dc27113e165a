package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/upstream"
)

// Watching: WeDa has no push API, so a subscription is a poll of a topic (package live: one
// poller per environment, watcher and topic, shared by every subscriber of that key), whose
// snapshot is the JSON of what a subscriber is told. A write through the gateway announces what
// it changed (Change), and the topics it touched are polled at once.

// Live topics.
const (
	topicCounts        = "counts"
	topicMessageCounts = "messageCounts"
	topicMessages      = "messages"
	topicInstance      = "instance:" // + its id
)

// Change is what a write changed: an instance, or none (the actor's own messages).
type Change struct{ InstanceID string }

func (s Started) change() Change   { return Change{InstanceID: s.InstanceID} }
func (c Completed) change() Change { return Change{InstanceID: c.InstanceID} }
func (c Changed) change() Change   { return Change(c) }

// changeOf is what a write's result says it changed.
func changeOf[R any](res R) Change {
	if c, ok := any(res).(interface{ change() Change }); ok {
		return c.change()
	}
	return Change{}
}

// watcher is the actor as a live key names them: an operator's token sees more than the same
// user's ordinary one, so the two do not share a poller.
func (a Actor) watcher() string {
	if a.Operator {
		return a.UserID + "+op"
	}
	return a.UserID
}

// announce refreshes at once the topics a write changed: the instance, for everyone watching it,
// and the counts and messages of everyone with a part in it (its starter, its assignees past and
// present, and the actor). It reads the instance's tasks once, on a session of its own and
// detached from the operation, so that the write's answer does not wait for it.
func (r *Request) announce(ctx context.Context, c Change) {
	engine := r.s.live
	if engine == nil || !engine.Watched() {
		return // no one to tell: no read of the instance's tasks either
	}
	env, a, sess := r.sess.Env(), r.a, r.sess.Sibling()
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sess.Timeout())
		defer cancel()
		people := []string{a.UserID}
		if c.InstanceID != "" {
			engine.Refresh(ctx, live.Key{Env: env, Viewer: live.AnyViewer, Topic: topicInstance + c.InstanceID})
			tasks, err := sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(c.InstanceID), PageSize: 100})
			if err == nil {
				for _, t := range tasks.Result {
					people = append(people, string(t.TaskAssignee.UserID), string(t.FlowStartUser.UserID))
				}
			}
		}
		slices.Sort(people)
		for _, p := range slices.Compact(people) {
			for _, topic := range []string{topicCounts, topicMessageCounts, topicMessages} {
				engine.Refresh(ctx, live.Key{Env: env, Viewer: p, Topic: topic})
				engine.Refresh(ctx, live.Key{Env: env, Viewer: p + "+op", Topic: topic})
			}
		}
	}()
}

// watch subscribes the actor to topic until ctx ends: each poll reads the topic with read, on a
// session of its own, and each changed snapshot becomes the events that events makes of it
// (false: the actor may no longer watch, and the subscription ends).
func watch[T any](ctx context.Context, r *Request, topic string, read func(context.Context, *Request) (any, error),
	events func(snapshot []byte) ([]T, bool)) (<-chan T, error) {
	if r.s.live == nil {
		return nil, errorf(CodeInternal, "subscriptions are off on this gateway")
	}
	source := func(pctx context.Context) ([]byte, error) {
		v, err := read(pctx, r.s.For(r.sess.Sibling(), r.a))
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	snapshots, err := r.s.live.Subscribe(ctx, live.Key{Env: r.sess.Env(), Viewer: r.a.watcher(), Topic: topic}, source)
	switch {
	case errors.Is(err, live.ErrTooManyForViewer), errors.Is(err, live.ErrTooMany):
		return nil, &Error{Code: CodeRateLimited, Err: err, Message: err.Error() + ": close a subscription first"}
	case err != nil:
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		for snapshot := range snapshots {
			evs, ok := events(snapshot)
			if !ok {
				return
			}
			for _, ev := range evs {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// decode is the events of a topic whose snapshot is the event itself.
func decode[T any](snapshot []byte) ([]T, bool) {
	var v T
	if json.Unmarshal(snapshot, &v) != nil {
		return nil, true
	}
	return []T{v}, true
}

// WatchCounts is the actor's box counts, now and whenever they change.
func (r *Request) WatchCounts(ctx context.Context) (<-chan Counts, error) {
	return watch(ctx, r, topicCounts, func(ctx context.Context, r *Request) (any, error) { return r.BoxCounts(ctx) },
		decode[Counts])
}

// WatchMessageCounts is the actor's message counts, now and whenever they change.
func (r *Request) WatchMessageCounts(ctx context.Context) (<-chan []upstream.MessageCount, error) {
	return watch(ctx, r, topicMessageCounts, func(ctx context.Context, r *Request) (any, error) { return r.MessageCounts(ctx) },
		decode[[]upstream.MessageCount])
}

// newestMessages is how many of the newest messages a poll reads to find the new ones.
const newestMessages = 20

// WatchMessages is each message the actor receives from now on, oldest first.
func (r *Request) WatchMessages(ctx context.Context) (<-chan upstream.Message, error) {
	var seen map[string]bool // nil until the first snapshot, which only sets what is already there
	return watch(ctx, r, topicMessages, func(ctx context.Context, r *Request) (any, error) {
		page, err := r.Messages(ctx, MessageFilter{}, Window{Limit: newestMessages})
		return page.Items, err
	}, func(snapshot []byte) ([]upstream.Message, bool) {
		var newest []upstream.Message
		if json.Unmarshal(snapshot, &newest) != nil {
			return nil, true
		}
		var fresh []upstream.Message
		for _, m := range newest {
			if seen != nil && !seen[string(m.MessageID)] {
				fresh = append(fresh, m)
			}
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		for _, m := range newest {
			seen[string(m.MessageID)] = true
		}
		slices.Reverse(fresh) // oldest first, as they arrived
		return fresh, true
	})
}

// instanceState is a watched instance's snapshot: the instance as a watcher is told it, and what
// a change is made of — its status, its current node, and each task's status, result and
// assignee; not, say, how long a task has waited, which moves every poll. Gone: the actor may no
// longer see it.
type instanceState struct {
	Gone     bool                      `json:"gone,omitempty"`
	Instance *upstream.ProcessInstance `json:"instance,omitempty"`
	FlowName string                    `json:"flowName,omitempty"`
	Tasks    [][4]string               `json:"tasks"` // id, status, result, assignee
}

// WatchInstance is an instance the actor may see (policy "watchInstance"): now, and whenever its
// status, current node or tasks change. It ends when the actor may no longer see it. Each event
// is the instance the poll read: it is not read again for each watcher.
func (r *Request) WatchInstance(ctx context.Context, id string) (<-chan *Instance, error) {
	if _, err := r.InstanceByID(ctx, id); err != nil { // who may not see it gets no subscription
		return nil, err
	}
	return watch(ctx, r, topicInstance+id, func(ctx context.Context, r *Request) (any, error) {
		return r.instanceState(ctx, id)
	}, func(snapshot []byte) ([]*Instance, bool) {
		var st instanceState
		if json.Unmarshal(snapshot, &st) != nil || st.Gone || st.Instance == nil {
			return nil, false
		}
		return []*Instance{{Detail: st.Instance, FlowName: st.FlowName}}, true
	})
}

func (r *Request) instanceState(ctx context.Context, id string) (instanceState, error) {
	inst, err := r.InstanceByID(ctx, id)
	if IsCode(err, CodeNotFound) {
		return instanceState{Gone: true}, nil
	}
	if err != nil {
		return instanceState{}, err
	}
	tasks, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(id), PageSize: 100})
	if err != nil {
		return instanceState{}, err
	}
	d := inst.Detail
	st := instanceState{FlowName: inst.FlowName, Instance: &upstream.ProcessInstance{InstanceID: d.InstanceID, Name: d.Name,
		Description: d.Description, StartedBy: d.StartedBy, StartUserID: d.StartUserID, StartTime: d.StartTime, EndTime: d.EndTime,
		IsCompleted: d.IsCompleted, CurrentNodeID: d.CurrentNodeID, CurrentNodeName: d.CurrentNodeName, FlowCode: d.FlowCode,
		FlowVersion: d.FlowVersion, Status: d.Status}}
	for _, t := range tasks.Result {
		st.Tasks = append(st.Tasks, [4]string{string(t.TaskID), codeString(t.TaskStatus), codeString(t.OperationResult),
			string(t.TaskAssignee.UserID)})
	}
	return st, nil
}

func codeString(c upstream.OptInt) string {
	if !c.Valid {
		return ""
	}
	return strconv.FormatInt(c.Value, 10)
}
