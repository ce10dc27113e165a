package graph

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
)

// Every upstream answer becomes a model here, and the domain's own values in convert_domain.go:
// nowhere else.

func codeOf(o upstream.OptInt) *int {
	if !o.Valid {
		return nil
	}
	v := int(o.Value)
	return &v
}

func instanceStatus(o upstream.OptInt, completed bool) model.InstanceStatus {
	switch {
	case !o.Valid && !completed:
		return model.InstanceStatusInProgress // [12] and [9] send null while in progress
	case o.Value == upstream.InstanceStopped:
		return model.InstanceStatusStopped
	case o.Value == upstream.InstanceRejected:
		return model.InstanceStatusRejected
	case o.Value == upstream.InstanceApproved:
		return model.InstanceStatusApproved
	case o.Value == upstream.InstanceInProgress:
		return model.InstanceStatusInProgress
	}
	return model.InstanceStatusUnknown
}

var taskStatuses = map[int64]model.TaskStatus{upstream.TaskTodo: model.TaskStatusTodo, upstream.TaskDone: model.TaskStatusDone,
	upstream.TaskInvalid: model.TaskStatusInvalid, upstream.TaskDraft: model.TaskStatusDraft, upstream.TaskToSubmit: model.TaskStatusToSubmit}

func taskStatus(o upstream.OptInt) model.TaskStatus {
	if s, ok := taskStatuses[o.Value]; ok && o.Valid {
		return s
	}
	return model.TaskStatusUnknown
}

var actions = map[int64]model.OperationAction{
	0: model.OperationActionNone, 1: model.OperationActionSubmit, 2: model.OperationActionApprove,
	3: model.OperationActionReject, 4: model.OperationActionTransfer, 5: model.OperationActionRevoke,
	6: model.OperationActionRollback, 7: model.OperationActionAddSign, 8: model.OperationActionStop,
	9: model.OperationActionSkip, 13: model.OperationActionHandle, 15: model.OperationActionCarbonCopy,
	16: model.OperationActionAbandon, 17: model.OperationActionSaveDraft,
}

func action(o upstream.OptInt) model.OperationAction {
	if !o.Valid {
		return model.OperationActionNone
	}
	if a, ok := actions[o.Value]; ok {
		return a
	}
	return model.OperationActionUnknown
}

func progress(o upstream.OptInt) model.ProgressStatus {
	if s, ok := map[int64]model.ProgressStatus{1: model.ProgressStatusDone, 2: model.ProgressStatusNotStarted,
		3: model.ProgressStatusInProgress}[o.Value]; ok && o.Valid {
		return s
	}
	return model.ProgressStatusUnknown
}

func nodeKind(o upstream.OptInt) model.NodeKind {
	if k, ok := map[int64]model.NodeKind{1: model.NodeKindStart, 13: model.NodeKindEnd, 17: model.NodeKindApproval,
		23: model.NodeKindHandle, 25: model.NodeKindCarbonCopy}[o.Value]; ok && o.Valid {
		return k
	}
	return model.NodeKindUnknown
}

func messageType(o upstream.OptInt) model.MessageType {
	switch {
	case o.Valid && o.Value == upstream.MessageTodo:
		return model.MessageTypeTodo
	case o.Valid && o.Value == upstream.MessageInSite:
		return model.MessageTypeInSite
	}
	return model.MessageTypeUnknown
}

// userSource reads sys_user's type (3 WeCom, 4 internal).
func userSource(o upstream.OptInt) model.UserSource {
	switch {
	case !o.Valid:
	case o.Value == 1:
		return model.UserSourceTcb
	case o.Value == 2 || o.Value == 3:
		return model.UserSourceWecom
	case o.Value == 4:
		return model.UserSourceInternal
	}
	return model.UserSourceUnknown
}

func toUser(u *upstream.User) *model.User {
	if u == nil {
		return nil
	}
	b := &userBox{}
	b.user = model.User{ID: string(u.ID), Name: string(u.Name), NickName: strIn(&b.str[0], u.NickName),
		EmailAddress: strIn(&b.str[1], u.Email), PhoneNumber: strIn(&b.str[2], u.Phone), Source: userSource(u.SourceCode()),
		SourceCode: codeIn(&b.num, u.SourceCode()), Description: strIn(&b.str[3], u.UserDesc),
		CreatedAt: timeIn(&b.at[0], u.CreatedAt.Time), UpdatedAt: timeIn(&b.at[1], u.UpdatedAt.Time)}
	return &b.user
}

// userBox is taskBox for a user: one allocation instead of up to seven (every assignee and
// operator of a screen).
type userBox struct {
	user model.User
	str  [4]string
	num  int
	at   [2]time.Time
}

func toUsers(us []*upstream.User) []*model.User {
	out := make([]*model.User, 0, len(us))
	for _, u := range us {
		out = append(out, toUser(u))
	}
	return out
}

func toFlow(f upstream.DeployedFlow, flowType int) *model.Flow {
	t := model.FlowTypeApproval
	if flowType == upstream.FlowTypeLogic {
		t = model.FlowTypeLogic
	}
	return &model.Flow{ProcessKey: f.ProcessKey, FlowCode: string(f.FlowCode), Version: string(f.Version), Name: string(f.Name),
		Description: model.Str(f.Description), Published: bool(f.Published), Type: t,
		TakesStartParameters: f.BeginElementType.Valid && f.BeginElementType.Value == 1}
}

func fromInstanceRow(r upstream.FlowInstance) *model.FlowInstance {
	return &model.FlowInstance{ID: string(r.InstanceID), Description: model.Str(r.Description), FlowCode: string(r.FlowCode),
		FlowVersion: model.Str(r.FlowVersion), FlowName: model.Str(r.FlowName), Name: model.Str(r.FlowName),
		StartUserName: model.Str(r.StartUserName), StartTime: model.Time(r.StartTime.Time), EndTime: model.Time(r.EndTime.Time),
		Status: instanceStatus(r.Status, !r.EndTime.IsZero()), StatusCode: codeOf(r.Status)}
}

func fromProcessInstance(p *upstream.ProcessInstance) *model.FlowInstance {
	inst := &model.FlowInstance{ID: string(p.InstanceID), Name: model.Str(p.Name), Description: model.Str(p.Description),
		FlowCode: string(p.FlowCode), FlowVersion: model.Str(p.FlowVersion), StartUserName: model.Str(p.StartedBy),
		StartUserID: string(p.StartUserID), StartTime: model.Time(p.StartTime.Time), EndTime: model.Time(p.EndTime.Time),
		Status: instanceStatus(p.Status, bool(p.IsCompleted)), StatusCode: codeOf(p.Status)}
	if p.CurrentNodeID != "" {
		inst.KnownNode = &model.FlowNode{InstanceID: inst.ID, ElementID: string(p.CurrentNodeID), Name: model.Str(p.CurrentNodeName)}
	}
	return inst
}

// taskBox holds a task and every optional value it points to: one allocation instead of nine
// (a screen converts a hundred tasks).
type taskBox struct {
	task model.Task
	node model.FlowNode
	str  [3]string
	num  [2]int
	at   [2]time.Time
}

func toTask(t *upstream.InstanceTask) *model.Task {
	b := &taskBox{}
	b.node = model.FlowNode{InstanceID: string(t.InstanceID), ElementID: string(t.ElementID), Name: strIn(&b.str[0], t.ElementName)}
	b.task = model.Task{ID: string(t.TaskID), InstanceID: string(t.InstanceID), FlowCode: string(t.FlowCode),
		FlowName: strIn(&b.str[1], t.FlowName), Node: &b.node,
		AssigneeID: string(t.TaskAssignee.UserID), StartUserID: string(t.FlowStartUser.UserID),
		Status: taskStatus(t.TaskStatus), StatusCode: codeIn(&b.num[0], t.TaskStatus), Result: action(t.OperationResult),
		ResultCode: codeIn(&b.num[1], t.OperationResult), StartTime: timeIn(&b.at[0], t.StartTime.Time),
		EndTime: timeIn(&b.at[1], t.EndTime.Time), PageURL: strIn(&b.str[2], t.PageTransitionURL)}
	return &b.task
}

// strIn, codeIn and timeIn are model.Str, codeOf and model.Time storing the value in dst, a
// field of the object's box: nil for "", an absent code, the zero time.
func strIn[S ~string](dst *string, s S) *string {
	if s == "" {
		return nil
	}
	*dst = string(s)
	return dst
}

func codeIn(dst *int, o upstream.OptInt) *int {
	if !o.Valid {
		return nil
	}
	*dst = int(o.Value)
	return dst
}

func timeIn(dst *time.Time, t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	*dst = t
	return dst
}

func toOperation(op upstream.Operation) *model.Operation {
	c := op.Parsed
	ids := func(in []upstream.ID) []string {
		out := make([]string, len(in))
		for i, id := range in {
			out[i] = string(id)
		}
		return out
	}
	var signers, mentions []string
	for _, p := range c.CounterSigners {
		signers = append(signers, string(p.ID))
	}
	for id := range c.Mentions {
		mentions = append(mentions, id)
	}
	b := &operationBox{}
	b.op = model.Operation{NodeName: strIn(&b.str[0], op.ElementName), Time: timeIn(&b.at, op.CreateTime.Time),
		OperatorID: string(op.OperatorUser), Action: action(c.Action), ActionCode: codeIn(&b.num, c.Action),
		Comment: strIn(&b.str[1], c.Comment), CcUserIDs: ids(c.CcUserIDs), CounterSignerIDs: signers, MentionIDs: mentions,
		RevokeText: strIn(&b.str[2], c.RevokeText), Result: strIn(&b.str[3], op.Result), Content: strIn(&b.str[4], op.Content),
		ContentValid: c.Valid}
	return &b.op
}

// operationBox is taskBox for an entry of an instance's history.
type operationBox struct {
	op  model.Operation
	str [5]string
	num int
	at  time.Time
}

// workItemBox is taskBox for a work item: one allocation instead of up to twenty.
type workItemBox struct {
	item model.WorkItem
	node model.FlowNode
	str  [9]string
	num  [2]int
	at   [6]time.Time
}

func toWorkItem(p *upstream.ProcessInstance, box model.WorkBox) *model.WorkItem {
	b := &workItemBox{}
	b.item = model.WorkItem{TaskID: strIn(&b.str[0], p.TaskID), InstanceID: string(p.InstanceID), Name: strIn(&b.str[1], p.Name),
		Description: strIn(&b.str[2], p.Description), StartedBy: strIn(&b.str[3], p.StartedBy), StartUserID: string(p.StartUserID),
		StartTime: timeIn(&b.at[0], p.StartTime.Time), EndTime: timeIn(&b.at[1], p.EndTime.Time), IsCompleted: bool(p.IsCompleted),
		Status: instanceStatus(p.Status, bool(p.IsCompleted)), StatusCode: codeIn(&b.num[0], p.Status),
		CanApprove: bool(p.CanApprove), CanRevoke: bool(p.CanRevoke), CanDelete: bool(p.CanDelete), IsSubmitNode: bool(p.BeSubmitNode),
		CcID: strIn(&b.str[4], p.CcID), CcTime: timeIn(&b.at[2], p.CcTime.Time), TaskStartTime: timeIn(&b.at[3], p.TaskStartTime.Time),
		TaskDealTime: timeIn(&b.at[4], p.TaskDealTime.Time), TaskDealResult: action(p.TaskDealResult),
		OperationName: strIn(&b.str[5], p.OperationName), Read: bool(p.BeRead), SupportsBatchHandle: bool(p.IsSupportBatchHandle),
		FlowCode: strIn(&b.str[6], p.FlowCode), FlowVersion: strIn(&b.str[7], p.FlowVersion), Box: box, UserTaskType: model.UserTaskTypeUnknown}
	w := &b.item
	w.ID = workItemID(box, p)
	if p.CurrentNodeID != "" {
		b.node = model.FlowNode{InstanceID: w.InstanceID, ElementID: string(p.CurrentNodeID), Name: strIn(&b.str[8], p.CurrentNodeName)}
		w.CurrentNode = &b.node
	}
	for _, id := range strings.Split(string(p.CurrentApprover), ",") {
		if id = strings.TrimSpace(id); id != "" {
			w.CurrentApproverIDs = append(w.CurrentApproverIDs, id)
		}
	}
	if p.TaskWaitTime.Valid {
		b.num[1] = int(p.TaskWaitTime.Value / 1000)
		w.TaskWaitSeconds = &b.num[1]
	}
	switch {
	case p.UserTaskType.Valid && p.UserTaskType.Value == 1:
		w.UserTaskType = model.UserTaskTypeApproval
	case p.UserTaskType.Valid && p.UserTaskType.Value == 2:
		w.UserTaskType = model.UserTaskTypeHandle
	}
	for code, label := range p.Buttons {
		var o upstream.OptInt
		if o.UnmarshalJSON([]byte(code)) == nil && o.Valid {
			w.Buttons = append(w.Buttons, &model.Button{Action: action(o), Code: int(o.Value), Label: string(label)})
		}
	}
	slices.SortFunc(w.Buttons, func(a, b *model.Button) int { return a.Code - b.Code })
	return w
}

// workItemInstance is the instance a work item already describes, with no further call.
func workItemInstance(w *model.WorkItem) *model.FlowInstance {
	inst := &model.FlowInstance{ID: w.InstanceID, Name: w.Name, Description: w.Description, FlowVersion: w.FlowVersion,
		StartUserName: w.StartedBy, StartUserID: w.StartUserID, StartTime: w.StartTime, EndTime: w.EndTime,
		Status: w.Status, StatusCode: w.StatusCode, KnownNode: w.CurrentNode}
	if w.FlowCode != nil {
		inst.FlowCode = *w.FlowCode
	}
	return inst
}

func toCanvas(c *upstream.Canvas) *model.Canvas {
	out := &model.Canvas{Nodes: []*model.CanvasNode{}, Edges: []*model.CanvasEdge{}}
	for _, n := range c.Nodes {
		node := &model.CanvasNode{Index: codeOf(n.ID), ElementID: string(n.ElementID), Name: model.Str(n.Name),
			Kind: nodeKind(n.DataType), DataType: codeOf(n.DataType), Status: progress(n.Status), StatusCode: codeOf(n.Status),
			Visited: bool(n.Visited), Processors: []*model.Processor{}}
		for _, p := range n.Conf {
			node.Processors = append(node.Processors, &model.Processor{Name: model.Str(p.Name), Status: action(p.Status),
				StatusCode: codeOf(p.Status), OperatedAt: model.Time(p.OpTime.Time), Comment: model.Str(p.Comment),
				NewProcessors: model.Str(p.NewProcessors)})
		}
		out.Nodes = append(out.Nodes, node)
	}
	for _, e := range c.Edges {
		out.Edges = append(out.Edges, &model.CanvasEdge{Label: model.Str(e.Label), Type: codeOf(e.Type), Source: string(e.Source),
			Target: string(e.Target), Status: progress(e.Status), StatusCode: codeOf(e.Status)})
	}
	return out
}

func toApprovalPage(p *upstream.ApprovalPage) *model.ApprovalPage {
	out := &model.ApprovalPage{Objects: []*model.PageObject{}, ObjectLists: []*model.PageObjectList{}, Outputs: []*model.PageOutput{},
		ShowSubmit: bool(p.ShowSubmitApp), ShowCarbonCopy: bool(p.ShowCarbonCopy), ShowTransfer: bool(p.ShowTurnToPerson),
		ShowAddSigners: bool(p.ShowAddAssignee), ShowRollBack: bool(p.ShowRollBack), ShowRevoke: bool(p.ShowRevoke)}
	for _, o := range p.VariableInfos.ObjectMap {
		out.Objects = append(out.Objects, &model.PageObject{EntityCode: model.Str(o.EntityCode), RecordID: model.Str(o.RecordID),
			OutputKey: model.Str(o.OutputKey), Fields: map[string]any(o.FieldValueMap)})
	}
	for _, o := range p.VariableInfos.ObjectListMap {
		rows := make([]any, 0, len(o.FieldValueMapList))
		for _, r := range o.FieldValueMapList {
			rows = append(rows, map[string]any(r))
		}
		out.ObjectLists = append(out.ObjectLists, &model.PageObjectList{EntityCode: model.Str(o.EntityCode),
			OutputKey: model.Str(o.OutputKey), Rows: rows})
	}
	for _, o := range p.OutEntityCodes {
		out.Outputs = append(out.Outputs, &model.PageOutput{EntityCode: model.Str(o.EntityCode), Type: model.Str(o.Type),
			VariableKey: model.Str(o.VariableKey)})
	}
	return out
}

func toMessage(m upstream.Message) *model.Message {
	status := model.ReadStatusUnread
	if m.Status == upstream.MessageRead {
		status = model.ReadStatusRead
	}
	msg := &model.Message{ID: string(m.MessageID), Type: messageType(m.MessageType), TypeCode: codeOf(m.MessageType),
		Title: model.Str(m.MainTitle), Subtitle: model.Str(m.SubTitle), Text: model.Str(m.MessageText),
		Link: model.Str(m.MessagePageLink), Status: status, CreatedAt: model.Time(m.CreateTime.Time), UpdatedAt: model.Time(m.UpdateTime.Time)}
	msg.TaskID = model.Str(linkParam(string(m.MessagePageLink), "flowTaskId"))
	return msg
}

// linkParam reads a query parameter of a WeDa page link, whose parameters stand after a '#'.
func linkParam(link, name string) string {
	if i := strings.Index(link, "?"); i >= 0 {
		if q, err := url.ParseQuery(link[i+1:]); err == nil {
			return q.Get(name)
		}
	}
	return ""
}

// workItemID names an item by what it is about: in the CC box the copy, elsewhere the task (or,
// for an item without one, the instance), prefixed by its box, since one task appears in several.
func workItemID(box model.WorkBox, p *upstream.ProcessInstance) string {
	about := string(p.TaskID)
	if box == model.WorkBoxCc && p.CcID != "" {
		about = "cc:" + string(p.CcID)
	}
	if about == "" {
		about = "instance:" + string(p.InstanceID)
	}
	return string(box) + ":" + about
}
