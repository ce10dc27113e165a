package sandbox

import "sync"

// The workbench boxes of every user ([12] 根据类型查询流程实例列表, [13] 根据类型查询流程实例总数),
// indexed: built in one pass over the instances the first time a box is asked for, kept until
// the next write. A scan per call made the list endpoint, and the counts endpoint's five scans,
// cost more than any other read.

// boxNames are the boxes in the order of userBoxes.
var boxNames = [...]string{pageTodo, pageDone, pageCreate, pageDraft, pageCC}

// userBoxes holds one user's work items, by box, in the order a scan of the engine finds them.
type userBoxes [len(boxNames)][]workItem

type boxIndex struct {
	mu     sync.Mutex
	byUser map[string]*userBoxes // nil: to be built
}

// invalidate drops the index; the engine's write lock is held.
func (b *boxIndex) invalidate() {
	b.mu.Lock()
	b.byUser = nil
	b.mu.Unlock()
}

func boxIndexOf(pageType string) int {
	for i, n := range boxNames {
		if n == pageType {
			return i
		}
	}
	return -1
}

// boxItems is the user's box as the index holds it: not to be changed. The engine's lock
// (read or write) is held.
func (e *engine) boxItems(userID, pageType string) []workItem {
	i := boxIndexOf(pageType)
	if i < 0 {
		return nil
	}
	e.boxes.mu.Lock()
	defer e.boxes.mu.Unlock()
	if e.boxes.byUser == nil {
		e.boxes.byUser = e.indexBoxes()
	}
	if u := e.boxes.byUser[userID]; u != nil {
		return u[i]
	}
	return nil
}

// box lists the work items of one workbench box for a user: the caller's own copy.
func (e *engine) box(userID, pageType string) []workItem {
	items := e.boxItems(userID, pageType)
	if items == nil {
		return nil
	}
	return append([]workItem(nil), items...)
}

// boxLen is the size of a user's box.
func (e *engine) boxLen(userID, pageType string) int { return len(e.boxItems(userID, pageType)) }

// indexBoxes builds every user's boxes in one pass, in the order of the scan they replace:
// instances in order, their tasks in order, CC records in order.
func (e *engine) indexBoxes() map[string]*userBoxes {
	idx := map[string]*userBoxes{}
	of := func(userID string) *userBoxes {
		u := idx[userID]
		if u == nil {
			u = &userBoxes{}
			idx[userID] = u
		}
		return u
	}
	const todo, done, create, draft, cc = 0, 1, 2, 3, 4
	var lastDone map[string]*task
	var doneOrder []string
	for _, inst := range e.insts {
		clear(lastDone)
		doneOrder = doneOrder[:0]
		for _, t := range inst.Tasks {
			if t.Status == taskTodo && inst.Status == instInProgress {
				u := of(t.Assignee)
				u[todo] = append(u[todo], workItem{inst: inst, task: t, at: t.Start})
			}
			if t.Status == taskDone && t.NodeIdx > 0 {
				if lastDone == nil {
					lastDone = map[string]*task{}
				}
				if _, seen := lastDone[t.Assignee]; !seen {
					doneOrder = append(doneOrder, t.Assignee)
				}
				lastDone[t.Assignee] = t
			}
		}
		for _, id := range doneOrder {
			last := lastDone[id]
			u := of(id)
			u[done] = append(u[done], workItem{inst: inst, task: last, at: last.End})
		}
		u := of(inst.Starter)
		box := create
		if inst.Draft {
			box = draft
		}
		u[box] = append(u[box], workItem{inst: inst, task: inst.Tasks[0], at: inst.Start})
	}
	for _, c := range e.ccs {
		u := of(c.UserID)
		u[cc] = append(u[cc], workItem{inst: c.Inst, task: e.taskByID[c.TaskID], cc: c, at: c.Time})
	}
	return idx
}
