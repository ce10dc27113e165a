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

// engine holds the simulated WeDa state. The Server holds mu around every call into it (shared
// for reads, exclusive for writes); the engine's methods expect it held and take no lock.
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
		e.notifyTodo(t)
	}
	return t
}

// notifyTodo tells a task's assignee that it waits for them.
func (e *engine) notifyTodo(t *task) {
	e.notify(t.Assignee, msgTodo, "待办提醒", t.Inst.Flow.Name,
		fmt.Sprintf("%s，您有一条待处理的流程：%s", e.userName(t.Assignee), t.Inst.Name), t.ID, pageTodo)
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
			fmt.Sprintf("%s抄送给您的流程：%s", e.userName(operator), inst.Name), taskID, pageCC)
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
	e.notify(inst.Starter, msgInSite, "审批结果", inst.Flow.Name, fmt.Sprintf("您提交的%s%s", inst.Name, verdict), "", pageCreate)
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
