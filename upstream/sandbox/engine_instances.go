package sandbox

import "fmt"

// What happens to an instance as a whole: it starts, is stopped, urged, revoked, rolled back.
// The engine's lock is held.

type startResult struct {
	Instance *instance
	Task     *task
}

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

func (e *engine) revoke(t *task, revoker *user, revokerType int) *apiError {
	inst := t.Inst
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	switch revokerType {
	case revokeByStarter: // the starter withdraws the whole instance
		if revoker.ID != inst.Starter {
			return failed("user %s did not start flow instance %s", revoker.ID, inst.ID)
		}
		if !inst.Flow.RevokeByStarter {
			return failed("flow %s does not allow its starter to revoke", inst.Flow.ProcessKey)
		}
		e.record(inst, inst.Current, revoker.ID, map[string]any{"action": opRevoke, "operation": "发起人撤销"}, "")
		e.finish(inst, instStopped)
		return nil
	case revokeByApprover: // an approver takes back an approval the next node has not acted on
		if t.Assignee != revoker.ID || t.Status != taskDone || (t.Result != opApprove && t.Result != opHandle) {
			return failed("task %s is not an approval of user %s", t.ID, revoker.ID)
		}
		if !t.node().RevokeByApprover {
			return failed("node %s does not allow its approvers to revoke", t.node().Name)
		}
		if inst.Current <= t.NodeIdx || len(pending(inst, inst.Current, taskDone)) > 0 {
			return failed("the next node has already acted; task %s can no longer be revoked", t.ID)
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
	return invalid("RevokerType", revokerType)
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
