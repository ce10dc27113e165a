package upstream

import (
	"context"
	"encoding/json"
	"fmt"
)

// Coded values of the workflow API, named as weda-api.md describes them. Values the vendor adds
// later pass through as plain ints; nothing here rejects an unknown code.

// Flow types for ListDeployedFlows [2].
const (
	FlowTypeLogic    = 1
	FlowTypeApproval = 2
)

// Button actions for CompleteTask [4].
const (
	ActionSubmit   = 1
	ActionApprove  = 2
	ActionReject   = 3
	ActionTransfer = 4
)

// Instance statuses [6].
const (
	InstanceStopped    = 1
	InstanceRejected   = 2
	InstanceApproved   = 3
	InstanceInProgress = 4
)

// Task statuses [7].
const (
	TaskTodo         = 1
	TaskDone         = 2
	TaskInvalid      = 3
	TaskDraft        = 4
	TaskToSubmit     = 5
	TaskTypeApproval = 1
	TaskTypeHandle   = 2
)

// Page types of the workbench [9] [10] [12] [13].
const (
	PageTodo   = "TODO"
	PageDone   = "DONE"
	PageCreate = "CREATE"
	PageCC     = "CC"
	PageDraft  = "DRAFT"
)

// Revoker types [16].
const (
	RevokeByApprover = 1
	RevokeByStarter  = 2
)

// Message types and statuses [20] [22].
const (
	MessageTodo     = 0
	MessageInSite   = 2
	MessageRead     = "READ_DONE"
	MessageUnread   = "READ_TODO"
	MaxMessagesPage = 200
)

// resultAnswer is the Data of the write endpoints that answer {"Result": true}.
type resultAnswer struct {
	Result    Bool `json:"Result"`
	requestID string
}

func (r *resultAnswer) setRequestID(id string) { r.requestID = id }

// write calls a write endpoint that answers {"Result": bool}; Result false is a refusal.
func (c *Client) write(ctx context.Context, endpoint string, in any) error {
	var out resultAnswer
	if err := c.workflow(ctx, endpoint, true, in, &out); err != nil {
		return err
	}
	if !out.Result {
		return &Error{Endpoint: endpoint, HTTPStatus: 200, Kind: KindFailedOperation, Code: "FailedOperation",
			Message: "the upstream answered Result=false", RequestID: out.requestID}
	}
	return nil
}

// DeployedFlow is a deployed process [2].
type DeployedFlow struct {
	FlowCode         ID     `json:"FlowCode"`   // changes on every save or publish
	ProcessKey       string `json:"ProcessKey"` // stable
	Published        Bool   `json:"Published"`
	Version          Text   `json:"Version"`
	Name             Text   `json:"Name"`
	Description      Text   `json:"Description"`
	BeginElementType OptInt `json:"BeginElementType"` // 1: the start node takes parameters
}

// DeployedFlows is ListDeployedFlows' answer.
type DeployedFlows struct {
	TotalCount Int            `json:"TotalCount"`
	FlowSet    []DeployedFlow `json:"FlowSet"`
}

// ListDeployedFlows lists the deployed flows of a type (FlowTypeApproval, FlowTypeLogic) [2].
func (c *Client) ListDeployedFlows(ctx context.Context, flowType int) (*DeployedFlows, error) {
	var out DeployedFlows
	err := c.workflow(ctx, "ListDeployedFlows", false, struct {
		Type int `json:"Type"`
	}{flowType}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// StartFlowRequest is StartFlow's body [3].
type StartFlowRequest struct {
	FlowCode    ID             `json:"FlowCode"`
	FlowVersion string         `json:"FlowVersion"`
	ProcessKey  string         `json:"ProcessKey"`
	StartParams map[string]any `json:"StartParams,omitempty"`
	StartUser   UserInfo       `json:"StartUser"`
}

// StartFlowResult is StartFlow's answer.
type StartFlowResult struct {
	FlowInstanceID ID `json:"FlowInstanceId"`
	TaskID         ID `json:"TaskId"` // the starter's own task, if any
}

// StartFlow starts an instance of a flow [3]. It is a write: never retried.
func (c *Client) StartFlow(ctx context.Context, req *StartFlowRequest) (*StartFlowResult, error) {
	var out StartFlowResult
	if err := c.workflow(ctx, "StartFlow", true, req, &out); err != nil {
		return nil, err
	}
	if out.FlowInstanceID == "" {
		return nil, &Error{Endpoint: "StartFlow", Kind: KindBadResponse, Message: "answer has no FlowInstanceId"}
	}
	return &out, nil
}

// VariableInfo is a page output variable sent with CompleteTask.
type VariableInfo struct {
	Type  string `json:"Type"` // "object"
	Value any    `json:"Value"`
}

// CompleteTaskRequest is CompleteTask's body [4].
type CompleteTaskRequest struct {
	TaskID       ID                      `json:"TaskId"`
	ButtonAction int                     `json:"ButtonAction"`
	Comment      string                  `json:"Comment,omitempty"`
	PageParams   map[string]VariableInfo `json:"PageParams,omitempty"`
	Approver     UserInfo                `json:"Approver"`
	TurnToUser   *UserInfo               `json:"TurnToUser,omitempty"`
	CcUserIDs    []ID                    `json:"CcUserIds,omitempty"`
}

// PendingTask is a task waiting for its approver to be chosen [4] → [14].
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

// CompleteTask submits, approves, rejects or transfers a task [4].
func (c *Client) CompleteTask(ctx context.Context, req *CompleteTaskRequest) (*CompleteTaskResult, error) {
	var out CompleteTaskResult
	if err := c.workflow(ctx, "CompleteTask", true, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StopFlowRequest is StopFlow's body [5].
type StopFlowRequest struct {
	InstanceID   ID       `json:"InstanceId"`
	Operator     UserInfo `json:"Operator"`
	DeleteReason string   `json:"DeleteReason,omitempty"`
}

// StopFlow terminates an instance [5].
func (c *Client) StopFlow(ctx context.Context, req *StopFlowRequest) error {
	return c.write(ctx, "StopFlow", req)
}

// FlowInstancesRequest is GetFlowInstances' body [6]; zero fields are left out.
type FlowInstancesRequest struct {
	FlowCode    ID     `json:"FlowCode,omitempty"`
	ProcessKey  string `json:"ProcessKey,omitempty"`
	FlowVersion string `json:"FlowVersion,omitempty"`
	StartUserID ID     `json:"StartUserId,omitempty"`
	StartTime   int64  `json:"StartTime,omitempty"` // epoch ms
	EndTime     int64  `json:"EndTime,omitempty"`
	Status      int    `json:"Status,omitempty"`
	PageNumber  int    `json:"PageNumber,omitempty"`
	PageSize    int    `json:"PageSize,omitempty"`
	Sort        string `json:"Sort,omitempty"`
	Order       string `json:"Order,omitempty"`
}

// FlowInstance is one row of GetFlowInstances [6].
type FlowInstance struct {
	InstanceID    ID     `json:"InstanceId"`
	Description   Text   `json:"Description"`
	FlowCode      ID     `json:"FlowCode"`
	FlowName      Text   `json:"FlowName"`
	FlowVersion   Text   `json:"FlowVersion"`
	StartUserName Text   `json:"StartUserName"`
	StartTime     Time   `json:"StartTime"`
	EndTime       Time   `json:"EndTime"`
	Status        OptInt `json:"Status"`
}

// FlowInstances is GetFlowInstances' answer.
type FlowInstances struct {
	Result     []FlowInstance `json:"Result"`
	TotalCount Int            `json:"TotalCount"`
}

// GetFlowInstances lists instances by flow, starter, time, status, with sort and paging [6].
func (c *Client) GetFlowInstances(ctx context.Context, req *FlowInstancesRequest) (*FlowInstances, error) {
	var out FlowInstances
	if err := c.workflow(ctx, "GetFlowInstances", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstanceTasksRequest is GetFlowInstanceTasks' body [7].
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

// InstanceTask is one task of an instance [7].
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

// GetFlowInstanceTasks lists an instance's tasks [7].
func (c *Client) GetFlowInstanceTasks(ctx context.Context, req *InstanceTasksRequest) (*InstanceTasks, error) {
	var out InstanceTasks
	if err := c.workflow(ctx, "GetFlowInstanceTasks", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstanceOperationsRequest is GetFlowInstanceOperations' body [8].
type InstanceOperationsRequest struct {
	InstanceID   ID        `json:"InstanceId"`
	ElementIDs   []string  `json:"ElementIds,omitempty"`
	OperatorUser *UserInfo `json:"OperatorUser,omitempty"`
	PageNumber   int       `json:"PageNumber,omitempty"`
	PageSize     int       `json:"PageSize,omitempty"`
}

// Operation is one entry of an instance's history [8].
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

// GetFlowInstanceOperations lists an instance's operation history, Content parsed [8].
func (c *Client) GetFlowInstanceOperations(ctx context.Context, req *InstanceOperationsRequest) (*InstanceOperations, error) {
	var out InstanceOperations
	if err := c.workflow(ctx, "GetFlowInstanceOperations", false, req, &out); err != nil {
		return nil, err
	}
	for i := range out.Result {
		out.Result[i].Parsed = ParseOperationContent(string(out.Result[i].Content))
	}
	return &out, nil
}

// DescribeInstanceRequest is DescribeProcessInstance's body [9].
type DescribeInstanceRequest struct {
	FlowTaskID ID        `json:"FlowTaskId"`
	PageType   string    `json:"PageType"`
	UserInfo   *UserInfo `json:"UserInfo,omitempty"` // required for PageCC
}

// ProcessInstance is an instance as the workbench sees it: the detail of [9] and the records
// of [12] share it.
type ProcessInstance struct {
	InstanceID           ID              `json:"InstanceId"`
	Name                 Text            `json:"Name"`
	Description          Text            `json:"Description"`
	StartedBy            Text            `json:"StartedBy"`
	StartUserID          ID              `json:"StartUserId"` // a JSON number in [9]
	CanRevoke            Bool            `json:"CanRevoke"`
	CcTime               Time            `json:"CcTime"`
	CcID                 ID              `json:"CcId"`
	CurrentApprover      Text            `json:"CurrentApprover"`
	CurrentApproverName  Text            `json:"CurrentApproverName"`
	StartTime            Time            `json:"StartTime"`
	EndTime              Time            `json:"EndTime"`
	IsCompleted          Bool            `json:"IsCompleted"`
	CurrentNodeID        Text            `json:"CurrentNodeId"`
	CurrentNodeName      Text            `json:"CurrentNodeName"`
	CurrentNodeType      OptInt          `json:"CurrentNodeType"`
	TaskID               ID              `json:"TaskId"`
	FlowCode             ID              `json:"FlowCode"`
	FlowVersion          Text            `json:"FlowVersion"`
	CanApprove           Bool            `json:"CanApprove"`
	CanDelete            Bool            `json:"CanDelete"`
	UserTaskType         OptInt          `json:"UserTaskType"`
	Status               OptInt          `json:"Status"`
	BeSubmitNode         Bool            `json:"BeSubmitNode"`
	TaskStartTime        Time            `json:"TaskStartTime"`
	TaskWaitTime         OptInt          `json:"TaskWaitTime"` // milliseconds
	TaskDealTime         Time            `json:"TaskDealTime"`
	TaskDealResult       OptInt          `json:"TaskDealResult"`
	OperationName        Text            `json:"OperationName"`
	Buttons              map[string]Text `json:"Buttons"` // button action code → label
	BeRead               Bool            `json:"BeRead"`
	IsSupportBatchHandle Bool            `json:"IsSupportBatchHandle"`
}

// DescribeProcessInstance reads the instance behind a task, as one page type sees it [9].
func (c *Client) DescribeProcessInstance(ctx context.Context, req *DescribeInstanceRequest) (*ProcessInstance, error) {
	var out ProcessInstance
	if err := c.workflow(ctx, "DescribeProcessInstance", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApprovalPageRequest is GetApprovalPageDetail's body [10].
type ApprovalPageRequest struct {
	InstanceID  ID     `json:"InstanceId"`
	FlowCode    ID     `json:"FlowCode"`
	NodeID      string `json:"NodeId"`
	IsCompleted *bool  `json:"IsCompleted,omitempty"`
	PageType    string `json:"PageType"`
	TaskID      ID     `json:"TaskId"`
	CcID        ID     `json:"Id,omitempty"` // for PageCC: DescribeProcessInstance's CcId
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

// ApprovalPage is GetApprovalPageDetail's answer: page data and which buttons to show.
type ApprovalPage struct {
	VariableInfos    VariableInfos `json:"VariableInfos"`
	ShowSubmitApp    Bool          `json:"ShowSubmitApp"`
	ShowCarbonCopy   Bool          `json:"ShowCarbonCopy"`
	ShowTurnToPerson Bool          `json:"ShowTurnToPerson"`
	ShowAddAssignee  Bool          `json:"ShowAddAssignee"`
	ShowRollBack     Bool          `json:"ShowRollBack"`
	ShowRevoke       Bool          `json:"ShowRevoke"`
	OutEntityCodes   []OutputParam `json:"OutEntityCodes"`
}

// GetApprovalPageDetail reads a task's approval page [10].
func (c *Client) GetApprovalPageDetail(ctx context.Context, req *ApprovalPageRequest) (*ApprovalPage, error) {
	var out ApprovalPage
	if err := c.workflow(ctx, "GetApprovalPageDetail", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Processor is a person's part in a canvas node [11].
type Processor struct {
	Name          Text   `json:"Name"`
	Status        OptInt `json:"Status"` // 0 todo, 1 submit ... 9 skip; 13 handle appears too
	OpTime        Time   `json:"OpTime"`
	Comment       Text   `json:"Comment"`
	NewProcessors Text   `json:"NewProcessors"`
}

// CanvasNode is a node of the flow diagram [11].
type CanvasNode struct {
	ID        OptInt      `json:"Id"`
	ElementID Text        `json:"ElementId"`
	Name      Text        `json:"Name"`
	DataType  OptInt      `json:"DataType"`
	Status    OptInt      `json:"Status"` // 1 done, 2 not started, 3 in progress
	Visited   Bool        `json:"visited"`
	Conf      []Processor `json:"Conf"`
}

// CanvasEdge is an edge of the flow diagram [11].
type CanvasEdge struct {
	Label  Text   `json:"Label"`
	Type   OptInt `json:"Type"`
	Source Text   `json:"Source"`
	Target Text   `json:"Target"`
	Status OptInt `json:"Status"`
}

// Canvas is GetProcessCanvasInfo's answer.
type Canvas struct {
	Nodes []CanvasNode `json:"Nodes"`
	Edges []CanvasEdge `json:"Edges"`
}

// GetProcessCanvasInfo reads an instance's diagram with progress [11].
func (c *Client) GetProcessCanvasInfo(ctx context.Context, instanceID, flowCode ID) (*Canvas, error) {
	var out Canvas
	err := c.workflow(ctx, "GetProcessCanvasInfo", false, struct {
		InstanceID ID `json:"InstanceId"`
		FlowCode   ID `json:"FlowCode"`
	}{instanceID, flowCode}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// WorkItemsRequest is ListProcessInstances' body [12].
type WorkItemsRequest struct {
	UserInfo   UserInfo `json:"UserInfo"`
	PageType   string   `json:"PageType"`
	PageNumber int      `json:"PageNumber,omitempty"`
	PageSize   int      `json:"PageSize,omitempty"`
	Sort       string   `json:"Sort,omitempty"`  // startTime (default) or updateTime
	Order      string   `json:"Order,omitempty"` // desc (default) or asc
}

// WorkItems is ListProcessInstances' answer.
type WorkItems struct {
	Records    []ProcessInstance `json:"Records"`
	TotalCount Int               `json:"TotalCount"`
	PageSize   Int               `json:"PageSize"`
	PageNumber Int               `json:"PageNumber"`
	Pages      Int               `json:"Pages"`
	FirstPage  Bool              `json:"FirstPage"`
	LastPage   Bool              `json:"LastPage"`
}

// ListProcessInstances lists a user's workbench box (TODO, DONE, CREATE, CC, DRAFT) [12].
func (c *Client) ListProcessInstances(ctx context.Context, req *WorkItemsRequest) (*WorkItems, error) {
	var out WorkItems
	if err := c.workflow(ctx, "ListProcessInstances", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BoxCount is the size of one workbench box [13].
type BoxCount struct {
	Total    Int  `json:"Total"`
	PageType Text `json:"PageType"`
}

// ListProcessInstancesCount counts a user's workbench boxes; pageType "" asks for all [13].
func (c *Client) ListProcessInstancesCount(ctx context.Context, user UserInfo, pageType string) ([]BoxCount, error) {
	var out struct {
		TotalCounts []BoxCount `json:"TotalCounts"`
	}
	err := c.workflow(ctx, "ListProcessInstancesCount", false, countsRequest{user, pageType}, &out)
	if err != nil {
		return nil, err
	}
	return out.TotalCounts, nil
}

// SubmitFlowTaskList submits the pending tasks CompleteTask listed, naming the next approvers [14].
func (c *Client) SubmitFlowTaskList(ctx context.Context, flowTaskIDs []ID) error {
	return c.write(ctx, "SubmitFlowTaskList", struct {
		FlowTaskIDs []ID `json:"FlowTaskIds"`
	}{flowTaskIDs})
}

// PressTask urges an instance's current approvers; three times a day per task at most [15].
func (c *Client) PressTask(ctx context.Context, instanceID ID) error {
	return c.write(ctx, "PressTask", struct {
		InstanceID ID `json:"InstanceId"`
	}{instanceID})
}

// RevokeRequest is Revoke's body [16].
type RevokeRequest struct {
	TaskID      ID
	Revoker     UserInfo
	RevokerType int // RevokeByApprover or RevokeByStarter
}

// MarshalJSON sends the revoker type under both names: the vendor's table says RevokerType,
// its example RevokeType.
func (r RevokeRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TaskID      ID       `json:"TaskId"`
		Revoker     UserInfo `json:"Revoker"`
		RevokerType int      `json:"RevokerType"`
		RevokeType  int      `json:"RevokeType"`
	}{r.TaskID, r.Revoker, r.RevokerType, r.RevokerType})
}

// Revoke withdraws a task, as its approver or as the instance's starter [16].
func (c *Client) Revoke(ctx context.Context, req *RevokeRequest) error {
	return c.write(ctx, "Revoke", req)
}

// AddCounterSignRequest is AddCounterSignAssignee's body [17].
type AddCounterSignRequest struct {
	TaskID      ID       `json:"TaskId"`
	Approver    UserInfo `json:"Approver"`
	AssigneeIDs []ID     `json:"AssigneeIds"`
}

// AddCounterSignAssignee adds counter-signers to the current node [17].
func (c *Client) AddCounterSignAssignee(ctx context.Context, req *AddCounterSignRequest) error {
	return c.write(ctx, "AddCounterSignAssignee", req)
}

// RollbackTarget is a node an instance may be rolled back to [18].
type RollbackTarget struct {
	ElementID   Text   `json:"ElementId"`
	ElementName Text   `json:"ElementName"`
	ActTaskID   ID     `json:"ActTaskId"`
	ApproveType OptInt `json:"ApproveType"` // 1: the approval start node, 2: another node
	LastNode    Bool   `json:"LastNode"`
}

// GetPreElementList lists the nodes an instance may roll back to [18].
func (c *Client) GetPreElementList(ctx context.Context, instanceID ID) ([]RollbackTarget, error) {
	var out struct {
		ElementInfoList []RollbackTarget `json:"ElementInfoList"`
	}
	err := c.workflow(ctx, "GetPreElementList", false, struct {
		InstanceID ID `json:"InstanceId"`
	}{instanceID}, &out)
	if err != nil {
		return nil, err
	}
	return out.ElementInfoList, nil
}

// RollBackRequest is RollBack's body [19].
type RollBackRequest struct {
	UserInfo        UserInfo `json:"UserInfo"`
	TaskID          ID       `json:"TaskId"`
	TargetNodeID    string   `json:"TargetNodeId"`
	TargetActTaskID ID       `json:"TargetActTaskId"`
}

// RollBack sends a task back to an earlier node from GetPreElementList [19].
func (c *Client) RollBack(ctx context.Context, req *RollBackRequest) error {
	return c.write(ctx, "RollBack", req)
}

// MessagesRequest is DescribeWorkflowMessages' body [20].
type MessagesRequest struct {
	UserInfo        UserInfo `json:"UserInfo"`
	PageNo          int      `json:"PageNo"`
	PageSize        int      `json:"PageSize"` // at most MaxMessagesPage
	SearchTitleName string   `json:"SearchTitleName,omitempty"`
	MessageType     *int     `json:"MessageType,omitempty"` // 0 is a real type: nil means all
	Status          string   `json:"Status,omitempty"`
}

// Message is a workbench message [20].
type Message struct {
	MessageType     OptInt `json:"MessageType"`
	MainTitle       Text   `json:"MainTitle"`
	SubTitle        Text   `json:"SubTitle"`
	MessageText     Text   `json:"MessageText"`
	MessagePageLink Text   `json:"MessagePageLink"`
	MessageID       ID     `json:"MessageId"`
	Status          Text   `json:"Status"`
	CreateTime      Time   `json:"CreateTime"`
	UpdateTime      Time   `json:"UpdateTime"`
}

// Messages is DescribeWorkflowMessages' answer.
type Messages struct {
	TotalCount   Int       `json:"TotalCount"`
	ResponseList []Message `json:"ResponseList"`
}

// DescribeWorkflowMessages lists a user's messages [20].
func (c *Client) DescribeWorkflowMessages(ctx context.Context, req *MessagesRequest) (*Messages, error) {
	var out Messages
	if err := c.workflow(ctx, "DescribeWorkflowMessages", false, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MessageCount counts a user's messages of one type [21].
type MessageCount struct {
	MessageType  OptInt `json:"MessageType"`
	WaitingCount Int    `json:"WaitingCount"`
	FinishCount  Int    `json:"FinishCount"`
}

// DescribeWorkflowMessageCount counts a user's messages of a type [21].
func (c *Client) DescribeWorkflowMessageCount(ctx context.Context, user UserInfo, messageType int) ([]MessageCount, error) {
	var out struct {
		Result []MessageCount `json:"Result"`
	}
	err := c.workflow(ctx, "DescribeWorkflowMessageCount", false, struct {
		UserInfo    UserInfo `json:"UserInfo"`
		MessageType int      `json:"MessageType"`
	}{user, messageType}, &out)
	if err != nil {
		return nil, err
	}
	return out.Result, nil
}

// UpdateWorkflowMessageStatus marks messages read (MessageRead) or unread (MessageUnread) [22].
func (c *Client) UpdateWorkflowMessageStatus(ctx context.Context, user UserInfo, ids []ID, status string) error {
	return c.write(ctx, "UpdateWorkflowMessageStatus", struct {
		UserInfo      UserInfo `json:"UserInfo"`
		MessageIDList []ID     `json:"MessageIdList"`
		Status        string   `json:"Status"`
	}{user, ids, status})
}
