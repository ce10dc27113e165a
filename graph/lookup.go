package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
)

// Compositions for the lookups WeDa has no endpoint for, and small shared helpers.

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

// isNotFound reports an upstream answer that the id names nothing.
func isNotFound(err error) bool { return errors.Is(err, upstream.ErrNotFound) }

// instanceByID composes an instance from one of its tasks [7] and the detail behind it [9].
func instanceByID(ctx context.Context, id string) (*model.FlowInstance, error) {
	if strings.TrimSpace(id) == "" {
		return nil, userError("an instance id is required")
	}
	tasks, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(id), PageSize: 1})
	if isNotFound(err) {
		return nil, notFound("flow instance", id)
	}
	if err != nil {
		return nil, err
	}
	if len(tasks.Result) == 0 {
		return nil, notFound("flow instance", id)
	}
	detail, err := describeTask(ctx, string(tasks.Result[0].TaskID), model.WorkBoxDone)
	if err != nil {
		return nil, err
	}
	inst := fromProcessInstance(detail)
	inst.FlowName = model.Str(tasks.Result[0].FlowName)
	if err := authorizeInstance(ctx, inst.ID, inst.StartUserID); err != nil {
		return nil, err
	}
	return inst, nil
}

// authorizeInstance lets an ordinary viewer see an instance they started, hold a task in, or were
// copied on; an admin sees every instance. The CC check reads the viewer's own CC box rather than
// trusting WeDa to refuse a CC view, so it holds whatever WeDa checks.
func authorizeInstance(ctx context.Context, instanceID, starterID string) error {
	v, ok := auth.FromContext(ctx)
	if !ok {
		_, err := viewerInfo(ctx)
		return err
	}
	if v.Admin || (starterID != "" && starterID == v.UserID) {
		return nil
	}
	me := upstream.UserInfo{UserID: upstream.ID(v.UserID), Type: v.Source}
	l := loader.For(ctx)
	mine, err := l.Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID), TaskAssignee: &me, PageSize: 1})
	if err != nil {
		return err
	}
	if len(mine.Result) > 0 {
		return nil
	}
	const ccPages = 5
	for page := 1; page <= ccPages; page++ {
		box, err := l.WorkItems(ctx, upstream.WorkItemsRequest{UserInfo: me, PageType: upstream.PageCC, PageNumber: page, PageSize: 200})
		if err != nil {
			return err
		}
		for _, r := range box.Records {
			if string(r.InstanceID) == instanceID {
				return nil
			}
		}
		if len(box.Records) < 200 {
			break
		}
	}
	return codeError(CodeForbidden, "you have no part in flow instance %s: you did not start it, hold a task in it or get a copy of it", instanceID)
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

// ownTask returns the task when it is assigned to the viewer, FORBIDDEN otherwise.
func ownTask(ctx context.Context, taskID string) (*model.Task, error) {
	t, err := taskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if v, _ := auth.FromContext(ctx); t.AssigneeID != v.UserID {
		return nil, codeError(CodeForbidden, "task %s is not assigned to you", taskID)
	}
	return t, nil
}

// taskByID composes a task from the instance behind it [9] and the instance's tasks [7].
func taskByID(ctx context.Context, id string) (*model.Task, error) {
	if strings.TrimSpace(id) == "" {
		return nil, userError("a task id is required")
	}
	detail, err := describeTask(ctx, id, model.WorkBoxDone)
	if isNotFound(err) {
		return nil, notFound("task", id)
	}
	if err != nil {
		return nil, err
	}
	tasks, err := loader.For(ctx).Tasks(ctx, upstream.InstanceTasksRequest{InstanceID: detail.InstanceID,
		TaskIDs: []upstream.ID{upstream.ID(id)}})
	if err != nil {
		return nil, err
	}
	for _, t := range tasks.Result {
		if string(t.TaskID) == id {
			if err := authorizeInstance(ctx, string(detail.InstanceID), string(detail.StartUserID)); err != nil {
				return nil, err
			}
			return toTask(t), nil
		}
	}
	return nil, notFound("task", id)
}

// instanceDetail fills what a list left out of an instance (starter id, current node).
func instanceDetail(ctx context.Context, obj *model.FlowInstance) (*model.FlowInstance, error) {
	return instanceByID(ctx, obj.ID)
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
	v, ok := auth.FromContext(ctx)
	if !ok {
		_, err := viewerInfo(ctx)
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
	if !v.Admin { // an ordinary viewer lists the instances they started; the rest is in their boxes
		if req.StartUserID != "" && string(req.StartUserID) != v.UserID {
			return nil, codeError(CodeForbidden, "only operators list instances others started; use viewer.workItems")
		}
		req.StartUserID = upstream.ID(v.UserID)
	}
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
