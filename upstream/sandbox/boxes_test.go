package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBoxIndexMatchesAScan checks every box of every user against a scan of the engine, at the
// seed and after writes that move items between boxes.
func TestBoxIndexMatchesAScan(t *testing.T) {
	s := New(Options{APIKey: "k"})
	check := func(when string) {
		e := s.engine()
		e.mu.RLock()
		defer e.mu.RUnlock()
		for _, u := range e.users {
			for _, box := range pageTypes {
				want := scanBox(e, u.ID, box)
				assert.Equal(t, want, e.box(u.ID, box), "%s: %s's %s", when, u.Name, box)
				assert.Equal(t, len(want), e.boxLen(u.ID, box))
			}
		}
	}
	check("seed")

	kong := s.UserID(DemoUser)
	todo := func() []workItem {
		e := s.engine()
		e.mu.RLock()
		defer e.mu.RUnlock()
		return e.box(kong, "TODO")
	}
	before := todo()
	require.NotEmpty(t, before)
	task := before[0].task.ID
	call := func(endpoint, body string) string {
		r := httptest.NewRequest(http.MethodPost, "/weda/workflow/v1/prod/"+endpoint, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return rec.Body.String()
	}
	out := call("CompleteTask", `{"TaskId":"`+task+`","ButtonAction":2,"Approver":{"UserId":"`+kong+`","Type":4},"Comment":"ok"}`)
	require.NotContains(t, out, `"Error"`)
	after := todo()
	assert.Len(t, after, len(before)-1, "the approved task left the TODO box")
	check("after an approval")

	// A box handed out is the caller's: sorting it leaves the index alone.
	e := s.engine()
	e.mu.RLock()
	items := e.box(kong, "TODO")
	items[0], items[len(items)-1] = items[len(items)-1], items[0]
	assert.Equal(t, scanBox(e, kong, "TODO"), e.box(kong, "TODO"))
	e.mu.RUnlock()
}

// scanBox is the box as it was found before it was indexed, by scanning: the reference.
func scanBox(e *engine, userID, pageType string) []workItem {
	var out []workItem
	switch pageType {
	case "TODO":
		for _, inst := range e.insts {
			for _, t := range inst.Tasks {
				if t.Assignee == userID && t.Status == taskTodo && inst.Status == instInProgress {
					out = append(out, workItem{inst: inst, task: t, at: t.Start})
				}
			}
		}
	case "DONE":
		for _, inst := range e.insts {
			var last *task
			for _, t := range inst.Tasks {
				if t.Assignee == userID && t.Status == taskDone && t.NodeIdx > 0 {
					last = t
				}
			}
			if last != nil {
				out = append(out, workItem{inst: inst, task: last, at: last.End})
			}
		}
	case "CREATE", "DRAFT":
		for _, inst := range e.insts {
			if inst.Starter == userID && inst.Draft == (pageType == "DRAFT") {
				out = append(out, workItem{inst: inst, task: inst.Tasks[0], at: inst.Start})
			}
		}
	case "CC":
		for _, cc := range e.ccs {
			if cc.UserID == userID {
				out = append(out, workItem{inst: cc.Inst, task: e.taskByID[cc.TaskID], cc: cc, at: cc.Time})
			}
		}
	}
	return out
}
