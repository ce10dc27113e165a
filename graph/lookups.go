package graph

import (
	"context"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// The domain's lookups as the graph's models, and the users (the one loader the graph calls
// itself: the batcher).

// instanceByID is the domain's composed lookup of an instance, policy applied.
func (r *Resolver) instanceByID(ctx context.Context, id string) (*model.FlowInstance, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := req.InstanceByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return toInstance(inst), nil
}

// instanceDetail is obj itself when it knows what is asked (need false), else its detail,
// read through the domain's lookup.
func (r *Resolver) instanceDetail(ctx context.Context, obj *model.FlowInstance, need bool) (*model.FlowInstance, error) {
	if !need {
		return obj, nil
	}
	return r.instanceByID(ctx, obj.ID)
}

// taskByID is the domain's composed lookup of a task, policy applied.
func (r *Resolver) taskByID(ctx context.Context, id string) (*model.Task, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	t, err := req.TaskByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return toTask(&t.InstanceTask), nil
}

// taskInstance is the instance behind a task the viewer reached (workflow.Request.DescribeTask).
func (r *Resolver) taskInstance(ctx context.Context, taskID string, flowName *string) (*model.FlowInstance, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	detail, err := req.DescribeTask(ctx, taskID, boxes[model.WorkBoxDone])
	if err != nil {
		return nil, err
	}
	inst := fromProcessInstance(detail)
	if flowName != nil {
		inst.FlowName = flowName
	}
	return inst, nil
}

// instances lists the instances the viewer may list, under a flow (processKey) or not ("").
func (r *Resolver) instances(ctx context.Context, processKey string, filter *model.InstanceFilter, order *model.InstanceOrder,
	first *int, after *string) (*model.FlowInstanceConnection, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	f, matches, err := instanceFilter(processKey, filter)
	if err != nil {
		return nil, err
	}
	c, err := connection(first, after, 20, 100, func(w workflow.Window) (workflow.Page[upstream.FlowInstance], error) {
		if !matches {
			return workflow.Page[upstream.FlowInstance]{}, nil
		}
		return req.Instances(ctx, f, instanceOrder(order), w)
	}, func(row *upstream.FlowInstance) *model.FlowInstance { return fromInstanceRow(*row) }, func(c string, n *model.FlowInstance) *model.FlowInstanceEdge {
		return &model.FlowInstanceEdge{Cursor: c, Node: n}
	})
	return &model.FlowInstanceConnection{Nodes: c.Nodes, Edges: c.Edges, PageInfo: c.PageInfo, TotalCount: c.TotalCount}, err
}

// messageCounts are the viewer's message counts, of one type or both.
func (r *Resolver) messageCounts(ctx context.Context, typeArg *model.MessageType) ([]*model.MessageCount, error) {
	req, err := r.request(ctx)
	if err != nil {
		return nil, err
	}
	t, err := messageTypeCode(typeArg, "counted")
	if err != nil {
		return nil, err
	}
	var types []int
	if t != nil {
		types = []int{*t}
	}
	counts, err := req.MessageCounts(ctx, types...)
	if err != nil {
		return nil, err
	}
	return toMessageCounts(req.Actor().UserID, counts), nil
}

// contact shows a user's email or phone where the policy allows ("seeContact").
func (r *Resolver) contact(ctx context.Context, u *model.User, value *string) (*string, error) {
	req, err := r.request(ctx)
	if err != nil || !req.ContactVisible(u.ID) {
		return nil, nil
	}
	return value, nil
}

func userByID(ctx context.Context, id string) (*model.User, error) {
	u, err := users(ctx).User(ctx, id)
	if err != nil {
		return nil, err
	}
	return toUser(u), nil
}

func usersByID(ctx context.Context, ids []string) ([]*model.User, error) {
	us, err := users(ctx).Users(ctx, ids)
	if err != nil {
		return nil, err
	}
	return toUsers(us), nil
}

// viewerUser is the viewer's own user record. A user an instance mentions may be gone, and reads
// as null; the viewer may not: a request that names its viewer by anything but a WeDa user id (a
// login name, say) hears so instead of reading null.
func viewerUser(ctx context.Context, id string) (*model.User, error) {
	u, err := userByID(ctx, id)
	if err == nil && u == nil {
		return nil, codeError(CodeNotFound, "no WeDa user has the viewer's id %q: name the viewer by a WeDa user id "+
			"(19 digits, not a login name) in the %s header or the token's user claim", id, auth.UserIDHeader)
	}
	return u, err
}
