package graph

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// Subscriptions map live topics to GraphQL events. A topic's snapshot is the JSON of the object
// the event carries (or, for an instance, of what a change is made of); each poll resolves it as a
// request of its own, with fresh loaders, detached from every subscriber.

// Live topics.
const (
	topicCounts        = "counts"
	topicMessageCounts = "messageCounts"
	topicMessages      = "messages"
	topicInstance      = "instance:" // + id
)

// subscribe starts a subscription of the viewer to topic, whose snapshots read decodes into events.
func subscribe[T any](ctx context.Context, r *Resolver, topic string, read func(ctx context.Context) (any, error),
	events func(ctx context.Context, snapshot []byte) ([]T, bool)) (<-chan T, error) {
	if r.Live == nil {
		return nil, codeError(CodeInternal, "subscriptions are off on this gateway")
	}
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	l := loader.For(ctx)
	env := l.Client().EnvFor(ctx)
	who, _ := auth.FromContext(ctx)
	viewer := a.UserID
	if a.Operator { // an operator's token sees more than the same user's ordinary one
		viewer += "+op"
	}
	source := func(pctx context.Context) ([]byte, error) {
		pctx = auth.WithViewer(upstream.WithEnvType(pctx, env), who)
		pctx = loader.With(pctx, l.Fresh())
		v, err := read(pctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	snapshots, err := r.Live.Subscribe(ctx, live.Key{Env: env, Viewer: viewer, Topic: topic}, source)
	switch {
	case errors.Is(err, live.ErrTooManyForViewer), errors.Is(err, live.ErrTooMany):
		return nil, codeError(CodeRateLimited, "%v: close a subscription first", err)
	case err != nil:
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		for snapshot := range snapshots {
			l.Renew() // each event is resolved as a request of its own
			evs, ok := events(ctx, snapshot)
			if !ok {
				return // the viewer may no longer see it: the subscription completes
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

// decode is the events function of a topic whose snapshot is the event itself.
func decode[T any](_ context.Context, snapshot []byte) ([]T, bool) {
	var v T
	if json.Unmarshal(snapshot, &v) != nil {
		return nil, true
	}
	return []T{v}, true
}

func (r *Resolver) viewerModel(ctx context.Context) (*model.Viewer, error) {
	me, err := viewerInfo(ctx)
	if err != nil {
		return nil, err
	}
	return &model.Viewer{ID: string(me.UserID), Source: me.Type}, nil
}

func (r *Resolver) subscribeCounts(ctx context.Context) (<-chan *model.WorkItemCounts, error) {
	v, err := r.viewerModel(ctx)
	if err != nil {
		return nil, err
	}
	return subscribe(ctx, r, topicCounts, func(ctx context.Context) (any, error) {
		return r.Viewer().WorkItemCounts(ctx, v)
	}, decode[*model.WorkItemCounts])
}

func (r *Resolver) subscribeMessageCounts(ctx context.Context) (<-chan []*model.MessageCount, error) {
	v, err := r.viewerModel(ctx)
	if err != nil {
		return nil, err
	}
	return subscribe(ctx, r, topicMessageCounts, func(ctx context.Context) (any, error) {
		return r.Viewer().MessageCounts(ctx, v, nil)
	}, decode[[]*model.MessageCount])
}

// newestMessages is how many of the newest messages a poll reads to find the new ones.
const newestMessages = 20

func (r *Resolver) subscribeMessages(ctx context.Context) (<-chan *model.Message, error) {
	v, err := r.viewerModel(ctx)
	if err != nil {
		return nil, err
	}
	first := newestMessages
	var seen map[string]bool // nil until the first snapshot, which only sets what is already there
	return subscribe(ctx, r, topicMessages, func(ctx context.Context) (any, error) {
		page, err := r.Viewer().Messages(ctx, v, nil, nil, nil, &first, nil)
		if err != nil {
			return nil, err
		}
		return page.Nodes, nil
	}, func(_ context.Context, snapshot []byte) ([]*model.Message, bool) {
		var newest []*model.Message
		if json.Unmarshal(snapshot, &newest) != nil {
			return nil, true
		}
		var fresh []*model.Message
		for _, m := range newest {
			if seen != nil && !seen[m.ID] {
				fresh = append(fresh, m)
			}
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		for _, m := range newest {
			seen[m.ID] = true
		}
		slices.Reverse(fresh) // oldest first, as they arrived
		return fresh, true
	})
}

// instanceState is what a change of an instance is made of: its status, its current node, and
// each task's status and assignee (not, say, how long a task has waited, which moves every poll).
type instanceState struct {
	Gone   bool        `json:"gone,omitempty"`
	Status string      `json:"status"`
	Node   string      `json:"node"`
	Tasks  [][4]string `json:"tasks"` // id, status, result, assignee
}

func (r *Resolver) subscribeInstance(ctx context.Context, id string) (<-chan *model.FlowInstance, error) {
	if _, err := r.instanceByID(ctx, id); err != nil { // who may not see it gets no subscription
		return nil, err
	}
	return subscribe(ctx, r, topicInstance+id, func(ctx context.Context) (any, error) {
		inst, err := r.instanceByID(ctx, id)
		if workflow.IsCode(err, workflow.CodeNotFound) {
			return instanceState{Gone: true}, nil // the viewer lost sight of it
		}
		if err != nil {
			return nil, err
		}
		tasks, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(id), PageSize: 100})
		if err != nil {
			return nil, err
		}
		st := instanceState{Status: string(inst.Status)}
		if inst.KnownNode != nil {
			st.Node = inst.KnownNode.ElementID
		}
		for _, t := range tasks.Result {
			st.Tasks = append(st.Tasks, [4]string{string(t.TaskID), string(taskStatus(t.TaskStatus)),
				string(action(t.OperationResult)), string(t.TaskAssignee.UserID)})
		}
		return st, nil
	}, func(ctx context.Context, snapshot []byte) ([]*model.FlowInstance, bool) {
		var st instanceState
		if json.Unmarshal(snapshot, &st) != nil || st.Gone {
			return nil, false
		}
		// The event is the instance as it is now, read with the connection's renewed loaders.
		inst, err := r.instanceByID(ctx, id)
		if err != nil {
			return nil, false
		}
		return []*model.FlowInstance{inst}, true
	})
}

// touched refreshes at once the topics a write through the gateway changed: the instance, for
// every viewer watching it, and the counts and messages of everyone with a part in it (the
// starter, the assignees past and present, the actor). It reads the instance's tasks once,
// detached from the request, so the mutation's answer does not wait for it.
func (r *Resolver) touched(ctx context.Context, instanceID string) {
	a, err := actor(ctx)
	if r.Live == nil || err != nil || !r.Live.Watched() {
		return // no one to tell: no read of the instance's tasks either
	}
	l := loader.For(ctx)
	env := l.Client().EnvFor(ctx)
	fresh := l.Fresh()
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.Client().Timeout())
		defer cancel()
		people := []string{a.UserID}
		if instanceID != "" {
			r.Live.Refresh(ctx, live.Key{Env: env, Viewer: live.AnyViewer, Topic: topicInstance + instanceID})
			pctx := loader.With(upstream.WithEnvType(ctx, env), fresh)
			if tasks, err := fresh.Tasks(pctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID), PageSize: 100}); err == nil {
				for _, t := range tasks.Result {
					people = append(people, string(t.TaskAssignee.UserID), string(t.FlowStartUser.UserID))
				}
			}
		}
		slices.Sort(people)
		for _, p := range slices.Compact(people) {
			for _, topic := range []string{topicCounts, topicMessageCounts, topicMessages} {
				r.Live.Refresh(ctx, live.Key{Env: env, Viewer: p, Topic: topic})
				r.Live.Refresh(ctx, live.Key{Env: env, Viewer: p + "+op", Topic: topic})
			}
		}
	}()
}
