package sandbox

import (
	"fmt"
	"slices"
)

// What happens to an instance as a whole: it starts, is stopped, urged, revoked, rolled back.
// The engine's lock is held.

// startResult is a new instance and its starter's task.
type startResult struct {
	Instance *instance
	Task     *task
}

// start carries out [3] 发起流程: the starter's task at the start node is done, and the flow
// moves on to the first node that waits for someone. A draft stays at the start node.
func (e *engine) start(f *flow, flowCode, version string, starter *user, params map[string]any, draft bool) (*startResult, *apiError) {
	if f.Type != flowApproval {
		return nil, failed("flow %s is a logic flow; only approval flows start instances", f.ProcessKey)
	}
	if flowCode != f.FlowCode {
		return nil, invalid("FlowCode", flowCode)
	}
	if version != f.Version {
		return nil, invalid("FlowVersion", version)
	}
	inst := &instance{
		ID: e.nextID(), Flow: f, FlowCode: f.FlowCode, Version: f.Version,
		Name: starter.Name + "提交的" + f.Name, Description: f.Description, Starter: starter.ID,
		Start: e.now(), Status: instInProgress, Draft: draft, Visited: map[int]bool{0: true},
		Vars: params, PageParams: map[string]any{},
	}
	e.insts = append(e.insts, inst)
	e.instByID[inst.ID] = inst
	if draft {
		t := e.newTask(inst, 0, starter.ID, taskDraft)
		return &startResult{inst, t}, nil
	}
	t := e.newTask(inst, 0, starter.ID, taskDone)
	t.Result, t.End = opSubmit, e.now()
	e.record(inst, 0, starter.ID, map[string]any{"action": opSubmit}, "null")
	e.enter(inst, 1, starter.ID)
	return &startResult{inst, t}, nil
}

// stop carries out [5] 终止流程, for the starter or an administrator.
func (e *engine) stop(inst *instance, operator *user, reason string) *apiError {
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	if operator.ID != inst.Starter && operator.InternalUserType != userAdministrator {
		return failed("only the starter or an administrator may stop flow instance %s", inst.ID)
	}
	e.record(inst, inst.Current, operator.ID, map[string]any{"action": opStop, "operationComment": reason}, "")
	e.finish(inst, instStopped)
	return nil
}

// press carries out [15] 催办: the current approvers are reminded, each task at most
// maxPressesPerDay times a day.
func (e *engine) press(inst *instance) *apiError {
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	todo := pending(inst, inst.Current, taskTodo)
	if len(todo) == 0 {
		return failed("flow instance %s has no task waiting for an approver", inst.ID)
	}
	day := e.now().In(cst).Format("2006-01-02")
	for _, t := range todo {
		if p := e.presses[t.ID]; p.day == day && p.n >= maxPressesPerDay {
			return &apiError{200, "LimitExceeded.PressTask",
				fmt.Sprintf("task %s has been urged %d times today, the most allowed", t.ID, maxPressesPerDay)}
		}
	}
	for _, t := range todo {
		p := e.presses[t.ID]
		if p.day != day {
			p = pressCount{day: day}
		}
		p.n++
		e.presses[t.ID] = p
		e.notify(t.Assignee, msgTodo, "处理提醒", "处理提醒",
			fmt.Sprintf("%s，请尽快处理流程%s，有人等急了哦！", e.userName(t.Assignee), inst.Flow.Name), t.ID, pageTodo)
	}
	return nil
}

// revoke carries out [16] 撤销: the starter withdraws the whole instance, or an approver takes
// back their approval and the task is theirs to do again.
func (e *engine) revoke(t *task, revoker *user, revokerType int) *apiError {
	if err := e.revokeRefusal(t, revoker.ID, revokerType); err != nil {
		return err
	}
	inst := t.Inst
	if revokerType == revokeByStarter {
		e.record(inst, inst.Current, revoker.ID, map[string]any{"action": opRevoke, "operation": "发起人撤销"}, "")
		e.finish(inst, instStopped)
		return nil
	}
	for i := t.NodeIdx + 1; i <= inst.Current; i++ {
		e.closeOpen(inst, i)
		delete(inst.Visited, i)
	}
	t.Result = opRevoke
	e.record(inst, t.NodeIdx, revoker.ID, map[string]any{"action": opRevoke, "operation": "审批人撤销"}, "")
	inst.Current, inst.AddSigned = t.NodeIdx, false
	e.newTask(inst, t.NodeIdx, revoker.ID, taskTodo)
	return nil
}

// revokeRefusal says why revoker may not revoke t as revokerType, or nil if revoke would. The
// vendor's document: revoking is enabled per manual node, the approval start node's setting
// letting the starter revoke, the other approval nodes' and the handle nodes' letting their
// approvers revoke ([16] 撤销). The sandbox reads it so: the starter may withdraw a submitted
// instance while it runs; an approver may take back an approval or a handling until anyone
// after them has acted.
func (e *engine) revokeRefusal(t *task, revoker string, revokerType int) *apiError {
	inst := t.Inst
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	switch revokerType {
	case revokeByStarter:
		if revoker != inst.Starter {
			return failed("user %s did not start flow instance %s", revoker, inst.ID)
		}
		if inst.Draft {
			return failed("flow instance %s is a draft: nothing has been submitted to revoke", inst.ID)
		}
		if !inst.Flow.RevokeByStarter {
			return failed("flow %s does not allow its starter to revoke", inst.Flow.ProcessKey)
		}
		return nil
	case revokeByApprover:
		if t.Assignee != revoker || t.Status != taskDone || (t.Result != opApprove && t.Result != opHandle) {
			return failed("task %s is not an approval of user %s", t.ID, revoker)
		}
		if !t.node().RevokeByApprover {
			return failed("node %s does not allow its approvers to revoke", t.node().Name)
		}
		if inst.Current <= t.NodeIdx || actedAfter(t) {
			return failed("the next node has already acted; task %s can no longer be revoked", t.ID)
		}
		return nil
	}
	return invalid("RevokerType", revokerType)
}

// actedAfter reports whether anyone has acted on a later node since t: a task created after t,
// at a node after t's, is done.
func actedAfter(t *task) bool {
	tasks := t.Inst.Tasks
	for _, later := range tasks[slices.Index(tasks, t)+1:] {
		if later.NodeIdx > t.NodeIdx && later.Status == taskDone {
			return true
		}
	}
	return false
}

// canRevoke is WeDa's own word on revoking what a record or page shows its viewer: CanRevoke on
// [9] 查询流程实例详情 and [12] 根据类型查询流程实例列表, ShowRevoke on [10] 查询审批页面详情. It
// is revoke's own judgement: the starter revokes from the start node's task (their CREATE
// record), an approver from their approval (their DONE record). A copy is for reading: a CC
// record or page offers no revoke, even to an approver who copied themselves.
func (e *engine) canRevoke(w workItem, viewer string) bool {
	t := w.task
	if w.cc != nil || t == nil {
		return false
	}
	if t.NodeIdx == 0 && viewer == w.inst.Starter {
		return e.revokeRefusal(t, viewer, revokeByStarter) == nil
	}
	return e.revokeRefusal(t, viewer, revokeByApprover) == nil
}

// rollbackTarget is a node an instance can go back to.
type rollbackTarget struct {
	NodeIdx int
	Task    *task // the latest finished task there
}

// rollbackTargets lists the earlier nodes with a finished task, nearest first.
func (e *engine) rollbackTargets(inst *instance) []rollbackTarget {
	if inst.Status != instInProgress {
		return nil
	}
	var out []rollbackTarget
	for idx := inst.Current - 1; idx >= 0; idx-- {
		if !inst.Flow.Nodes[idx].takesTasks() {
			continue
		}
		var last *task
		for _, t := range pending(inst, idx, taskDone) {
			if t.Result == opSubmit || t.Result == opApprove || t.Result == opHandle {
				last = t
			}
		}
		if last != nil {
			out = append(out, rollbackTarget{idx, last})
		}
	}
	return out
}

// rollback carries out [19] 回退: the task's node hands the instance back to a node of
// rollbackTargets ([18]), and whoever finished the task there gets a new one.
func (e *engine) rollback(t *task, actor *user, targetNode, targetTask string) *apiError {
	inst := t.Inst
	if inst.Status != instInProgress || t.Status != taskTodo {
		return failed("task %s is not waiting for approval", t.ID)
	}
	if t.Assignee != actor.ID {
		return failed("user %s is not the assignee of task %s", actor.ID, t.ID)
	}
	if !t.node().Rollback {
		return failed("node %s does not allow rolling back", t.node().Name)
	}
	var target *rollbackTarget
	for _, rt := range e.rollbackTargets(inst) {
		if inst.Flow.Nodes[rt.NodeIdx].ID == targetNode && rt.Task.ID == targetTask {
			target = &rt
			break
		}
	}
	if target == nil {
		return failed("node %s with task %s is not a node this instance can roll back to", targetNode, targetTask)
	}
	from := inst.Current
	t.Status, t.Result, t.End = taskDone, opRollback, e.now()
	for i := target.NodeIdx + 1; i <= from; i++ {
		e.closeOpen(inst, i)
		delete(inst.Visited, i)
	}
	e.record(inst, from, actor.ID, map[string]any{"action": opRollback,
		"operation": "回退至" + inst.Flow.Nodes[target.NodeIdx].Name}, "")
	inst.Current, inst.AddSigned = target.NodeIdx, false
	e.newTask(inst, target.NodeIdx, target.Task.Assignee, taskTodo)
	return nil
}
