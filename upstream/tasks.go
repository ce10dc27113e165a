package upstream

import (
	"context"
	"encoding/json"
	"fmt"
)

// Button actions, the ButtonAction that WeDa OpenAPI [4] 完成审批任务 takes.
const (
	ActionSubmit   = 1
	ActionApprove  = 2
	ActionReject   = 3
	ActionTransfer = 4
)

// Task statuses and user task types, as WeDa OpenAPI [7] 查询流程任务相关信息 writes them
// (TaskStatus, TaskType).
const (
	TaskTodo         = 1
	TaskDone         = 2
	TaskInvalid      = 3
	TaskDraft        = 4
	TaskToSubmit     = 5
	TaskTypeApproval = 1
	TaskTypeHandle   = 2
)

// VariableInfo is a page output variable sent with CompleteTask.
type VariableInfo struct {
	Type  string `json:"Type"` // "object"
	Value any    `json:"Value"`
}

// CompleteTaskRequest is CompleteTask's body: WeDa OpenAPI [4] 完成审批任务.
type CompleteTaskRequest struct {
	TaskID       ID                      `json:"TaskId"`
	ButtonAction int                     `json:"ButtonAction"`
	Comment      string                  `json:"Comment,omitempty"`
	PageParams   map[string]VariableInfo `json:"PageParams,omitempty"`
	Approver     UserInfo                `json:"Approver"`
	TurnToUser   *UserInfo               `json:"TurnToUser,omitempty"`
	CcUserIDs    []ID                    `json:"CcUserIds,omitempty"`
}

// PendingTask is a task waiting for its approver to be chosen: CompleteTask lists it, and
// SubmitFlowTaskList submits it.
type PendingTask struct {
	Assignee       ID   `json:"Assignee"`
	AssigneeName   Text `json:"AssigneeName"`
	WaitFlowTaskID ID   `json:"WaitFlowTaskId"`
}

// CompleteTaskResult is CompleteTask's answer.
type CompleteTaskResult struct {
	OpenPageFlag              Bool          `json:"OpenPageFlag"`
	ClosePageFlag             Bool          `json:"ClosePageFlag"`
	RefreshPageFlag           Bool          `json:"RefreshPageFlag"`
	ToBeSubmittedFlowTaskFlag Bool          `json:"ToBeSubmittedFlowTaskFlag"`
	ToBeSubmittedFlowTaskInfo []PendingTask `json:"ToBeSubmittedFlowTaskInfo"`
}

// CompleteTask submits, approves, rejects or transfers a task: WeDa OpenAPI [4] 完成审批任务.
func (c *Client) CompleteTask(ctx context.Context, req *CompleteTaskRequest) (*CompleteTaskResult, error) {
	var out CompleteTaskResult
	if err := c.workflow(ctx, "CompleteTask", true, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstanceTasksRequest is GetFlowInstanceTasks' body: WeDa OpenAPI [7] 查询流程任务相关信息.
type InstanceTasksRequest struct {
	InstanceID       ID        `json:"InstanceId"`
	TaskAssignee     *UserInfo `json:"TaskAssignee,omitempty"`
	TaskIDs          []ID      `json:"TaskIds,omitempty"`
	TaskType         int       `json:"TaskType,omitempty"`
	ElementIDs       []string  `json:"ElementIds,omitempty"`
	FlowCode         ID        `json:"FlowCode,omitempty"`
	TaskStatus       int       `json:"TaskStatus,omitempty"`
	StartUser        *UserInfo `json:"StartUser,omitempty"`
	IsCarbonCopyTask *bool     `json:"IsCarbonCopyTask,omitempty"`
	StartTime        int64     `json:"StartTime,omitempty"`
	EndTime          int64     `json:"EndTime,omitempty"`
	PageNumber       int       `json:"PageNumber,omitempty"`
	PageSize         int       `json:"PageSize,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r InstanceTasksRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.str("InstanceId", string(r.InstanceID), false)
	o.user("TaskAssignee", r.TaskAssignee)
	strs(&o, "TaskIds", r.TaskIDs)
	o.int("TaskType", int64(r.TaskType), true)
	strs(&o, "ElementIds", r.ElementIDs)
	o.str("FlowCode", string(r.FlowCode), true)
	o.int("TaskStatus", int64(r.TaskStatus), true)
	o.user("StartUser", r.StartUser)
	o.boolPtr("IsCarbonCopyTask", r.IsCarbonCopyTask)
	o.int("StartTime", r.StartTime, true)
	o.int("EndTime", r.EndTime, true)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	return o.end()
}

// InstanceTask is one task of an instance: WeDa OpenAPI [7] 查询流程任务相关信息.
type InstanceTask struct {
	InstanceID        ID       `json:"InstanceId"`
	FlowCode          ID       `json:"FlowCode"`
	FlowName          Text     `json:"FlowName"`
	TaskID            ID       `json:"TaskId"`
	FlowStartUser     UserInfo `json:"FlowStartUser"`
	TaskAssignee      UserInfo `json:"TaskAssignee"`
	ElementName       Text     `json:"ElementName"`
	ElementID         Text     `json:"ElementId"`
	StartTime         Time     `json:"StartTime"`
	EndTime           Time     `json:"EndTime"`
	TaskStatus        OptInt   `json:"TaskStatus"`
	OperationResult   OptInt   `json:"OperationResult"`
	PageTransitionURL Text     `json:"PageTransitionUrl"`
}

// InstanceTasks is GetFlowInstanceTasks' answer; TotalCount arrives as a string here.
type InstanceTasks struct {
	Result     []InstanceTask `json:"Result"`
	TotalCount Int            `json:"TotalCount"`
}

// GetFlowInstanceTasks lists an instance's tasks: WeDa OpenAPI [7] 查询流程任务相关信息.
func (c *Client) GetFlowInstanceTasks(ctx context.Context, req *InstanceTasksRequest) (*InstanceTasks, error) {
	return read[InstanceTasks](ctx, c, "GetFlowInstanceTasks", req)
}

// InstanceOperationsRequest is GetFlowInstanceOperations' body: WeDa OpenAPI [8] 查询流程操作相关信息.
type InstanceOperationsRequest struct {
	InstanceID   ID        `json:"InstanceId"`
	ElementIDs   []string  `json:"ElementIds,omitempty"`
	OperatorUser *UserInfo `json:"OperatorUser,omitempty"`
	PageNumber   int       `json:"PageNumber,omitempty"`
	PageSize     int       `json:"PageSize,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r InstanceOperationsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.str("InstanceId", string(r.InstanceID), false)
	strs(&o, "ElementIds", r.ElementIDs)
	o.user("OperatorUser", r.OperatorUser)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	return o.end()
}

// Operation is one entry of an instance's history: WeDa OpenAPI [8] 查询流程操作相关信息.
type Operation struct {
	ElementName  Text `json:"ElementName"`
	CreateTime   Time `json:"CreateTime"`
	OperatorUser ID   `json:"OperatorUser"`
	Content      Text `json:"Content"` // JSON inside a string; see Parsed
	Result       Text `json:"Result"`  // "null", "" or "true" in practice
	// Parsed is Content read into typed fields; filled by GetFlowInstanceOperations.
	Parsed OperationContent `json:"-"`
}

// InstanceOperations is GetFlowInstanceOperations' answer.
type InstanceOperations struct {
	Result     []Operation `json:"Result"`
	TotalCount Int         `json:"TotalCount"`
}

// GetFlowInstanceOperations lists an instance's operation history, Content parsed:
// WeDa OpenAPI [8] 查询流程操作相关信息.
func (c *Client) GetFlowInstanceOperations(ctx context.Context, req *InstanceOperationsRequest) (*InstanceOperations, error) {
	out, err := read[InstanceOperations](ctx, c, "GetFlowInstanceOperations", req)
	if err != nil {
		return nil, err
	}
	for i := range out.Result {
		out.Result[i].Parsed = ParseOperationContent(string(out.Result[i].Content))
	}
	return out, nil
}

// ApprovalPageRequest is GetApprovalPageDetail's body: WeDa OpenAPI [10] 查询审批页面详情.
type ApprovalPageRequest struct {
	InstanceID  ID     `json:"InstanceId"`
	FlowCode    ID     `json:"FlowCode"`
	NodeID      string `json:"NodeId"`
	IsCompleted *bool  `json:"IsCompleted,omitempty"`
	PageType    string `json:"PageType"`
	TaskID      ID     `json:"TaskId"`
	CcID        ID     `json:"Id,omitempty"` // for PageCC: DescribeProcessInstance's CcId
}

// MarshalJSON implements json.Marshaler.
func (r ApprovalPageRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.str("InstanceId", string(r.InstanceID), false)
	o.str("FlowCode", string(r.FlowCode), false)
	o.str("NodeId", r.NodeID, false)
	o.boolPtr("IsCompleted", r.IsCompleted)
	o.str("PageType", r.PageType, false)
	o.str("TaskId", string(r.TaskID), false)
	o.str("Id", string(r.CcID), true)
	return o.end()
}

// ObjectVariable is a page input variable holding one record.
type ObjectVariable struct {
	EntityCode    Text       `json:"EntityCode"` // "entityCode" too: field matching ignores case
	RecordID      Text       `json:"RecordId"`
	OutputKey     Text       `json:"OutputKey"`
	FieldValueMap JSONObject `json:"FieldValueMap"`
}

// ObjectListVariable is a page input variable holding a list of records.
type ObjectListVariable struct {
	EntityCode        Text         `json:"EntityCode"`
	OutputKey         Text         `json:"OutputKey"`
	FieldValueMapList []JSONObject `json:"FieldValueMapList"`
}

// VariableInfos holds the page's input variables. The vendor's table spells the list field
// ObejctListMap and its example ObjectListMap; both are read.
type VariableInfos struct {
	ObjectListMap []ObjectListVariable
	ObjectMap     []ObjectVariable
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *VariableInfos) UnmarshalJSON(b []byte) error {
	var w struct {
		ObejctListMap []ObjectListVariable `json:"ObejctListMap"`
		ObjectListMap []ObjectListVariable `json:"ObjectListMap"`
		ObjectMap     []ObjectVariable     `json:"ObjectMap"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("variable infos: %w", err)
	}
	v.ObjectListMap = append(w.ObjectListMap, w.ObejctListMap...)
	v.ObjectMap = w.ObjectMap
	return nil
}

// OutputParam is a page output variable the approver may send back with CompleteTask.
type OutputParam struct {
	EntityCode  Text `json:"EntityCode"`
	Type        Text `json:"Type"`
	VariableKey Text `json:"VariableKey"`
}

// ApprovalPage is GetApprovalPageDetail's answer: the page's data, and WeDa's own word on which
// buttons the page's viewer gets, each the action it offers.
type ApprovalPage struct {
	VariableInfos    VariableInfos `json:"VariableInfos"`
	ShowSubmitApp    Bool          `json:"ShowSubmitApp"`    // submit: [4] ActionSubmit
	ShowCarbonCopy   Bool          `json:"ShowCarbonCopy"`   // copy others: [4] CcUserIds
	ShowTurnToPerson Bool          `json:"ShowTurnToPerson"` // transfer: [4] ActionTransfer
	ShowAddAssignee  Bool          `json:"ShowAddAssignee"`  // add counter-signers: [17] 加签
	ShowRollBack     Bool          `json:"ShowRollBack"`     // roll back: [19] 回退
	ShowRevoke       Bool          `json:"ShowRevoke"`       // revoke: [16] 撤销
	OutEntityCodes   []OutputParam `json:"OutEntityCodes"`
}

// GetApprovalPageDetail reads a task's approval page: WeDa OpenAPI [10] 查询审批页面详情.
func (c *Client) GetApprovalPageDetail(ctx context.Context, req *ApprovalPageRequest) (*ApprovalPage, error) {
	return read[ApprovalPage](ctx, c, "GetApprovalPageDetail", req)
}

// SubmitFlowTaskList submits the pending tasks CompleteTask listed, naming the next approvers:
// WeDa OpenAPI [14] 提交流程审批任务列表.
func (c *Client) SubmitFlowTaskList(ctx context.Context, flowTaskIDs []ID) error {
	return c.write(ctx, "SubmitFlowTaskList", struct {
		FlowTaskIDs []ID `json:"FlowTaskIds"`
	}{flowTaskIDs})
}

// AddCounterSignRequest is AddCounterSignAssignee's body: WeDa OpenAPI [17] 加签.
type AddCounterSignRequest struct {
	TaskID      ID       `json:"TaskId"`
	Approver    UserInfo `json:"Approver"`
	AssigneeIDs []ID     `json:"AssigneeIds"`
}

// AddCounterSignAssignee adds counter-signers to the current node: WeDa OpenAPI [17] 加签.
func (c *Client) AddCounterSignAssignee(ctx context.Context, req *AddCounterSignRequest) error {
	return c.write(ctx, "AddCounterSignAssignee", req)
}
