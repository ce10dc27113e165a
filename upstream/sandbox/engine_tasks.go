package sandbox

import (
	"encoding/json"
	"slices"
)

// What an approver does to a task: complete it (submit, approve, reject, transfer), choose the
// next approvers, add counter-signers. The engine's lock is held.

// completeInput is a checked [4] 完成审批任务 request.
type completeInput struct {
	Task     *task
	Action   int
	Comment  string
	Approver *user
	TurnTo   *user
	CC       []string
	Params   map[string]any
}

// complete carries out [4] 完成审批任务: submit, approve, reject or transfer a task. It returns
// the tasks waiting for the next approvers to be chosen ([14]), if the flow asks for that.
func (e *engine) complete(in completeInput) ([]*task, *apiError) {
	t, inst := in.Task, in.Task.Inst
	if inst.Status != instInProgress {
		return nil, failed("flow instance %s has ended", inst.ID)
	}
	if t.Status != taskTodo && t.Status != taskDraft {
		return nil, failed("task %s is not waiting for you (status %d)", t.ID, t.Status)
	}
	if t.Assignee != in.Approver.ID {
		return nil, failed("user %s is not the assignee of task %s", in.Approver.ID, t.ID)
	}
	n := t.node()
	if n.Kind == kindStart && in.Action != btnSubmit && in.Action != btnApprove {
		return nil, failed("the start node can only be submitted")
	}
	if n.Kind != kindStart && in.Action == btnSubmit {
		return nil, failed("only the start node is submitted; use approve (2)")
	}
	for k, v := range in.Params {
		inst.PageParams[k] = v
	}
	t.End, t.Comment = e.now(), in.Comment

	switch in.Action {
	case btnReject:
		t.Status, t.Result = taskDone, opReject
		e.record(inst, t.NodeIdx, t.Assignee, map[string]any{"action": opReject, "operationComment": in.Comment}, "")
		e.copyTo(inst, t.NodeIdx, t.Assignee, in.CC, t.ID)
		e.finish(inst, instRejected)
		return nil, nil
	case btnTransfer:
		if in.TurnTo.ID == t.Assignee {
			return nil, failed("a task cannot be transferred to its own assignee")
		}
		t.Status, t.Result, t.NewAssignee = taskDone, opTransfer, in.TurnTo.ID
		target, _ := json.Marshal([]map[string]string{{"id": in.TurnTo.ID, "name": in.TurnTo.Name}})
		e.record(inst, t.NodeIdx, t.Assignee, map[string]any{"action": opTransfer, "operationComment": in.Comment,
			"operation": string(target)}, "")
		e.newTask(inst, t.NodeIdx, in.TurnTo.ID, taskTodo)
		e.copyTo(inst, t.NodeIdx, t.Assignee, in.CC, t.ID)
		return nil, nil
	}

	// Submit or approve.
	t.Status = taskDone
	switch n.Kind {
	case kindStart:
		t.Result = opSubmit
		inst.Draft = false
		e.record(inst, t.NodeIdx, t.Assignee, map[string]any{"action": opSubmit}, "null")
	case kindHandle:
		t.Result = opHandle
		e.recordRaw(inst, t.NodeIdx, t.Assignee, e.handleContent(in.Comment), "true")
	default:
		t.Result = opApprove
		e.record(inst, t.NodeIdx, t.Assignee, map[string]any{"action": opApprove, "operationComment": in.Comment}, "true")
	}
	e.copyTo(inst, t.NodeIdx, t.Assignee, in.CC, t.ID)
	if (n.AllMustSign || inst.AddSigned) && len(pending(inst, t.NodeIdx, taskTodo)) > 0 {
		return nil, nil // other signers still to approve
	}
	e.closeOpen(inst, t.NodeIdx)
	return e.enter(inst, t.NodeIdx+1, t.Assignee), nil
}

// submitChosen carries out [14] 提交流程审批任务列表: the chosen waiting tasks open, the others
// of their node lapse.
func (e *engine) submitChosen(ids []string) *apiError {
	if len(ids) == 0 {
		return missing("FlowTaskIds")
	}
	var chosen []*task
	for _, id := range ids {
		t := e.taskByID[id]
		if t == nil {
			return notFound("task", id)
		}
		if t.Status != taskWaiting {
			return failed("task %s is not waiting to be submitted", id)
		}
		if len(chosen) > 0 && (t.Inst != chosen[0].Inst || t.NodeIdx != chosen[0].NodeIdx) {
			return failed("the tasks belong to different nodes")
		}
		chosen = append(chosen, t)
	}
	inst, idx := chosen[0].Inst, chosen[0].NodeIdx
	for _, t := range pending(inst, idx, taskWaiting) {
		if slices.Contains(chosen, t) {
			t.Status = taskTodo
			e.notifyTodo(t)
		} else {
			t.Status, t.End = taskInvalid, e.now()
		}
	}
	return nil
}

// addSign carries out [17] 加签: the assignees sign the node too, and it waits for them all.
func (e *engine) addSign(t *task, approver *user, assignees []*user) *apiError {
	if t.Inst.Status != instInProgress || t.Status != taskTodo {
		return failed("task %s is not waiting for approval", t.ID)
	}
	if t.Assignee != approver.ID {
		return failed("user %s is not the assignee of task %s", approver.ID, t.ID)
	}
	if !t.node().AddSign {
		return failed("node %s does not allow adding counter-signers", t.node().Name)
	}
	var people []map[string]string
	for _, a := range assignees {
		for _, p := range pending(t.Inst, t.NodeIdx, taskTodo) {
			if p.Assignee == a.ID {
				return failed("user %s is already an approver of this node", a.ID)
			}
		}
		people = append(people, map[string]string{"id": a.ID, "name": a.Name})
	}
	for _, a := range assignees {
		e.newTask(t.Inst, t.NodeIdx, a.ID, taskTodo)
	}
	t.Inst.AddSigned = true
	op, _ := json.Marshal(people)
	e.record(t.Inst, t.NodeIdx, approver.ID, map[string]any{"action": opAddSign, "operation": string(op)}, "")
	return nil
}
