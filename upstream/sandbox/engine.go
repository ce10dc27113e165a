package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// engine holds the simulated WeDa state. Every exported-to-server method takes the lock; the
// lower-case helpers expect it held.
type engine struct {
	mu    sync.RWMutex
	clock func() time.Time
	seq   int64

	users     []*user
	userByID  map[string]*user
	flows     []*flow
	flowByKey map[string]*flow
	insts     []*instance
	instByID  map[string]*instance
	taskByID  map[string]*task
	ccs       []*ccRecord
	msgs      []*message
	msgByID   map[string]*message
	presses   map[string]pressCount
	linkBase  string

	boxes boxIndex // the workbench boxes, dropped on every write (boxes.go)
}

type pressCount struct {
	day string
	n   int
}

// maxPressesPerDay is the vendor's limit on urging one task.
const maxPressesPerDay = 3

func newEngine(clock func() time.Time) *engine {
	return &engine{
		clock:     clock,
		userByID:  map[string]*user{},
		flowByKey: map[string]*flow{},
		instByID:  map[string]*instance{},
		taskByID:  map[string]*task{},
		msgByID:   map[string]*message{},
		presses:   map[string]pressCount{},
		linkBase:  "https://lowcode-sandbox.tcloudbaseapp.com/adminportal/#/flowCenter/detail",
	}
}

// nextID returns a fresh 19-digit id, above 2^53 like WeDa's snowflake ids.
func (e *engine) nextID() string {
	e.seq++
	return strconv.FormatInt(1590000000000000000+e.seq*1000003, 10)
}

func (e *engine) now() time.Time { return e.clock().Truncate(time.Millisecond) }

func (e *engine) userName(id string) string {
	if u := e.userByID[id]; u != nil {
		return u.Name
	}
	return id
}

// checkUser validates a UserInfo: the id must name a user and the source code be a known one.
// Both source tables of the vendor document (1 tcb, 2 WeCom, 3 WeCom, 4 internal) are accepted.
func (e *engine) checkUser(field string, u *userInfo) (*user, *apiError) {
	if u == nil || u.UserID == "" {
		return nil, missing(field + ".UserId")
	}
	if u.Type != nil && (*u.Type < 1 || *u.Type > 4) {
		return nil, invalid(field+".Type", *u.Type)
	}
	usr := e.userByID[string(u.UserID)]
	if usr == nil {
		return nil, notFound("user", string(u.UserID))
	}
	return usr, nil
}

func (e *engine) instance(id string) (*instance, *apiError) {
	if id == "" {
		return nil, missing("InstanceId")
	}
	inst := e.instByID[id]
	if inst == nil {
		return nil, notFound("flow instance", id)
	}
	return inst, nil
}

func (e *engine) openTask(id, field string) (*task, *apiError) {
	if id == "" {
		return nil, missing(field)
	}
	t := e.taskByID[id]
	if t == nil {
		return nil, notFound("task", id)
	}
	return t, nil
}

// --- history and messages ---

func (e *engine) record(inst *instance, nodeIdx int, operator string, content map[string]any, result string) {
	b, _ := json.Marshal(content)
	e.recordRaw(inst, nodeIdx, operator, string(b), result)
}

func (e *engine) recordRaw(inst *instance, nodeIdx int, operator, content, result string) {
	inst.Ops = append(inst.Ops, &operation{NodeIdx: nodeIdx, Operator: operator, Time: e.now(), Content: content, Result: result})
}

// handleContent writes a handle operation's Content as WeDa does, including its quirk: the
// mentioned users' map has bare numeric keys, which is not valid JSON.
func (e *engine) handleContent(comment string) string {
	var mentions []string
	for _, word := range strings.Fields(comment) {
		if name, ok := strings.CutPrefix(word, "@"); ok {
			for _, u := range e.users {
				if u.Name == name {
					mentions = append(mentions, fmt.Sprintf("%s:%q", u.ID, "@"+name))
				}
			}
		}
	}
	c, _ := json.Marshal(comment)
	return fmt.Sprintf(`{"action":13,"attachmentInfo":"[]","highlightPositionList":"{}","operationComment":%s,"opinionUserMap":{%s}}`,
		c, strings.Join(mentions, ","))
}

func (e *engine) notify(userID string, typ int, main, sub, text, taskID, pageType string) {
	m := &message{ID: e.nextID(), UserID: userID, Type: typ, Main: main, Sub: sub, Text: text,
		TaskID: taskID, PageType: pageType, Status: msgUnread, Created: e.now(), Updated: e.now()}
	e.msgs = append(e.msgs, m)
	e.msgByID[m.ID] = m
}

func (e *engine) newTask(inst *instance, idx int, assignee string, status int) *task {
	t := &task{ID: e.nextID(), Inst: inst, NodeIdx: idx, Assignee: assignee, Status: status, Start: e.now()}
	inst.Tasks = append(inst.Tasks, t)
	e.taskByID[t.ID] = t
	if status == taskTodo {
		e.notify(assignee, msgTodo, "待办提醒", inst.Flow.Name,
			fmt.Sprintf("%s，您有一条待处理的流程：%s", e.userName(assignee), inst.Name), t.ID, "TODO")
	}
	return t
}

// copyTo copies users on the instance. taskID is the task the copy is about; a CC node passes
// "" and the copy points at the task that moved the flow there.
func (e *engine) copyTo(inst *instance, idx int, operator string, userIDs []string, taskID string) {
	if len(userIDs) == 0 {
		return
	}
	if taskID == "" {
		for _, t := range inst.Tasks {
			if t.Status == taskDone {
				taskID = t.ID
			}
		}
	}
	for _, uid := range userIDs {
		e.ccs = append(e.ccs, &ccRecord{ID: e.nextID(), Inst: inst, UserID: uid, TaskID: taskID, Time: e.now()})
		e.notify(uid, msgInSite, "抄送提醒", inst.Flow.Name,
			fmt.Sprintf("%s抄送给您的流程：%s", e.userName(operator), inst.Name), taskID, "CC")
	}
	e.record(inst, idx, operator, map[string]any{"action": opCC, "ccUserIds": userIDs}, "")
}

// pending returns the instance's tasks at node idx with one of the statuses.
func pending(inst *instance, idx int, statuses ...int) []*task {
	var out []*task
	for _, t := range inst.Tasks {
		if t.NodeIdx == idx && slices.Contains(statuses, t.Status) {
			out = append(out, t)
		}
	}
	return out
}

func (e *engine) closeOpen(inst *instance, idx int) {
	for _, t := range pending(inst, idx, taskTodo, taskWaiting, taskDraft) {
		t.Status, t.End = taskInvalid, e.now()
	}
}

func (e *engine) finish(inst *instance, status int) {
	for i := range inst.Flow.Nodes {
		e.closeOpen(inst, i)
	}
	inst.Status, inst.End = status, e.now()
	verdict := map[int]string{instApproved: "已通过", instRejected: "已驳回", instStopped: "已终止"}[status]
	e.notify(inst.Starter, msgInSite, "审批结果", inst.Flow.Name, fmt.Sprintf("您提交的%s%s", inst.Name, verdict), "", "CREATE")
}

// enter moves the instance onto node idx and on through nodes that need nobody (CC, end). It
// returns the waiting tasks when the node's approvers are to be chosen by the previous one.
func (e *engine) enter(inst *instance, idx int, actor string) []*task {
	for ; idx < len(inst.Flow.Nodes); idx++ {
		n := inst.Flow.Nodes[idx]
		inst.Current, inst.AddSigned = idx, false
		inst.Visited[idx] = true
		switch n.Kind {
		case kindCC:
			e.copyTo(inst, idx, actor, n.CCTo, "")
			continue
		case kindEnd:
			e.finish(inst, instApproved)
			return nil
		}
		if n.ChosenByPrevious {
			var waiting []*task
			for _, a := range n.Assignees {
				waiting = append(waiting, e.newTask(inst, idx, a, taskWaiting))
			}
			return waiting
		}
		assignees := n.Assignees
		if n.Kind == kindStart {
			assignees = []string{inst.Starter}
		}
		for _, a := range assignees {
			e.newTask(inst, idx, a, taskTodo)
		}
		return nil
	}
	return nil
}

// --- actions ---

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

type completeInput struct {
	Task     *task
	Action   int
	Comment  string
	Approver *user
	TurnTo   *user
	CC       []string
	Params   map[string]any
}

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
			e.notify(t.Assignee, msgTodo, "待办提醒", inst.Flow.Name,
				fmt.Sprintf("%s，您有一条待处理的流程：%s", e.userName(t.Assignee), inst.Name), t.ID, "TODO")
		} else {
			t.Status, t.End = taskInvalid, e.now()
		}
	}
	return nil
}

func (e *engine) stop(inst *instance, operator *user, reason string) *apiError {
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	if operator.ID != inst.Starter && operator.InternalUserType != 1 {
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
			fmt.Sprintf("%s，请尽快处理流程%s，有人等急了哦！", e.userName(t.Assignee), inst.Flow.Name), t.ID, "TODO")
	}
	return nil
}

func (e *engine) revoke(t *task, revoker *user, revokerType int) *apiError {
	inst := t.Inst
	if inst.Status != instInProgress {
		return failed("flow instance %s has ended", inst.ID)
	}
	switch revokerType {
	case 2: // the starter withdraws the whole instance
		if revoker.ID != inst.Starter {
			return failed("user %s did not start flow instance %s", revoker.ID, inst.ID)
		}
		if !inst.Flow.RevokeByStarter {
			return failed("flow %s does not allow its starter to revoke", inst.Flow.ProcessKey)
		}
		e.record(inst, inst.Current, revoker.ID, map[string]any{"action": opRevoke, "operation": "发起人撤销"}, "")
		e.finish(inst, instStopped)
		return nil
	case 1: // an approver takes back an approval the next node has not acted on
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

func (e *engine) markMessages(u *user, ids []string, status string) *apiError {
	var ms []*message
	for _, id := range ids {
		m := e.msgByID[id]
		if m == nil || m.UserID != u.ID {
			return notFound("message", id)
		}
		ms = append(ms, m)
	}
	for _, m := range ms {
		m.Status, m.Updated = status, e.now()
	}
	return nil
}
