package graph

import (
	"context"
	"strings"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// The graph's side of lookups: the viewer, the domain's compositions (package workflow) as models,
// and small shared helpers.

// viewerInfo is the calling user as an upstream UserInfo, or UNAUTHENTICATED.
func viewerInfo(ctx context.Context) (upstream.UserInfo, error) {
	v, ok := auth.FromContext(ctx)
	if !ok {
		return upstream.UserInfo{}, codeError(CodeUnauthenticated,
			"this field acts as a user: authenticate the request (in development, send the %s header)", auth.UserIDHeader)
	}
	return upstream.UserInfo{UserID: upstream.ID(v.UserID), Type: v.Source}, nil
}

var boxPageTypes = map[model.WorkBox]string{
	model.WorkBoxTodo: upstream.PageTodo, model.WorkBoxDone: upstream.PageDone, model.WorkBoxCreate: upstream.PageCreate,
	model.WorkBoxCc: upstream.PageCC, model.WorkBoxDraft: upstream.PageDraft,
}

// describeTask reads the instance behind a task as box sees it; the CC box needs the viewer.
func describeTask(ctx context.Context, taskID string, box model.WorkBox) (*upstream.ProcessInstance, error) {
	req := upstream.DescribeInstanceRequest{FlowTaskID: upstream.ID(taskID), PageType: boxPageTypes[box]}
	if me, err := viewerInfo(ctx); err == nil {
		req.UserInfo = &me
	} else if box == model.WorkBoxCc {
		return nil, err
	}
	return loader.For(ctx).Describe(ctx, req)
}

// actor is the viewer as the domain layer's Actor, or UNAUTHENTICATED.
func actor(ctx context.Context) (workflow.Actor, error) {
	v, ok := auth.FromContext(ctx)
	if !ok {
		_, err := viewerInfo(ctx)
		return workflow.Actor{}, err
	}
	return workflow.Actor{UserID: v.UserID, Source: v.Source, Operator: v.Admin}, nil
}

// instanceByID is the domain's composed lookup, as the graph's model.
func (r *Resolver) instanceByID(ctx context.Context, id string) (*model.FlowInstance, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := r.Workflow.InstanceByID(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := fromProcessInstance(inst.Detail)
	out.FlowName = model.Str(upstream.Text(inst.FlowName))
	return out, nil
}

// taskByID is the domain's composed lookup, as the graph's model.
func (r *Resolver) taskByID(ctx context.Context, id string) (*model.Task, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	t, err := r.Workflow.TaskByID(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return toTask(t.InstanceTask), nil
}

// requireAdmin refuses an ordinary viewer.
func requireAdmin(ctx context.Context, what string) error {
	v, ok := auth.FromContext(ctx)
	if !ok {
		_, err := viewerInfo(ctx)
		return err
	}
	if !v.Admin {
		return codeError(CodeForbidden, "%s is for operators (the admin role)", what)
	}
	return nil
}

// instanceDetail fills what a list left out of an instance (starter id, current node).
func (r *Resolver) instanceDetail(ctx context.Context, obj *model.FlowInstance) (*model.FlowInstance, error) {
	return r.instanceByID(ctx, obj.ID)
}

// messagesByID finds the viewer's messages with the given ids among their newest ones.
func (r *Resolver) messagesByID(ctx context.Context, ids []string) ([]*model.Message, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	found, err := r.Workflow.Messages(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Message, 0, len(found))
	for _, m := range found {
		out = append(out, toMessage(m))
	}
	return out, nil
}

func instanceStatusCode(s model.InstanceStatus) int {
	return map[model.InstanceStatus]int{model.InstanceStatusStopped: upstream.InstanceStopped,
		model.InstanceStatusRejected: upstream.InstanceRejected, model.InstanceStatusApproved: upstream.InstanceApproved,
		model.InstanceStatusInProgress: upstream.InstanceInProgress}[s]
}

var instanceSortFields = map[model.InstanceOrderField]string{
	model.InstanceOrderFieldStartTime: "start_time", model.InstanceOrderFieldEndTime: "end_time",
	model.InstanceOrderFieldFlowName: "flow_name", model.InstanceOrderFieldProcessKey: "process_key",
	model.InstanceOrderFieldStarterName: "create_by_name", model.InstanceOrderFieldStatus: "status",
	model.InstanceOrderFieldTitle: "title",
}

// listInstances pages GetFlowInstances [6] for a filter and order.
func listInstances(ctx context.Context, processKey string, filter *model.InstanceFilter, order *model.InstanceOrder,
	first *int, after *string) (*model.FlowInstanceConnection, error) {
	offset, limit, err := window(first, after, 20, 100)
	if err != nil {
		return nil, err
	}
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	number, size, skip := upstreamPage(offset, limit)
	req := upstream.FlowInstancesRequest{ProcessKey: processKey, PageNumber: number, PageSize: size}
	if filter != nil {
		if filter.ProcessKey != nil {
			if processKey != "" && *filter.ProcessKey != processKey {
				return emptyInstances(offset), nil
			}
			req.ProcessKey = *filter.ProcessKey
		}
		req.FlowCode = upstream.ID(deref(filter.FlowCode))
		req.FlowVersion = deref(filter.FlowVersion)
		req.StartUserID = upstream.ID(deref(filter.StartUserID))
		if filter.Status != nil {
			if req.Status = instanceStatusCode(*filter.Status); req.Status == 0 {
				return nil, userError("status UNKNOWN cannot be searched for")
			}
		}
		if filter.StartedAfter != nil {
			req.StartTime = filter.StartedAfter.UnixMilli()
		}
		if filter.StartedBefore != nil {
			req.EndTime = filter.StartedBefore.UnixMilli()
		}
	}
	starter, err := workflow.InstanceStarter(who, string(req.StartUserID))
	if err != nil {
		return nil, err
	}
	req.StartUserID = upstream.ID(starter)
	if order != nil {
		req.Sort = instanceSortFields[order.Field]
		req.Order = strings.ToLower(string(order.Direction))
	}
	res, err := loader.For(ctx).Instances(ctx, req)
	if err != nil {
		return nil, err
	}
	nodes := make([]*model.FlowInstance, 0, limit)
	for _, r := range slice(res.Result, skip, limit) {
		nodes = append(nodes, fromInstanceRow(r))
	}
	return &model.FlowInstanceConnection{Nodes: nodes, TotalCount: int(res.TotalCount),
		PageInfo: pageInfo(offset, len(nodes), int(res.TotalCount)),
		Edges: edges(nodes, offset, func(c string, n *model.FlowInstance) *model.FlowInstanceEdge {
			return &model.FlowInstanceEdge{Cursor: c, Node: n}
		})}, nil
}

func emptyInstances(offset int) *model.FlowInstanceConnection {
	return &model.FlowInstanceConnection{Nodes: []*model.FlowInstance{}, Edges: []*model.FlowInstanceEdge{},
		PageInfo: pageInfo(offset, 0, 0)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func userIDs(ctx context.Context, ids []string) ([]*model.User, error) {
	users, err := loader.For(ctx).Users(ctx, ids)
	if err != nil {
		return nil, err
	}
	return toUsers(users), nil
}

func userByID(ctx context.Context, id string) (*model.User, error) {
	u, err := loader.For(ctx).User(ctx, id)
	if err != nil {
		return nil, err
	}
	return toUser(u), nil
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

func boxOr(box *model.WorkBox) model.WorkBox {
	if box == nil {
		return model.WorkBoxTodo
	}
	return *box
}

// contactDetail shows a user's email or phone to that user and to operators only.
func contactDetail(ctx context.Context, u *model.User, value *string) *string {
	if v, ok := auth.FromContext(ctx); ok && (v.Admin || v.UserID == u.ID) {
		return value
	}
	return nil
}
