package upstream

import (
	"context"
	"encoding/json"
)

// Instance statuses, as WeDa OpenAPI [6] 查询流程实例相关信息 writes them (Status); [9] writes the
// first three for an instance that has ended.
const (
	InstanceStopped    = 1
	InstanceRejected   = 2
	InstanceApproved   = 3
	InstanceInProgress = 4
)

// Revoker types, the RevokerType that WeDa OpenAPI [16] 撤销 takes.
const (
	RevokeByApprover = 1
	RevokeByStarter  = 2
)

// StopFlowRequest is StopFlow's body: WeDa OpenAPI [5] 终止流程.
type StopFlowRequest struct {
	InstanceID   ID       `json:"InstanceId"`
	Operator     UserInfo `json:"Operator"`
	DeleteReason string   `json:"DeleteReason,omitempty"`
}

// StopFlow terminates an instance: WeDa OpenAPI [5] 终止流程.
func (c *Client) StopFlow(ctx context.Context, req *StopFlowRequest) error {
	return c.write(ctx, "StopFlow", req)
}

// FlowInstancesRequest is GetFlowInstances' body: WeDa OpenAPI [6] 查询流程实例相关信息. Zero
// fields are left out.
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

// MarshalJSON implements json.Marshaler.
func (r FlowInstancesRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.str("FlowCode", string(r.FlowCode), true)
	o.str("ProcessKey", r.ProcessKey, true)
	o.str("FlowVersion", r.FlowVersion, true)
	o.str("StartUserId", string(r.StartUserID), true)
	o.int("StartTime", r.StartTime, true)
	o.int("EndTime", r.EndTime, true)
	o.int("Status", int64(r.Status), true)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	o.str("Sort", r.Sort, true)
	o.str("Order", r.Order, true)
	return o.end()
}

// FlowInstance is one row of WeDa OpenAPI [6] 查询流程实例相关信息.
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

// GetFlowInstances lists instances by flow, starter, time, status, with sort and paging:
// WeDa OpenAPI [6] 查询流程实例相关信息.
func (c *Client) GetFlowInstances(ctx context.Context, req *FlowInstancesRequest) (*FlowInstances, error) {
	return read[FlowInstances](ctx, c, "GetFlowInstances", req)
}

// DescribeInstanceRequest is DescribeProcessInstance's body: WeDa OpenAPI [9] 查询流程实例详情.
type DescribeInstanceRequest struct {
	FlowTaskID ID        `json:"FlowTaskId"`
	PageType   string    `json:"PageType"`
	UserInfo   *UserInfo `json:"UserInfo,omitempty"` // required for PageCC
}

// MarshalJSON implements json.Marshaler.
func (r DescribeInstanceRequest) MarshalJSON() ([]byte, error) {
	o := newObject(96)
	o.str("FlowTaskId", string(r.FlowTaskID), false)
	o.str("PageType", r.PageType, false)
	o.user("UserInfo", r.UserInfo)
	return o.end()
}

// ProcessInstance is an instance as the workbench sees it: the detail of WeDa OpenAPI [9]
// 查询流程实例详情 and the records of [12] 根据类型查询流程实例列表 share it.
type ProcessInstance struct {
	InstanceID  ID   `json:"InstanceId"`
	Name        Text `json:"Name"`
	Description Text `json:"Description"`
	StartedBy   Text `json:"StartedBy"`
	StartUserID ID   `json:"StartUserId"` // a JSON number in [9]
	// CanRevoke is WeDa's own word (是否允许撤回) on whether the viewer may revoke ([16] 撤销)
	// what this record shows.
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

// DescribeProcessInstance reads the instance behind a task, as one page type sees it:
// WeDa OpenAPI [9] 查询流程实例详情.
func (c *Client) DescribeProcessInstance(ctx context.Context, req *DescribeInstanceRequest) (*ProcessInstance, error) {
	return read[ProcessInstance](ctx, c, "DescribeProcessInstance", req)
}

// Processor is a person's part in a canvas node: WeDa OpenAPI [11] 查询流程画布详情.
type Processor struct {
	Name          Text   `json:"Name"`
	Status        OptInt `json:"Status"` // 0 todo, 1 submit ... 9 skip; 13 handle appears too
	OpTime        Time   `json:"OpTime"`
	Comment       Text   `json:"Comment"`
	NewProcessors Text   `json:"NewProcessors"`
}

// CanvasNode is a node of the flow diagram: WeDa OpenAPI [11] 查询流程画布详情.
type CanvasNode struct {
	ID        OptInt      `json:"Id"`
	ElementID Text        `json:"ElementId"`
	Name      Text        `json:"Name"`
	DataType  OptInt      `json:"DataType"`
	Status    OptInt      `json:"Status"` // 1 done, 2 not started, 3 in progress
	Visited   Bool        `json:"visited"`
	Conf      []Processor `json:"Conf"`
}

// CanvasEdge is an edge of the flow diagram: WeDa OpenAPI [11] 查询流程画布详情.
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

// GetProcessCanvasInfo reads an instance's diagram with progress: WeDa OpenAPI [11] 查询流程画布详情.
func (c *Client) GetProcessCanvasInfo(ctx context.Context, instanceID, flowCode ID) (*Canvas, error) {
	return read[Canvas](ctx, c, "GetProcessCanvasInfo", struct {
		InstanceID ID `json:"InstanceId"`
		FlowCode   ID `json:"FlowCode"`
	}{instanceID, flowCode})
}

// PressTask urges an instance's current approvers, three times a day per task at most:
// WeDa OpenAPI [15] 催办.
func (c *Client) PressTask(ctx context.Context, instanceID ID) error {
	return c.write(ctx, "PressTask", struct {
		InstanceID ID `json:"InstanceId"`
	}{instanceID})
}

// RevokeRequest is Revoke's body: WeDa OpenAPI [16] 撤销.
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

// Revoke withdraws a task, as its approver or as the instance's starter: WeDa OpenAPI [16] 撤销.
func (c *Client) Revoke(ctx context.Context, req *RevokeRequest) error {
	return c.write(ctx, "Revoke", req)
}

// RollbackTarget is a node an instance may be rolled back to: WeDa OpenAPI [18] 获取可回退的节点列表.
type RollbackTarget struct {
	ElementID   Text   `json:"ElementId"`
	ElementName Text   `json:"ElementName"`
	ActTaskID   ID     `json:"ActTaskId"`
	ApproveType OptInt `json:"ApproveType"` // 1: the approval start node, 2: another node
	LastNode    Bool   `json:"LastNode"`
}

// GetPreElementList lists the nodes an instance may roll back to: WeDa OpenAPI [18]
// 获取可回退的节点列表.
func (c *Client) GetPreElementList(ctx context.Context, instanceID ID) ([]RollbackTarget, error) {
	out, err := read[struct {
		ElementInfoList []RollbackTarget `json:"ElementInfoList"`
	}](ctx, c, "GetPreElementList", struct {
		InstanceID ID `json:"InstanceId"`
	}{instanceID})
	if err != nil {
		return nil, err
	}
	return out.ElementInfoList, nil
}

// RollBackRequest is RollBack's body: WeDa OpenAPI [19] 回退.
type RollBackRequest struct {
	UserInfo        UserInfo `json:"UserInfo"`
	TaskID          ID       `json:"TaskId"`
	TargetNodeID    string   `json:"TargetNodeId"`
	TargetActTaskID ID       `json:"TargetActTaskId"`
}

// RollBack sends a task back to an earlier node that GetPreElementList listed: WeDa OpenAPI [19] 回退.
func (c *Client) RollBack(ctx context.Context, req *RollBackRequest) error {
	return c.write(ctx, "RollBack", req)
}
