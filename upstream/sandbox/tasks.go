package sandbox

import (
	"fmt"
	"net/url"
	"slices"
)

// The tasks area: WeDa OpenAPI [4] 完成审批任务, [7] 查询流程任务相关信息, [8] 查询流程操作相关信息,
// [10] 查询审批页面详情, [14] 提交流程审批任务列表, [17] 加签.

func completeTask(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		TaskID       sid `json:"TaskId"`
		ButtonAction *int
		Comment      string
		PageParams   map[string]struct {
			Type  string
			Value any
		}
		Approver   *userInfo
		TurnToUser *userInfo
		CcUserIDs  []sid `json:"CcUserIds"`
	}
	t, err := e.decodeWithTask(body, &req, &req.TaskID)
	if err != nil {
		return nil, err
	}
	if req.ButtonAction == nil {
		return nil, missing("ButtonAction")
	}
	if *req.ButtonAction < btnSubmit || *req.ButtonAction > btnTransfer {
		return nil, invalid("ButtonAction", *req.ButtonAction)
	}
	approver, err := e.checkUser("Approver", req.Approver)
	if err != nil {
		return nil, err
	}
	in := completeInput{Task: t, Action: *req.ButtonAction, Comment: req.Comment, Approver: approver, Params: map[string]any{}}
	if in.Action == btnTransfer {
		if req.TurnToUser == nil {
			return nil, missing("TurnToUser")
		}
		if in.TurnTo, err = e.checkUser("TurnToUser", req.TurnToUser); err != nil {
			return nil, err
		}
	}
	cc, err := e.usersByID(req.CcUserIDs)
	if err != nil {
		return nil, err
	}
	for _, u := range cc {
		in.CC = append(in.CC, u.ID)
	}
	for k, v := range req.PageParams {
		in.Params[k] = v.Value
	}
	waiting, err := e.complete(in)
	if err != nil {
		return nil, err
	}
	info := []map[string]any{}
	for _, w := range waiting {
		info = append(info, map[string]any{"Assignee": w.Assignee, "AssigneeName": e.userName(w.Assignee), "WaitFlowTaskId": w.ID})
	}
	return map[string]any{"OpenPageFlag": false, "ClosePageFlag": false, "RefreshPageFlag": false,
		"ToBeSubmittedFlowTaskFlag": len(waiting) > 0, "ToBeSubmittedFlowTaskInfo": info}, nil
}

func (e *engine) taskURL(t *task, pageType string) string {
	return e.linkBase + "?envType=prod&flowTaskId=" + t.ID + "&pageType=" + url.QueryEscape(pageType)
}

// tasksRequest is the body of [7] 查询流程任务相关信息.
type tasksRequest struct {
	InstanceID       sid `json:"InstanceId"`
	TaskAssignee     *userInfo
	TaskIDs          []sid `json:"TaskIds"`
	TaskType         *int
	ElementIDs       []string `json:"ElementIds"`
	FlowCode         sid
	TaskStatus       *int
	StartUser        *userInfo
	IsCarbonCopyTask *bool
	StartTime        int64
	EndTime          int64
	pageQuery
}

func getFlowInstanceTasks(e *engine, _ string, body []byte) (any, *apiError) {
	var req tasksRequest
	inst, err := e.decodeWithInstance(body, &req, &req.InstanceID)
	if err != nil {
		return nil, err
	}
	number, size, err := req.page()
	if err != nil {
		return nil, err
	}
	if req.TaskType != nil && *req.TaskType != taskTypeApproval && *req.TaskType != taskTypeHandle {
		return nil, invalid("TaskType", *req.TaskType)
	}
	if req.TaskStatus != nil && (*req.TaskStatus < taskTodo || *req.TaskStatus > taskWaiting) {
		return nil, invalid("TaskStatus", *req.TaskStatus)
	}
	if req.IsCarbonCopyTask != nil && *req.IsCarbonCopyTask {
		// CC records are not tasks here: nothing matches, as in WeDa for a flow without CC tasks.
		return map[string]any{"Result": []any{}, "TotalCount": "0"}, nil
	}
	var rows []*task
	for _, t := range inst.Tasks {
		if req.matches(t) {
			rows = append(rows, t)
		}
	}
	out := []map[string]any{}
	for _, t := range pageOf(rows, number, size) {
		out = append(out, e.taskRow(t))
	}
	// TotalCount is a string in this endpoint's answers.
	return map[string]any{"Result": out, "TotalCount": fmt.Sprint(len(rows))}, nil
}

// matches reports whether t passes every filter the request sets.
func (req *tasksRequest) matches(t *task) bool {
	inst, n := t.Inst, t.node()
	switch {
	case req.TaskAssignee != nil && string(req.TaskAssignee.UserID) != t.Assignee,
		len(req.TaskIDs) > 0 && !slices.Contains(req.TaskIDs, sid(t.ID)),
		req.TaskType != nil && (*req.TaskType == taskTypeApproval) != (n.Kind != kindHandle),
		len(req.ElementIDs) > 0 && !slices.Contains(req.ElementIDs, n.ID),
		req.FlowCode != "" && string(req.FlowCode) != inst.FlowCode,
		req.TaskStatus != nil && *req.TaskStatus != t.Status,
		req.StartUser != nil && string(req.StartUser.UserID) != inst.Starter,
		req.StartTime > 0 && t.Start.UnixMilli() < req.StartTime,
		req.EndTime > 0 && t.Start.UnixMilli() > req.EndTime:
		return false
	}
	return true
}

// taskRow is a task as [7] writes it.
func (e *engine) taskRow(t *task) map[string]any {
	inst := t.Inst
	pageType := pageDone
	if t.Status == taskTodo {
		pageType = pageTodo
	}
	return map[string]any{
		"InstanceId": inst.ID, "TaskId": t.ID, "FlowName": inst.Flow.Name, "FlowCode": inst.FlowCode,
		"FlowStartUser": map[string]any{"UserId": inst.Starter, "Source": e.userByID[inst.Starter].Type},
		"ElementName":   t.node().Name, "ElementId": t.node().ID,
		"TaskAssignee": map[string]any{"UserId": t.Assignee, "Source": e.sourceOf(t.Assignee)},
		"StartTime":    dateString(t.Start), "EndTime": dateString(t.End),
		"TaskStatus": t.Status, "OperationResult": t.Result, "PageTransitionUrl": e.taskURL(t, pageType),
	}
}

func (e *engine) sourceOf(userID string) int {
	if u := e.userByID[userID]; u != nil {
		return u.Type
	}
	return userInternal
}

func getFlowInstanceOperations(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID   sid      `json:"InstanceId"`
		ElementIDs   []string `json:"ElementIds"`
		OperatorUser *userInfo
		pageQuery
	}
	inst, err := e.decodeWithInstance(body, &req, &req.InstanceID)
	if err != nil {
		return nil, err
	}
	number, size, err := req.page()
	if err != nil {
		return nil, err
	}
	var rows []*operation
	for _, op := range inst.Ops {
		n := inst.Flow.Nodes[op.NodeIdx]
		if len(req.ElementIDs) > 0 && !slices.Contains(req.ElementIDs, n.ID) ||
			req.OperatorUser != nil && string(req.OperatorUser.UserID) != op.Operator {
			continue
		}
		rows = append(rows, op)
	}
	out := []map[string]any{}
	for _, op := range pageOf(rows, number, size) {
		out = append(out, map[string]any{"ElementName": inst.Flow.Nodes[op.NodeIdx].Name, "CreateTime": dateString(op.Time),
			"OperatorUser": op.Operator, "Content": op.Content, "Result": op.Result})
	}
	return map[string]any{"Result": out, "TotalCount": len(rows)}, nil
}

// approvalPageRequest is the body of [10] 查询审批页面详情.
type approvalPageRequest struct {
	InstanceID  sid `json:"InstanceId"`
	FlowCode    sid
	NodeID      string `json:"NodeId"`
	IsCompleted *bool
	PageType    string
	TaskID      sid `json:"TaskId"`
	ID          sid `json:"Id"` // the CC page's copy: [9]'s CcId
}

// approvalPage is what a [10] request names: a task's page, seen as one page type.
type approvalPage struct {
	inst     *instance
	node     *node
	task     *task
	pageType string
	cc       *ccRecord // the copy a CC page shows
}

// getApprovalPageDetail answers [10]. The request names no viewer: a page is its task's, so its
// buttons are for the task's assignee, and a CC page, whoever it is for, offers none.
func getApprovalPageDetail(e *engine, _ string, body []byte) (any, *apiError) {
	var req approvalPageRequest
	inst, err := e.decodeWithInstance(body, &req, &req.InstanceID)
	if err != nil {
		return nil, err
	}
	p, err := e.approvalPageOf(inst, &req)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"VariableInfos":    map[string]any{"ObjectListMap": []any{}, "ObjectMap": pageObjects(inst)},
		"ShowSubmitApp":    p.active() && p.node.Kind == kindStart,
		"ShowCarbonCopy":   p.active(),
		"ShowTurnToPerson": p.active() && p.node.Kind != kindStart,
		"ShowAddAssignee":  p.active() && p.node.AddSign,
		"ShowRollBack":     p.active() && p.node.Rollback,
		"ShowRevoke":       e.canRevoke(workItem{inst: inst, task: p.task, cc: p.cc}, p.task.Assignee),
		"OutEntityCodes":   []map[string]any{{"EntityCode": "sandbox_form", "Type": "object", "VariableKey": "approve"}},
	}, nil
}

// approvalPageOf checks a [10] request against the instance it names and finds its page.
func (e *engine) approvalPageOf(inst *instance, req *approvalPageRequest) (*approvalPage, *apiError) {
	switch {
	case req.FlowCode == "":
		return nil, missing("FlowCode")
	case req.NodeID == "":
		return nil, missing("NodeId")
	case req.PageType == "":
		return nil, missing("PageType")
	case req.TaskID == "":
		return nil, missing("TaskId")
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	if string(req.FlowCode) != inst.FlowCode {
		return nil, notFound("flow code", string(req.FlowCode)+" of flow instance "+inst.ID)
	}
	p := &approvalPage{inst: inst, pageType: req.PageType}
	if _, p.node = inst.Flow.node(req.NodeID); p.node == nil {
		return nil, notFound("node", req.NodeID)
	}
	if p.task = e.taskByID[string(req.TaskID)]; p.task == nil || p.task.Inst != inst {
		return nil, notFound("task", string(req.TaskID))
	}
	if req.PageType == pageCC {
		if req.ID == "" {
			return nil, missing("Id")
		}
		for _, cc := range e.ccs {
			if cc.ID == string(req.ID) && cc.Inst == inst {
				p.cc = cc
			}
		}
		if p.cc == nil {
			return nil, notFound("carbon copy", string(req.ID))
		}
	}
	return p, nil
}

// active reports whether the page is a task waiting for its viewer: the TODO page of an open
// task of a running instance. Only such a page offers the approver's buttons.
func (p *approvalPage) active() bool {
	return p.pageType == pageTodo && p.task.Status == taskTodo && p.inst.Status == instInProgress
}

// pageObjects are the page's input variables: the start parameters, then the approvers' page
// outputs by key.
func pageObjects(inst *instance) []map[string]any {
	objects := []map[string]any{}
	if len(inst.Vars) > 0 {
		objects = append(objects, map[string]any{"entityCode": "sandbox_form", "RecordId": "",
			"OutputKey": "startNodeoutputKey#" + inst.ID, "FieldValueMap": inst.Vars})
	}
	keys := make([]string, 0, len(inst.PageParams))
	for k := range inst.PageParams {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		objects = append(objects, map[string]any{"entityCode": "sandbox_form", "RecordId": "",
			"OutputKey": k, "FieldValueMap": inst.PageParams[k]})
	}
	return objects
}

func submitFlowTaskList(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		FlowTaskIDs []sid `json:"FlowTaskIds"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := e.submitChosen(sids(req.FlowTaskIDs)); err != nil {
		return nil, err
	}
	return result(true), nil
}

func addCounterSignAssignee(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		TaskID      sid `json:"TaskId"`
		Approver    *userInfo
		AssigneeIDs []sid `json:"AssigneeIds"`
	}
	t, err := e.decodeWithTask(body, &req, &req.TaskID)
	if err != nil {
		return nil, err
	}
	approver, err := e.checkUser("Approver", req.Approver)
	if err != nil {
		return nil, err
	}
	if len(req.AssigneeIDs) == 0 {
		return nil, missing("AssigneeIds")
	}
	assignees, err := e.usersByID(req.AssigneeIDs)
	if err != nil {
		return nil, err
	}
	if err := e.addSign(t, approver, assignees); err != nil {
		return nil, err
	}
	return result(true), nil
}
