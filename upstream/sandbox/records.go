package sandbox

import (
	"encoding/json"
	"strings"
	"time"
)

// workItemJSON is a work item as [9] 查询流程实例详情 and [12] 根据类型查询流程实例列表 write it.
// Its fields are in the byte order of their JSON names, so it encodes to exactly the bytes a map
// of the same keys did (encoding/json sorts map keys), without the map's allocations and
// sorting: the list endpoint spent most of its time there. A field that is present only sometimes is an `any` with omitempty; one that
// is present but null holds jsonNull.
type workItemJSON struct {
	BeRead               bool   `json:"BeRead"`
	BeSubmitNode         bool   `json:"BeSubmitNode"`
	Buttons              any    `json:"Buttons,omitempty"`
	CanApprove           bool   `json:"CanApprove"`
	CanDelete            any    `json:"CanDelete"`
	CanRevoke            bool   `json:"CanRevoke"`
	CcID                 any    `json:"CcId"`
	CcTime               any    `json:"CcTime"`
	CurrentApprover      string `json:"CurrentApprover"`
	CurrentApproverName  any    `json:"CurrentApproverName,omitempty"`
	CurrentNodeID        string `json:"CurrentNodeId"`
	CurrentNodeName      string `json:"CurrentNodeName"`
	CurrentNodeType      any    `json:"CurrentNodeType"`
	Description          string `json:"Description"`
	EndTime              any    `json:"EndTime"`
	FlowCode             string `json:"FlowCode"`
	FlowVersion          string `json:"FlowVersion"`
	InstanceID           string `json:"InstanceId"`
	IsCompleted          bool   `json:"IsCompleted"`
	IsSupportBatchHandle bool   `json:"IsSupportBatchHandle"`
	Name                 string `json:"Name"`
	OperationName        any    `json:"OperationName,omitempty"`
	StartTime            int64  `json:"StartTime"`
	StartUserID          any    `json:"StartUserId"`
	StartedBy            string `json:"StartedBy"`
	Status               any    `json:"Status"`
	TaskDealResult       any    `json:"TaskDealResult,omitempty"`
	TaskDealTime         any    `json:"TaskDealTime,omitempty"`
	TaskID               any    `json:"TaskId"`
	TaskStartTime        any    `json:"TaskStartTime,omitempty"`
	TaskWaitTime         any    `json:"TaskWaitTime,omitempty"`
	UserTaskType         any    `json:"UserTaskType,omitempty"`
}

// jsonNull is a present field whose value is null.
var jsonNull = json.RawMessage("null")

// orJSONNull is v, or jsonNull when v is nil.
func orJSONNull(v any) any {
	if v == nil {
		return jsonNull
	}
	return v
}

var (
	approveButtons = map[string]string{"2": "同意", "3": "拒绝"}
	handleButtons  = map[string]string{"2": "处理"}
	submitButtons  = map[string]string{"1": "提交"}
)

func (e *engine) workItemRecord(w workItem, viewer string, detail bool) *workItemJSON {
	inst := w.inst
	cur := inst.Flow.Nodes[inst.Current]
	approvers := e.currentApprovers(inst)
	rec := &workItemJSON{
		InstanceID: inst.ID, Name: inst.Name, Description: inst.Description,
		StartedBy: e.userName(inst.Starter), StartUserID: inst.Starter,
		CanRevoke:       e.canRevoke(w, viewer),
		CurrentApprover: strings.Join(approvers, ","),
		StartTime:       epochMS(inst.Start), EndTime: epochMS(inst.End),
		IsCompleted:   inst.Status != instInProgress,
		CurrentNodeID: cur.ID, CurrentNodeName: cur.Name,
		FlowCode: inst.FlowCode, FlowVersion: inst.Version,
		BeSubmitNode: cur.Kind == kindStart,
		BeRead:       true,
	}
	if inst.Status != instInProgress {
		rec.Status = inst.Status
	}
	if t := w.task; t != nil {
		rec.TaskID = t.ID
		rec.CanApprove = t.Status == taskTodo && t.Assignee == viewer
		rec.TaskStartTime = epochMS(t.Start)
		rec.TaskDealTime = orJSONNull(epochOrNull(t.End))
		rec.TaskDealResult = t.Result
		if t.Status == taskTodo {
			rec.TaskWaitTime = e.now().Sub(t.Start).Milliseconds()
		}
		userTaskType, opName, buttons := taskTypeApproval, "审批", approveButtons
		switch t.node().Kind {
		case kindHandle:
			userTaskType, opName, buttons = taskTypeHandle, "处理", handleButtons
		case kindStart:
			opName, buttons = "提交", submitButtons
		}
		rec.UserTaskType, rec.OperationName, rec.Buttons = userTaskType, opName, buttons
		rec.IsSupportBatchHandle = t.node().Kind == kindHandle
	}
	if w.cc != nil {
		rec.CcTime, rec.CcID = epochMS(w.cc.Time), w.cc.ID
	}
	if detail {
		// [9] writes StartUserId as a bare JSON number, the current node's type as a number,
		// and epoch times with null for "not yet".
		names := make([]string, len(approvers))
		for i, id := range approvers {
			names[i] = e.userName(id)
		}
		rec.StartUserID = numberID(inst.Starter)
		rec.CurrentNodeType = cur.dataType()
		rec.CurrentApproverName = strings.Join(names, ",")
		rec.EndTime = epochOrNull(inst.End)
		rec.CanDelete = false
	}
	return rec
}

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
