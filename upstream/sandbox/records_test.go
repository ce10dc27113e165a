package sandbox

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWorkItemRecordsAreTheMapsTheyReplace checks, for every box of every seeded user and for the
// detail view, that the typed records encode to exactly the bytes of the maps they replaced.
func TestWorkItemRecordsAreTheMapsTheyReplace(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := newEngine(func() time.Time { return now })
	e.seed(1)
	enc := func(v any) string {
		var b bytes.Buffer
		require.NoError(t, json.NewEncoder(&b).Encode(v))
		return b.String()
	}
	n := 0
	for _, u := range e.users {
		for _, box := range pageTypes {
			for _, w := range e.box(u.ID, box) {
				for _, detail := range []bool{false, true} {
					want := enc(workItemRecordAsMap(e, w, u.ID, detail))
					assert.Equal(t, want, enc(e.workItemRecord(w, u.ID, detail)), "%s %s %s", u.Name, box, w.inst.ID)
					n++
				}
			}
		}
	}
	// A CC record whose task is gone: no task fields at all.
	for _, cc := range e.ccs {
		w := workItem{inst: cc.Inst, cc: cc, at: cc.Time}
		assert.Equal(t, enc(workItemRecordAsMap(e, w, cc.UserID, false)), enc(e.workItemRecord(w, cc.UserID, false)))
	}
	assert.Greater(t, n, 100)
}

// workItemRecordAsMap is the record as it was built before it was typed: the reference.
func workItemRecordAsMap(e *engine, w workItem, viewer string, detail bool) map[string]any {
	inst := w.inst
	cur := inst.Flow.Nodes[inst.Current]
	approvers := e.currentApprovers(inst)
	var names []string
	for _, id := range approvers {
		names = append(names, e.userName(id))
	}
	rec := map[string]any{
		"InstanceId": inst.ID, "Name": inst.Name, "Description": inst.Description,
		"StartedBy": e.userName(inst.Starter), "StartUserId": inst.Starter,
		"CanRevoke": e.canRevoke(w, viewer), "CcTime": nil, "CcId": nil,
		"CurrentApprover": strings.Join(approvers, ","),
		"StartTime":       epochMS(inst.Start), "EndTime": epochMS(inst.End),
		"IsCompleted":   inst.Status != instInProgress,
		"CurrentNodeId": cur.ID, "CurrentNodeName": cur.Name, "CurrentNodeType": nil,
		"FlowCode": inst.FlowCode, "FlowVersion": inst.Version,
		"CanDelete": nil, "Status": nil, "BeSubmitNode": cur.Kind == kindStart,
	}
	if inst.Status != instInProgress {
		rec["Status"] = inst.Status
	}
	t := w.task
	if t != nil {
		rec["TaskId"] = t.ID
		rec["CanApprove"] = t.Status == taskTodo && t.Assignee == viewer
		rec["TaskStartTime"] = epochMS(t.Start)
		rec["TaskDealTime"] = epochOrNull(t.End)
		rec["TaskDealResult"] = t.Result
		if t.Status == taskTodo {
			rec["TaskWaitTime"] = e.now().Sub(t.Start).Milliseconds()
		}
		userTaskType, opName, button := 1, "审批", map[string]string{"2": "同意", "3": "拒绝"}
		switch t.node().Kind {
		case kindHandle:
			userTaskType, opName, button = 2, "处理", map[string]string{"2": "处理"}
		case kindStart:
			opName, button = "提交", map[string]string{"1": "提交"}
		}
		rec["UserTaskType"], rec["OperationName"], rec["Buttons"] = userTaskType, opName, button
	} else {
		rec["TaskId"], rec["CanApprove"] = nil, false
	}
	if w.cc != nil {
		rec["CcTime"], rec["CcId"] = epochMS(w.cc.Time), w.cc.ID
	}
	rec["BeRead"] = true
	rec["IsSupportBatchHandle"] = t != nil && t.node().Kind == kindHandle
	if detail {
		// [9] writes StartUserId as a bare JSON number, the current node's type as a number,
		// and epoch times with null for "not yet".
		rec["StartUserId"] = numberID(inst.Starter)
		rec["CurrentNodeType"] = cur.dataType()
		rec["CurrentApproverName"] = strings.Join(names, ",")
		rec["EndTime"] = epochOrNull(inst.End)
		rec["CanDelete"] = false
	}
	return rec
}
