package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// endpoint is one workflow API: its handler runs under the engine's lock (shared for reads,
// exclusive for writes) and returns the envelope's Data or a refusal.
type endpoint struct {
	write bool
	fn    func(e *engine, env string, body []byte) (any, *apiError)
}

var endpoints = map[string]endpoint{
	"ListDeployedFlows":            {false, listDeployedFlows},
	"StartFlow":                    {true, startFlow},
	"CompleteTask":                 {true, completeTask},
	"StopFlow":                     {true, stopFlow},
	"GetFlowInstances":             {false, getFlowInstances},
	"GetFlowInstanceTasks":         {false, getFlowInstanceTasks},
	"GetFlowInstanceOperations":    {false, getFlowInstanceOperations},
	"DescribeProcessInstance":      {false, describeProcessInstance},
	"GetApprovalPageDetail":        {false, getApprovalPageDetail},
	"GetProcessCanvasInfo":         {false, getProcessCanvasInfo},
	"ListProcessInstances":         {false, listProcessInstances},
	"ListProcessInstancesCount":    {false, listProcessInstancesCount},
	"SubmitFlowTaskList":           {true, submitFlowTaskList},
	"PressTask":                    {true, pressTask},
	"Revoke":                       {true, revokeTask},
	"AddCounterSignAssignee":       {true, addCounterSignAssignee},
	"GetPreElementList":            {false, getPreElementList},
	"RollBack":                     {true, rollBack},
	"DescribeWorkflowMessages":     {false, describeWorkflowMessages},
	"DescribeWorkflowMessageCount": {false, describeWorkflowMessageCount},
	"UpdateWorkflowMessageStatus":  {true, updateWorkflowMessageStatus},
}

func decode(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return &apiError{200, "InvalidParameter", "the request body is empty; a JSON object is required"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &apiError{200, "InvalidParameter", "the request body is not valid JSON: " + err.Error()}
	}
	return nil
}

func result(ok bool) any { return map[string]any{"Result": ok} }

// paging validates page number and size, applying WeDa's defaults (1 and 10).
func paging(number, size *int, numberField, sizeField string, maxSize int) (int, int, *apiError) {
	n, s := 1, 10
	if number != nil {
		if *number < 1 {
			return 0, 0, invalid(numberField, *number)
		}
		n = *number
	}
	if size != nil {
		if *size < 1 || *size > maxSize {
			return 0, 0, invalid(sizeField, *size)
		}
		s = *size
	}
	return n, s, nil
}

func pageOf[T any](items []T, number, size int) []T {
	start := min((number-1)*size, len(items))
	return items[start:min(start+size, len(items))]
}

func oneOf(field, value string, allowed ...string) *apiError {
	if value != "" && !slices.Contains(allowed, value) {
		return invalid(field, value)
	}
	return nil
}

var pageTypes = []string{"TODO", "DONE", "CREATE", "CC", "DRAFT"}

// --- [2] ---

func listDeployedFlows(e *engine, env string, body []byte) (any, *apiError) {
	var req struct{ Type *int }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Type == nil {
		return nil, missing("Type")
	}
	if *req.Type != flowLogic && *req.Type != flowApproval {
		return nil, invalid("Type", *req.Type)
	}
	set := []map[string]any{}
	for _, f := range e.flows {
		if f.Type != *req.Type || (env == "prod" && !f.Published) {
			continue
		}
		begin := 0
		if f.HasStartParams {
			begin = 1
		}
		set = append(set, map[string]any{"FlowCode": f.FlowCode, "ProcessKey": f.ProcessKey, "Published": f.Published,
			"Version": f.Version, "Name": f.Name, "Description": f.Description, "BeginElementType": begin})
	}
	return map[string]any{"TotalCount": len(set), "FlowSet": set}, nil
}

// --- [3] ---

func startFlow(e *engine, env string, body []byte) (any, *apiError) {
	var req struct {
		FlowCode    sid
		FlowVersion string
		ProcessKey  string
		StartParams map[string]any
		StartUser   *userInfo
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.FlowCode == "":
		return nil, missing("FlowCode")
	case req.FlowVersion == "":
		return nil, missing("FlowVersion")
	case req.ProcessKey == "":
		return nil, missing("ProcessKey")
	}
	f := e.flowByKey[req.ProcessKey]
	if f == nil {
		return nil, notFound("flow", req.ProcessKey)
	}
	if env == "prod" && !f.Published {
		return nil, failed("flow %s is not published; start it in the pre environment", f.ProcessKey)
	}
	starter, err := e.checkUser("StartUser", req.StartUser)
	if err != nil {
		return nil, err
	}
	res, err := e.start(f, string(req.FlowCode), req.FlowVersion, starter, req.StartParams, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"FlowInstanceId": res.Instance.ID, "TaskId": res.Task.ID}, nil
}

// --- [4] ---

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
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	t, err := e.openTask(string(req.TaskID), "TaskId")
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
	for _, id := range req.CcUserIDs {
		if e.userByID[string(id)] == nil {
			return nil, notFound("user", string(id))
		}
		in.CC = append(in.CC, string(id))
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

// --- [5] ---

func stopFlow(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID   sid `json:"InstanceId"`
		Operator     *userInfo
		DeleteReason string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inst, err := e.instance(string(req.InstanceID))
	if err != nil {
		return nil, err
	}
	op, err := e.checkUser("Operator", req.Operator)
	if err != nil {
		return nil, err
	}
	if err := e.stop(inst, op, req.DeleteReason); err != nil {
		return nil, err
	}
	return result(true), nil
}

// --- [6] ---

// instanceSorts are GetFlowInstances' documented sort fields.
var instanceSorts = map[string]func(e *engine, a, b *instance) int{
	"id":             func(_ *engine, a, b *instance) int { return cmp.Compare(a.ID, b.ID) },
	"instance_id":    func(_ *engine, a, b *instance) int { return cmp.Compare(a.ID, b.ID) },
	"flow_code":      func(_ *engine, a, b *instance) int { return cmp.Compare(a.FlowCode, b.FlowCode) },
	"flow_name":      func(_ *engine, a, b *instance) int { return cmp.Compare(a.Flow.Name, b.Flow.Name) },
	"process_key":    func(_ *engine, a, b *instance) int { return cmp.Compare(a.Flow.ProcessKey, b.Flow.ProcessKey) },
	"create_by_name": func(e *engine, a, b *instance) int { return cmp.Compare(e.userName(a.Starter), e.userName(b.Starter)) },
	"start_time":     func(_ *engine, a, b *instance) int { return a.Start.Compare(b.Start) },
	"end_time":       func(_ *engine, a, b *instance) int { return a.End.Compare(b.End) },
	"is_end": func(_ *engine, a, b *instance) int {
		return cmp.Compare(boolInt(a.Status != instInProgress), boolInt(b.Status != instInProgress))
	},
	"status": func(_ *engine, a, b *instance) int { return cmp.Compare(a.Status, b.Status) },
	"title":  func(_ *engine, a, b *instance) int { return cmp.Compare(a.Name, b.Name) },
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func getFlowInstances(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		FlowCode    sid
		ProcessKey  string
		FlowVersion string
		StartUserID sid `json:"StartUserId"`
		StartTime   int64
		EndTime     int64
		Status      *int
		PageNumber  *int
		PageSize    *int
		Sort        string
		Order       string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	number, size, err := paging(req.PageNumber, req.PageSize, "PageNumber", "PageSize", 1000)
	if err != nil {
		return nil, err
	}
	if req.Status != nil && (*req.Status < instStopped || *req.Status > instInProgress) {
		return nil, invalid("Status", *req.Status)
	}
	less, ok := instanceSorts[cmp.Or(req.Sort, "start_time")]
	if !ok {
		return nil, invalid("Sort", req.Sort)
	}
	if err := oneOf("Order", req.Order, "asc", "desc"); err != nil {
		return nil, err
	}
	var rows []*instance
	for _, inst := range e.insts {
		switch {
		case inst.Draft,
			req.FlowCode != "" && string(req.FlowCode) != inst.FlowCode,
			req.ProcessKey != "" && req.ProcessKey != inst.Flow.ProcessKey,
			req.FlowVersion != "" && req.FlowVersion != inst.Version,
			req.StartUserID != "" && string(req.StartUserID) != inst.Starter,
			req.StartTime > 0 && inst.Start.UnixMilli() < req.StartTime,
			req.EndTime > 0 && inst.Start.UnixMilli() > req.EndTime,
			req.Status != nil && *req.Status != inst.Status:
			continue
		}
		rows = append(rows, inst)
	}
	slices.SortStableFunc(rows, func(a, b *instance) int {
		if req.Order == "asc" {
			return cmp.Or(less(e, a, b), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Or(less(e, b, a), cmp.Compare(b.ID, a.ID))
	})
	out := []map[string]any{}
	for _, inst := range pageOf(rows, number, size) {
		out = append(out, map[string]any{"InstanceId": inst.ID, "Description": inst.Description, "FlowCode": inst.FlowCode,
			"FlowName": inst.Flow.Name, "FlowVersion": inst.Version, "StartUserName": e.userName(inst.Starter),
			"StartTime": dateString(inst.Start), "EndTime": dateString(inst.End), "Status": inst.Status})
	}
	return map[string]any{"Result": out, "TotalCount": len(rows)}, nil
}

// --- [7] ---

func (e *engine) taskURL(t *task, pageType string) string {
	return e.linkBase + "?envType=prod&flowTaskId=" + t.ID + "&pageType=" + url.QueryEscape(pageType)
}

func getFlowInstanceTasks(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
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
		PageNumber       *int
		PageSize         *int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inst, err := e.instance(string(req.InstanceID))
	if err != nil {
		return nil, err
	}
	number, size, err := paging(req.PageNumber, req.PageSize, "PageNumber", "PageSize", 1000)
	if err != nil {
		return nil, err
	}
	if req.TaskType != nil && *req.TaskType != 1 && *req.TaskType != 2 {
		return nil, invalid("TaskType", *req.TaskType)
	}
	if req.TaskStatus != nil && (*req.TaskStatus < taskTodo || *req.TaskStatus > taskWaiting) {
		return nil, invalid("TaskStatus", *req.TaskStatus)
	}
	if req.IsCarbonCopyTask != nil && *req.IsCarbonCopyTask {
		// CC records are not tasks here: nothing matches, as in WeDa for a flow without CC tasks.
		return map[string]any{"Result": []any{}, "TotalCount": "0"}, nil
	}
	ids := sids(req.TaskIDs)
	var rows []*task
	for _, t := range inst.Tasks {
		n := t.node()
		switch {
		case req.TaskAssignee != nil && string(req.TaskAssignee.UserID) != t.Assignee,
			len(ids) > 0 && !slices.Contains(ids, t.ID),
			req.TaskType != nil && (*req.TaskType == 1) != (n.Kind != kindHandle),
			len(req.ElementIDs) > 0 && !slices.Contains(req.ElementIDs, n.ID),
			req.FlowCode != "" && string(req.FlowCode) != inst.FlowCode,
			req.TaskStatus != nil && *req.TaskStatus != t.Status,
			req.StartUser != nil && string(req.StartUser.UserID) != inst.Starter,
			req.StartTime > 0 && t.Start.UnixMilli() < req.StartTime,
			req.EndTime > 0 && t.Start.UnixMilli() > req.EndTime:
			continue
		}
		rows = append(rows, t)
	}
	out := []map[string]any{}
	for _, t := range pageOf(rows, number, size) {
		pageType := "DONE"
		if t.Status == taskTodo {
			pageType = "TODO"
		}
		out = append(out, map[string]any{
			"InstanceId": inst.ID, "TaskId": t.ID, "FlowName": inst.Flow.Name, "FlowCode": inst.FlowCode,
			"FlowStartUser": map[string]any{"UserId": inst.Starter, "Source": e.userByID[inst.Starter].Type},
			"ElementName":   t.node().Name, "ElementId": t.node().ID,
			"TaskAssignee": map[string]any{"UserId": t.Assignee, "Source": e.sourceOf(t.Assignee)},
			"StartTime":    dateString(t.Start), "EndTime": dateString(t.End),
			"TaskStatus": t.Status, "OperationResult": t.Result, "PageTransitionUrl": e.taskURL(t, pageType),
		})
	}
	// TotalCount is a string in this endpoint's answers.
	return map[string]any{"Result": out, "TotalCount": fmt.Sprint(len(rows))}, nil
}

func (e *engine) sourceOf(userID string) int {
	if u := e.userByID[userID]; u != nil {
		return u.Type
	}
	return 4
}

// --- [8] ---

func getFlowInstanceOperations(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID   sid      `json:"InstanceId"`
		ElementIDs   []string `json:"ElementIds"`
		OperatorUser *userInfo
		PageNumber   *int
		PageSize     *int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inst, err := e.instance(string(req.InstanceID))
	if err != nil {
		return nil, err
	}
	number, size, err := paging(req.PageNumber, req.PageSize, "PageNumber", "PageSize", 1000)
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

// --- [9] and [12]: the workbench's view of an instance ---

// workItem is an instance as one user's workbench box shows it.
type workItem struct {
	inst *instance
	task *task     // the task the record is about
	cc   *ccRecord // for the CC box
	at   time.Time // the box's own time, for updateTime sorting
}

func (e *engine) currentApprovers(inst *instance) []string {
	if inst.Status != instInProgress {
		return nil
	}
	var ids []string
	for _, t := range pending(inst, inst.Current, taskTodo) {
		ids = append(ids, t.Assignee)
	}
	return ids
}

func (e *engine) canRevoke(w workItem, viewer string) bool {
	inst := w.inst
	if inst.Status != instInProgress {
		return false
	}
	if viewer == inst.Starter && inst.Flow.RevokeByStarter && w.cc == nil && w.task != nil && w.task.NodeIdx == 0 {
		return true
	}
	t := w.task
	return t != nil && t.Assignee == viewer && t.Status == taskDone && (t.Result == opApprove || t.Result == opHandle) &&
		t.node().RevokeByApprover && inst.Current > t.NodeIdx && len(pending(inst, inst.Current, taskDone)) == 0
}

func describeProcessInstance(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		FlowTaskID sid `json:"FlowTaskId"`
		PageType   string
		UserInfo   *userInfo
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.FlowTaskID == "" {
		return nil, missing("FlowTaskId")
	}
	if req.PageType == "" {
		return nil, missing("PageType")
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	viewer := ""
	if req.UserInfo != nil {
		viewer = string(req.UserInfo.UserID)
	}
	if req.PageType == "CC" && viewer == "" {
		return nil, missing("UserInfo")
	}
	t := e.taskByID[string(req.FlowTaskID)]
	if t == nil {
		return nil, notFound("task", string(req.FlowTaskID))
	}
	if viewer == "" {
		viewer = t.Assignee
	}
	w := workItem{inst: t.Inst, task: t}
	if req.PageType == "CC" {
		for _, cc := range e.ccs { // the copy about this task, else the latest on the instance
			if cc.Inst == t.Inst && cc.UserID == viewer && (w.cc == nil || w.cc.TaskID != t.ID) {
				w.cc = cc
			}
		}
		if w.cc == nil {
			return nil, failed("user %s was not copied on flow instance %s", viewer, t.Inst.ID)
		}
	}
	return e.workItemRecord(w, viewer, true), nil
}

// --- [10] ---

func getApprovalPageDetail(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID  sid `json:"InstanceId"`
		FlowCode    sid
		NodeID      string `json:"NodeId"`
		IsCompleted *bool
		PageType    string
		TaskID      sid `json:"TaskId"`
		ID          sid `json:"Id"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inst, err := e.instance(string(req.InstanceID))
	if err != nil {
		return nil, err
	}
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
	_, n := inst.Flow.node(req.NodeID)
	if n == nil {
		return nil, notFound("node", req.NodeID)
	}
	t := e.taskByID[string(req.TaskID)]
	if t == nil || t.Inst != inst {
		return nil, notFound("task", string(req.TaskID))
	}
	if req.PageType == "CC" {
		if req.ID == "" {
			return nil, missing("Id")
		}
		found := false
		for _, cc := range e.ccs {
			found = found || (cc.ID == string(req.ID) && cc.Inst == inst)
		}
		if !found {
			return nil, notFound("carbon copy", string(req.ID))
		}
	}
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
	active := req.PageType == "TODO" && t.Status == taskTodo && inst.Status == instInProgress
	return map[string]any{
		"VariableInfos":    map[string]any{"ObjectListMap": []any{}, "ObjectMap": objects},
		"ShowSubmitApp":    active && n.Kind == kindStart,
		"ShowCarbonCopy":   active,
		"ShowTurnToPerson": active && n.Kind != kindStart,
		"ShowAddAssignee":  active && n.AddSign,
		"ShowRollBack":     active && n.Rollback,
		"ShowRevoke":       e.canRevoke(workItem{inst: inst, task: t}, t.Assignee),
		"OutEntityCodes":   []map[string]any{{"EntityCode": "sandbox_form", "Type": "object", "VariableKey": "approve"}},
	}, nil
}

// --- [11] ---

func getProcessCanvasInfo(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID sid `json:"InstanceId"`
		FlowCode   sid
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inst, err := e.instance(string(req.InstanceID))
	if err != nil {
		return nil, err
	}
	if req.FlowCode == "" {
		return nil, missing("FlowCode")
	}
	if string(req.FlowCode) != inst.FlowCode {
		return nil, notFound("flow code", string(req.FlowCode)+" of flow instance "+inst.ID)
	}
	nodes := []map[string]any{}
	for i, n := range inst.Flow.Nodes {
		status := 2
		switch {
		case inst.Status == instInProgress && i == inst.Current:
			status = 3
		case inst.Visited[i]:
			status = 1
		}
		var conf []map[string]any
		for _, t := range inst.Tasks {
			if t.NodeIdx != i || t.Status == taskInvalid || (n.Kind == kindStart && t.Status == taskDraft) {
				continue
			}
			conf = append(conf, map[string]any{"Name": e.userName(t.Assignee), "Status": t.Result,
				"OpTime": epochOrNull(t.End), "Comment": nullIfEmpty(t.Comment), "NewProcessors": e.userNameOrEmpty(t.NewAssignee)})
		}
		if n.Kind == kindCC && inst.Visited[i] {
			for _, uid := range n.CCTo {
				conf = append(conf, map[string]any{"Name": e.userName(uid), "Status": opCC, "OpTime": nil, "Comment": nil, "NewProcessors": ""})
			}
		}
		nodes = append(nodes, map[string]any{"visited": inst.Visited[i], "Id": i + 1, "ElementId": n.ID, "Name": n.Name,
			"DataType": n.dataType(), "Status": status, "Conf": conf})
	}
	edges := []map[string]any{}
	for i := 1; i < len(inst.Flow.Nodes); i++ {
		label := ""
		if i == 1 {
			label = "提交申请"
		}
		status := 2
		if inst.Visited[i] {
			status = 1
		}
		edges = append(edges, map[string]any{"Label": label, "Type": 2, "Source": inst.Flow.Nodes[i-1].ID,
			"Target": inst.Flow.Nodes[i].ID, "Status": status})
	}
	return map[string]any{"Nodes": nodes, "Edges": edges}, nil
}

func (e *engine) userNameOrEmpty(id string) string {
	if id == "" {
		return ""
	}
	return e.userName(id)
}

// --- [12] [13] ---

func listProcessInstances(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo   *userInfo
		PageType   string
		PageNumber *int
		PageSize   *int
		Sort       string
		Order      string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	u, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.PageType == "" {
		return nil, missing("PageType")
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	if err := oneOf("Sort", req.Sort, "startTime", "updateTime"); err != nil {
		return nil, err
	}
	if err := oneOf("Order", req.Order, "asc", "desc"); err != nil {
		return nil, err
	}
	number, size, err := paging(req.PageNumber, req.PageSize, "PageNumber", "PageSize", 1000)
	if err != nil {
		return nil, err
	}
	items := e.box(u.ID, req.PageType)
	key := func(w workItem) time.Time { return w.inst.Start }
	if req.Sort == "updateTime" {
		key = func(w workItem) time.Time { return w.at }
	}
	slices.SortStableFunc(items, func(a, b workItem) int {
		c := key(a).Compare(key(b))
		if req.Order != "asc" {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(b.inst.ID, a.inst.ID))
	})
	records := []*workItemJSON{}
	for _, w := range pageOf(items, number, size) {
		records = append(records, e.workItemRecord(w, u.ID, false))
	}
	pages := (len(items) + size - 1) / size
	return map[string]any{"Records": records, "TotalCount": len(items), "PageSize": size, "PageNumber": number,
		"Pages": pages, "FirstPage": number == 1, "LastPage": number >= pages}, nil
}

func listProcessInstancesCount(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo *userInfo
		PageType string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	u, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	// Like the vendor's example, every box is counted whatever PageType asks for.
	counts := []map[string]any{}
	for _, pt := range []string{"DONE", "TODO", "DRAFT", "CC", "CREATE"} {
		counts = append(counts, map[string]any{"Total": e.boxLen(u.ID, pt), "PageType": pt})
	}
	return map[string]any{"TotalCounts": counts}, nil
}

// --- [14] [15] [16] [17] ---

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

// instanceOf reads a body of just {"InstanceId": ...} and finds the instance.
func instanceOf(e *engine, body []byte) (*instance, *apiError) {
	var req struct {
		InstanceID sid `json:"InstanceId"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	return e.instance(string(req.InstanceID))
}

func pressTask(e *engine, _ string, body []byte) (any, *apiError) {
	inst, err := instanceOf(e, body)
	if err != nil {
		return nil, err
	}
	if err := e.press(inst); err != nil {
		return nil, err
	}
	return result(true), nil
}

func revokeTask(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		TaskID      sid `json:"TaskId"`
		Revoker     *userInfo
		RevokerType *int
		RevokeType  *int // the vendor's example spells it so
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	t, err := e.openTask(string(req.TaskID), "TaskId")
	if err != nil {
		return nil, err
	}
	revoker, err := e.checkUser("Revoker", req.Revoker)
	if err != nil {
		return nil, err
	}
	kind := req.RevokerType
	if kind == nil {
		kind = req.RevokeType
	}
	if kind == nil {
		return nil, missing("RevokerType")
	}
	if *kind != 1 && *kind != 2 {
		return nil, invalid("RevokerType", *kind)
	}
	if err := e.revoke(t, revoker, *kind); err != nil {
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
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	t, err := e.openTask(string(req.TaskID), "TaskId")
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
	var assignees []*user
	for _, id := range req.AssigneeIDs {
		u := e.userByID[string(id)]
		if u == nil {
			return nil, notFound("user", string(id))
		}
		assignees = append(assignees, u)
	}
	if err := e.addSign(t, approver, assignees); err != nil {
		return nil, err
	}
	return result(true), nil
}

// --- [18] [19] ---

func getPreElementList(e *engine, _ string, body []byte) (any, *apiError) {
	inst, err := instanceOf(e, body)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for i, rt := range e.rollbackTargets(inst) {
		n := inst.Flow.Nodes[rt.NodeIdx]
		approveType := 2
		if n.Kind == kindStart {
			approveType = 1
		}
		list = append(list, map[string]any{"ElementId": n.ID, "ElementName": n.Name, "ActTaskId": rt.Task.ID,
			"ApproveType": approveType, "LastNode": i == 0})
	}
	return map[string]any{"ElementInfoList": list}, nil
}

func rollBack(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo        *userInfo
		TaskID          sid    `json:"TaskId"`
		TargetNodeID    string `json:"TargetNodeId"`
		TargetActTaskID sid    `json:"TargetActTaskId"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	actor, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	t, err := e.openTask(string(req.TaskID), "TaskId")
	if err != nil {
		return nil, err
	}
	if req.TargetNodeID == "" {
		return nil, missing("TargetNodeId")
	}
	if req.TargetActTaskID == "" {
		return nil, missing("TargetActTaskId")
	}
	if err := e.rollback(t, actor, req.TargetNodeID, string(req.TargetActTaskID)); err != nil {
		return nil, err
	}
	return result(true), nil
}

// --- [20] [21] [22] ---

func messageLink(e *engine, m *message) string {
	if m.TaskID == "" {
		return ""
	}
	return e.linkBase + "?envType=prod&flowTaskId=" + m.TaskID + "&pageType=" + m.PageType
}

func describeWorkflowMessages(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo        *userInfo
		PageNo          *int
		PageSize        *int
		SearchTitleName string
		MessageType     *int
		Status          string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	u, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.PageNo == nil {
		return nil, missing("PageNo")
	}
	if req.PageSize == nil {
		return nil, missing("PageSize")
	}
	number, size, err := paging(req.PageNo, req.PageSize, "PageNo", "PageSize", 200)
	if err != nil {
		return nil, err
	}
	if req.MessageType != nil && *req.MessageType != msgTodo && *req.MessageType != msgInSite {
		return nil, invalid("MessageType", *req.MessageType)
	}
	if err := oneOf("Status", req.Status, msgRead, msgUnread); err != nil {
		return nil, err
	}
	var rows []*message
	for i := len(e.msgs) - 1; i >= 0; i-- { // newest first
		m := e.msgs[i]
		if m.UserID != u.ID || req.MessageType != nil && *req.MessageType != m.Type ||
			req.Status != "" && req.Status != m.Status ||
			req.SearchTitleName != "" && !strings.Contains(m.Main+m.Sub, req.SearchTitleName) {
			continue
		}
		rows = append(rows, m)
	}
	list := []map[string]any{}
	for _, m := range pageOf(rows, number, size) {
		list = append(list, map[string]any{"MessageType": m.Type, "MainTitle": m.Main, "SubTitle": m.Sub,
			"MessageText": m.Text, "MessagePageLink": messageLink(e, m), "MessageId": m.ID, "Status": m.Status,
			"CreateTime": dateString(m.Created), "UpdateTime": dateString(m.Updated)})
	}
	return map[string]any{"TotalCount": len(rows), "ResponseList": list}, nil
}

func describeWorkflowMessageCount(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo    *userInfo
		MessageType *int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	u, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.MessageType == nil {
		return nil, missing("MessageType")
	}
	if *req.MessageType != msgTodo && *req.MessageType != msgInSite {
		return nil, invalid("MessageType", *req.MessageType)
	}
	waiting, finished := 0, 0
	for _, m := range e.msgs {
		if m.UserID == u.ID && m.Type == *req.MessageType {
			if m.Status == msgRead {
				finished++
			} else {
				waiting++
			}
		}
	}
	return map[string]any{"Result": []map[string]any{{"MessageType": *req.MessageType, "WaitingCount": waiting, "FinishCount": finished}}}, nil
}

func updateWorkflowMessageStatus(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo      *userInfo
		MessageIDList []sid `json:"MessageIdList"`
		Status        string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	u, err := e.checkUser("UserInfo", req.UserInfo)
	if err != nil {
		return nil, err
	}
	if len(req.MessageIDList) == 0 {
		return nil, missing("MessageIdList")
	}
	if req.Status == "" {
		return nil, missing("Status")
	}
	if err := oneOf("Status", req.Status, msgRead, msgUnread); err != nil {
		return nil, err
	}
	if err := e.markMessages(u, sids(req.MessageIDList), req.Status); err != nil {
		return nil, err
	}
	return result(true), nil
}
