package workflow

import (
	"context"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/wedagraph/gateway/upstream"
)

// The reads a screen makes, each under the policy's read rows (policy.go). The objects an
// instance or a task leads to (tasks, history, canvas, rollback targets) are reached from an
// instance or task the actor could see: they are as visible as it.

// TaskFilter narrows an instance's tasks [7].
type TaskFilter struct {
	Status     int    // upstream.TaskTodo…; 0 for any
	AssigneeID string // "" for any
	NodeIDs    []string
}

// InstanceTasks lists a window of an instance's tasks [7].
func (r *Request) InstanceTasks(ctx context.Context, instanceID string, f TaskFilter, w Window) (Page[upstream.InstanceTask], error) {
	number, size, skip := w.upstreamPage()
	req := upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID), ElementIDs: f.NodeIDs, TaskStatus: f.Status,
		PageNumber: number, PageSize: size}
	if f.AssigneeID != "" {
		req.TaskAssignee = &upstream.UserInfo{UserID: upstream.ID(f.AssigneeID), Type: upstream.SourceInternal}
	}
	res, err := r.sess.GetFlowInstanceTasks(ctx, req)
	if err != nil {
		return Page[upstream.InstanceTask]{}, err
	}
	return pageOf(res.Result, skip, w.Limit, int(res.TotalCount)), nil
}

// InstanceTask is one task of an instance, as its instance's task list has it; nil when the
// instance has no such task.
func (r *Request) InstanceTask(ctx context.Context, instanceID, taskID string) (*upstream.InstanceTask, error) {
	res, err := r.sess.GetFlowInstanceTasks(ctx, upstream.InstanceTasksRequest{InstanceID: upstream.ID(instanceID),
		TaskIDs: []upstream.ID{upstream.ID(taskID)}})
	if err != nil {
		return nil, err
	}
	for i, t := range res.Result {
		if string(t.TaskID) == taskID {
			return &res.Result[i], nil
		}
	}
	return nil, nil
}

// History lists a window of an instance's history [8], of one operator's acts when operatorID
// is not "".
func (r *Request) History(ctx context.Context, instanceID, operatorID string, w Window) (Page[upstream.Operation], error) {
	number, size, skip := w.upstreamPage()
	req := upstream.InstanceOperationsRequest{InstanceID: upstream.ID(instanceID), PageNumber: number, PageSize: size}
	if operatorID != "" {
		req.OperatorUser = &upstream.UserInfo{UserID: upstream.ID(operatorID), Type: upstream.SourceInternal}
	}
	res, err := r.sess.GetFlowInstanceOperations(ctx, req)
	if err != nil {
		return Page[upstream.Operation]{}, err
	}
	return pageOf(res.Result, skip, w.Limit, int(res.TotalCount)), nil
}

// Canvas reads an instance's diagram [11], which needs the instance's flow code.
func (r *Request) Canvas(ctx context.Context, instanceID, flowCode string) (*upstream.Canvas, error) {
	return r.sess.GetProcessCanvasInfo(ctx, instanceID, flowCode)
}

// RollbackTargets lists the nodes an instance may go back to [18].
func (r *Request) RollbackTargets(ctx context.Context, instanceID string) ([]upstream.RollbackTarget, error) {
	return r.sess.GetPreElementList(ctx, instanceID)
}

// ApprovalPage reads a task's approval page [10] as it shows in box; a CC page needs the CC
// record the box's view of the task names.
func (r *Request) ApprovalPage(ctx context.Context, t *upstream.InstanceTask, box Box) (*upstream.ApprovalPage, error) {
	detail, err := r.DescribeTask(ctx, string(t.TaskID), box)
	if err != nil {
		return nil, err
	}
	completed := bool(detail.IsCompleted)
	req := upstream.ApprovalPageRequest{InstanceID: t.InstanceID, FlowCode: t.FlowCode, NodeID: string(t.ElementID),
		IsCompleted: &completed, PageType: string(box), TaskID: t.TaskID}
	if box == BoxCC {
		req.CcID = detail.CcID
	}
	return r.sess.GetApprovalPageDetail(ctx, req)
}

// WorkItemOrder sorts a box: by WeDa's default, or by when an item was last updated.
type WorkItemOrder struct {
	ByUpdate  bool
	Direction string // "asc", "desc" or "" for WeDa's
}

// WorkItems lists a window of one of the actor's workbench boxes [12].
func (r *Request) WorkItems(ctx context.Context, box Box, order WorkItemOrder, w Window) (Page[upstream.ProcessInstance], error) {
	number, size, skip := w.upstreamPage()
	req := upstream.WorkItemsRequest{UserInfo: r.a.info(), PageType: string(box), PageNumber: number, PageSize: size,
		Order: order.Direction}
	if order.ByUpdate {
		req.Sort = "updateTime"
	}
	res, err := r.sess.ListProcessInstances(ctx, req)
	if err != nil {
		return Page[upstream.ProcessInstance]{}, err
	}
	return pageOf(res.Records, skip, w.Limit, int(res.TotalCount)), nil
}

// Counts is how many items each of the actor's boxes holds.
type Counts struct {
	Todo, Done, Create, CC, Draft int
}

// BoxCounts counts every box of the actor's workbench in one call [13].
func (r *Request) BoxCounts(ctx context.Context) (Counts, error) {
	counts, err := r.sess.ListProcessInstancesCount(ctx, r.a.info())
	if err != nil {
		return Counts{}, err
	}
	var out Counts
	for _, c := range counts {
		n := int(c.Total)
		switch Box(c.PageType) {
		case BoxTodo:
			out.Todo = n
		case BoxDone:
			out.Done = n
		case BoxCreate:
			out.Create = n
		case BoxCC:
			out.CC = n
		case BoxDraft:
			out.Draft = n
		}
	}
	return out, nil
}

// MessageFilter narrows the actor's messages [20].
type MessageFilter struct {
	Type          *int   // upstream.MessageTodo (0) or MessageInSite; nil for both
	Status        string // upstream.MessageRead or MessageUnread; "" for both
	TitleContains string
}

// Messages lists a window of the actor's messages, newest first [20]. WeDa's pages hold at most
// MaxMessagesPage: a window no such page holds is answered in part (the page of its own size that
// holds its start), and the rest comes with the next window.
func (r *Request) Messages(ctx context.Context, f MessageFilter, w Window) (Page[upstream.Message], error) {
	number, size, skip := w.upstreamPage()
	limit := w.Limit
	if size > upstream.MaxMessagesPage {
		number, size, skip = w.Offset/w.Limit+1, w.Limit, w.Offset%w.Limit
		limit = size - skip
	}
	req := upstream.MessagesRequest{UserInfo: r.a.info(), PageNo: number, PageSize: max(size, 1),
		SearchTitleName: f.TitleContains, Status: f.Status}
	req.MessageType = f.Type
	res, err := r.sess.DescribeWorkflowMessages(ctx, req)
	if err != nil {
		return Page[upstream.Message]{}, err
	}
	return pageOf(res.ResponseList, skip, limit, int(res.TotalCount)), nil
}

// MessageCounts counts the actor's messages of each type asked for (both when none), one call a
// type [21], made together.
func (r *Request) MessageCounts(ctx context.Context, types ...int) ([]upstream.MessageCount, error) {
	if len(types) == 0 {
		types = []int{upstream.MessageTodo, upstream.MessageInSite}
	}
	me := r.a.info()
	results := make([][]upstream.MessageCount, len(types))
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range types {
		g.Go(func() (err error) {
			results[i], err = r.sess.DescribeWorkflowMessageCount(gctx, me, t)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []upstream.MessageCount
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out, nil
}

// UserFilter narrows a listing of the directory [1].
type UserFilter struct {
	IDs          []string
	NameContains string
	Source       int // sys_user's type: 1 tcb, 3 WeCom, 4 internal; 0 for any
}

// ListUsers lists a window of the directory, for operators only [1].
func (r *Request) ListUsers(ctx context.Context, f UserFilter, w Window) (Page[upstream.User], error) {
	if !r.a.allows("listUsers", "") {
		return Page[upstream.User]{}, forbidden("listing users is for operators (the admin role)")
	}
	if len(f.IDs) > upstream.MaxUsersPerBatch {
		return Page[upstream.User]{}, fieldError("ids", "takes at most %d ids", upstream.MaxUsersPerBatch)
	}
	var clauses []string
	if len(f.IDs) > 0 {
		ids := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = "_id eq " + upstream.ODataString(id)
		}
		clauses = append(clauses, "("+strings.Join(ids, " or ")+")")
	}
	if f.NameContains != "" {
		clauses = append(clauses, "contains(name,"+upstream.ODataString(f.NameContains)+")")
	}
	if f.Source != 0 {
		clauses = append(clauses, "type eq "+strconv.Itoa(f.Source))
	}
	list, err := r.sess.ListUsers(ctx, upstream.UserQuery{Filter: strings.Join(clauses, " and "), Skip: w.Offset,
		Top: max(w.Limit, 1), Count: true, OrderBy: "createdAt asc"})
	if err != nil {
		return Page[upstream.User]{}, err
	}
	return pageOf(list.Value, 0, w.Limit, int(list.Count.Value)), nil
}
