package sandbox

import (
	"cmp"
	"slices"
)

// The instances area: WeDa OpenAPI [5] 终止流程, [6] 查询流程实例相关信息, [9] 查询流程实例详情,
// [11] 查询流程画布详情, [15] 催办, [16] 撤销, [18] 获取可回退的节点列表, [19] 回退.

func stopFlow(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID   sid `json:"InstanceId"`
		Operator     *userInfo
		DeleteReason string
	}
	inst, err := e.decodeWithInstance(body, &req, &req.InstanceID)
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

// instancesRequest is the body of [6] 查询流程实例相关信息.
type instancesRequest struct {
	FlowCode    sid
	ProcessKey  string
	FlowVersion string
	StartUserID sid `json:"StartUserId"`
	StartTime   int64
	EndTime     int64
	Status      *int
	pageQuery
	Sort  string
	Order string
}

func getFlowInstances(e *engine, _ string, body []byte) (any, *apiError) {
	var req instancesRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	number, size, err := req.page()
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
		if req.matches(inst) {
			rows = append(rows, inst)
		}
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

// matches reports whether inst passes every filter the request sets; drafts never do.
func (req *instancesRequest) matches(inst *instance) bool {
	switch {
	case inst.Draft,
		req.FlowCode != "" && string(req.FlowCode) != inst.FlowCode,
		req.ProcessKey != "" && req.ProcessKey != inst.Flow.ProcessKey,
		req.FlowVersion != "" && req.FlowVersion != inst.Version,
		req.StartUserID != "" && string(req.StartUserID) != inst.Starter,
		req.StartTime > 0 && inst.Start.UnixMilli() < req.StartTime,
		req.EndTime > 0 && inst.Start.UnixMilli() > req.EndTime,
		req.Status != nil && *req.Status != inst.Status:
		return false
	}
	return true
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
	if req.PageType == pageCC && viewer == "" {
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
	if req.PageType == pageCC {
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

func getProcessCanvasInfo(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		InstanceID sid `json:"InstanceId"`
		FlowCode   sid
	}
	inst, err := e.decodeWithInstance(body, &req, &req.InstanceID)
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
		status := canvasNotStarted
		switch {
		case inst.Status == instInProgress && i == inst.Current:
			status = canvasInProgress
		case inst.Visited[i]:
			status = canvasDone
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
		status := canvasNotStarted
		if inst.Visited[i] {
			status = canvasDone
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
	t, err := e.decodeWithTask(body, &req, &req.TaskID)
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
	if *kind != revokeByApprover && *kind != revokeByStarter {
		return nil, invalid("RevokerType", *kind)
	}
	if err := e.revoke(t, revoker, *kind); err != nil {
		return nil, err
	}
	return result(true), nil
}

func getPreElementList(e *engine, _ string, body []byte) (any, *apiError) {
	inst, err := instanceOf(e, body)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for i, rt := range e.rollbackTargets(inst) {
		n := inst.Flow.Nodes[rt.NodeIdx]
		approveType := approveTypeOther
		if n.Kind == kindStart {
			approveType = approveTypeStart
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
