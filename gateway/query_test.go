package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

func TestViewerWorkbench(t *testing.T) {
	h := newHarness(t)
	var out struct {
		Viewer struct {
			ID             string
			User           struct{ Name, Source string }
			WorkItemCounts struct{ Todo, Done, Create, Cc, Draft int }
			Todo           struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Cursor string
					Node   struct {
						TaskID           string
						Name             string
						Status           string
						CanApprove       bool
						StartTime        string
						TaskWaitSeconds  *int
						CurrentNode      struct{ ID, Name string }
						Buttons          []struct{ Action, Label string }
						StartUser        struct{ Name string }
						CurrentApprovers []struct{ Name string }
						UserTaskType     string
						Instance         struct{ ID, Status string }
						Task             struct {
							ID, Status string
							Assignee   struct{ Name string }
						}
					}
				}
			}
			Cc struct {
				Nodes []struct {
					CcID   string
					CcTime string
				}
			}
			MessageCounts []struct {
				Type         string
				Unread, Read int
			}
			Messages struct {
				TotalCount int
				Nodes      []struct {
					ID, Type, Status, Title, TaskID string
					CreatedAt                       string
					Task                            *struct{ ID string }
				}
			}
		}
	}
	h.ok(h.me, `{ viewer {
		id user { name source }
		workItemCounts { todo done create cc draft }
		todo: workItems(box: TODO, first: 3) {
			totalCount pageInfo { hasNextPage endCursor }
			edges { cursor node {
				taskId name status canApprove startTime taskWaitSeconds currentNode { id name }
				buttons { action label } startUser { name } currentApprovers { name } userTaskType
				instance { id status } task { id status assignee { name } }
			} }
		}
		cc: workItems(box: CC, first: 2) { nodes { ccId ccTime } }
		messageCounts { type unread read }
		messages(first: 2, type: TODO) { totalCount nodes { id type status title taskId createdAt task { id } } }
	} }`, nil, &out)
	v := out.Viewer
	assert.Equal(t, h.me, v.ID)
	assert.Equal(t, "kongtest", v.User.Name)
	assert.Equal(t, "INTERNAL", v.User.Source)
	assert.Equal(t, 24, v.WorkItemCounts.Todo)
	assert.Equal(t, v.WorkItemCounts.Todo, v.Todo.TotalCount)
	assert.Positive(t, v.WorkItemCounts.Cc)
	require.Len(t, v.Todo.Edges, 3)
	assert.True(t, v.Todo.PageInfo.HasNextPage)
	assert.Equal(t, v.Todo.Edges[2].Cursor, v.Todo.PageInfo.EndCursor)
	item := v.Todo.Edges[0].Node
	assert.True(t, item.CanApprove)
	assert.Equal(t, "IN_PROGRESS", item.Status)
	assert.Equal(t, item.Status, item.Instance.Status)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, item.StartTime, "one DateTime format")
	require.NotNil(t, item.TaskWaitSeconds)
	assert.Equal(t, "直属主管审批", item.CurrentNode.Name)
	assert.Equal(t, []struct{ Action, Label string }{{"APPROVE", "同意"}, {"REJECT", "拒绝"}}, item.Buttons)
	assert.Equal(t, []struct{ Name string }{{"kongtest"}}, item.CurrentApprovers)
	assert.Equal(t, "APPROVAL", item.UserTaskType)
	assert.Equal(t, item.TaskID, item.Task.ID)
	assert.Equal(t, "TODO", item.Task.Status)
	assert.Equal(t, "kongtest", item.Task.Assignee.Name)
	require.NotEmpty(t, v.Cc.Nodes)
	assert.NotEmpty(t, v.Cc.Nodes[0].CcID)
	assert.NotEmpty(t, v.Cc.Nodes[0].CcTime)
	require.Len(t, v.MessageCounts, 2)
	assert.Equal(t, "TODO", v.MessageCounts[0].Type)
	assert.Equal(t, "IN_SITE", v.MessageCounts[1].Type)
	assert.Equal(t, v.MessageCounts[0].Unread+v.MessageCounts[0].Read, v.Messages.TotalCount)
	require.Len(t, v.Messages.Nodes, 2)
	m := v.Messages.Nodes[0]
	assert.Equal(t, "TODO", m.Type)
	require.NotNil(t, m.Task, "the message links to its task")
	assert.Equal(t, m.TaskID, m.Task.ID)

	// The next page starts after the cursor.
	var next struct {
		Viewer struct {
			WorkItems struct {
				Edges []struct{ Cursor string }
			}
		}
	}
	h.ok(h.me, `query($after: String) { viewer { workItems(box: TODO, first: 3, after: $after) { edges { cursor } } } }`,
		map[string]any{"after": v.Todo.PageInfo.EndCursor}, &next)
	require.Len(t, next.Viewer.WorkItems.Edges, 3)
	assert.NotEqual(t, v.Todo.Edges[0].Cursor, next.Viewer.WorkItems.Edges[0].Cursor)
}

func TestRootLookups(t *testing.T) {
	h := newHarness(t)
	t.Run("user and users", func(t *testing.T) {
		var out struct {
			User struct {
				ID, Name, Source string
				NickName         string
				CreatedAt        string
			}
			WeCom struct {
				TotalCount int
				Nodes      []struct{ Name, Source string }
			}
			Some struct {
				TotalCount int
				Nodes      []struct{ ID string }
				PageInfo   struct{ HasNextPage, HasPreviousPage bool }
			}
		}
		h.ok(asAdmin, `query($id: ID!, $ids: [ID!]) {
			user(id: $id) { id name source nickName createdAt }
			weCom: users(filter: { source: WECOM }, first: 50) { totalCount nodes { name source } }
			some: users(filter: { ids: $ids }, first: 1) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage } }
		}`, map[string]any{"id": h.me, "ids": []string{h.me, h.userID("lihua")}}, &out)
		assert.Equal(t, "kongtest", out.User.Name)
		assert.Equal(t, "孔测试", out.User.NickName)
		assert.NotEmpty(t, out.User.CreatedAt)
		assert.Equal(t, 5, out.WeCom.TotalCount)
		for _, u := range out.WeCom.Nodes {
			assert.Equal(t, "WECOM", u.Source)
		}
		assert.Equal(t, 2, out.Some.TotalCount)
		assert.Len(t, out.Some.Nodes, 1)
		assert.True(t, out.Some.PageInfo.HasNextPage)
		assert.False(t, out.Some.PageInfo.HasPreviousPage)
	})
	t.Run("flows", func(t *testing.T) {
		var out struct {
			Flows []struct{ ProcessKey, Type string }
			Logic []struct{ ProcessKey, Type string }
			Flow  struct {
				Name      string
				Published bool
				Instances struct {
					TotalCount int
					Nodes      []struct{ FlowName, Status string }
				}
			}
		}
		h.ok(asAdmin, `{ flows { processKey type } logic: flows(type: LOGIC) { processKey type }
			flow(processKey: "purchase_order") { name published instances(first: 3, order: { field: STATUS, direction: ASC }) { totalCount nodes { flowName status } } } }`, nil, &out)
		assert.Len(t, out.Flows, 3)
		assert.Equal(t, []struct{ ProcessKey, Type string }{{"sync_users", "LOGIC"}}, out.Logic)
		assert.True(t, out.Flow.Published)
		assert.Positive(t, out.Flow.Instances.TotalCount)
		require.Len(t, out.Flow.Instances.Nodes, 3)
		for _, n := range out.Flow.Instances.Nodes {
			assert.Equal(t, "采购审批", n.FlowName)
		}
	})
	t.Run("instances filter and the instance's starter", func(t *testing.T) {
		var out struct {
			Instances struct {
				TotalCount int
				Nodes      []struct {
					ID, Status, StartUserName string
					StartTime                 string
					EndTime                   *string
					StartUser                 struct{ Name string }
					CurrentNode               struct{ Name string }
				}
			}
		}
		h.ok(asAdmin, `{ instances(filter: { status: APPROVED }, first: 2) { totalCount nodes { id status startUserName startTime endTime startUser { name } currentNode { name } } } }`, nil, &out)
		assert.Positive(t, out.Instances.TotalCount)
		require.Len(t, out.Instances.Nodes, 2)
		for _, n := range out.Instances.Nodes {
			assert.Equal(t, "APPROVED", n.Status)
			assert.NotNil(t, n.EndTime)
			assert.Equal(t, n.StartUserName, n.StartUser.Name, "the starter's id comes from the instance's detail")
			assert.NotEmpty(t, n.CurrentNode.Name)
		}
		var since struct{ Instances struct{ TotalCount int } }
		h.ok(asAdmin, `query($t: DateTime) { instances(filter: { startedAfter: $t }) { totalCount } }`,
			map[string]any{"t": time.Now().Add(time.Hour).Format(time.RFC3339)}, &since)
		assert.Zero(t, since.Instances.TotalCount)
	})
	t.Run("task by id", func(t *testing.T) {
		inst := h.startLeave("sunli")
		task := h.todoTask(inst, "kongtest")
		var out struct {
			Task struct {
				ID, Status string
				Node       struct{ Name string }
				Instance   struct{ ID, Name string }
				PageURL    string
			}
		}
		h.ok(asAdmin, `query($id: ID!) { task(id: $id) { id status node { name } instance { id name } pageUrl } }`, map[string]any{"id": task}, &out)
		assert.Equal(t, task, out.Task.ID)
		assert.Equal(t, "TODO", out.Task.Status)
		assert.Equal(t, "直属主管审批", out.Task.Node.Name)
		assert.Equal(t, inst, out.Task.Instance.ID)
		assert.Contains(t, out.Task.PageURL, "flowTaskId="+task)
	})
}

func TestNotFoundAndBadInput(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, query, code string
		user              string
	}{
		{"unknown user", `{ user(id: "1") { name } }`, "NOT_FOUND", asAdmin},
		{"unknown flow", `{ flow(processKey: "nope") { name } }`, "NOT_FOUND", asAdmin},
		{"unknown instance", `{ instance(id: "1234567890123456789") { id } }`, "NOT_FOUND", asAdmin},
		{"unknown task", `{ task(id: "1234567890123456789") { id } }`, "NOT_FOUND", asAdmin},
		{"no viewer", `{ viewer { id } }`, "UNAUTHENTICATED", ""},
		{"first too large", `{ instances(first: 1000) { totalCount } }`, "BAD_USER_INPUT", asAdmin},
		{"negative first", `{ instances(first: -1) { totalCount } }`, "BAD_USER_INPUT", asAdmin},
		{"bad cursor", `{ instances(after: "not-a-cursor") { totalCount } }`, "BAD_USER_INPUT", asAdmin},
		{"bad DateTime", `{ instances(filter: { startedAfter: "yesterday" }) { totalCount } }`, "BAD_USER_INPUT", asAdmin},
		{"unknown enum", `{ viewer { workItems(box: LATER) { totalCount } } }`, "GRAPHQL_VALIDATION_FAILED", "me"},
		{"malformed query", `{ viewer { id `, "GRAPHQL_PARSE_FAILED", "me"},
		{"unknown field", `{ viewer { shoeSize } }`, "GRAPHQL_VALIDATION_FAILED", "me"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			if user == "me" {
				user = h.me
			}
			res := h.query(user, tc.query, nil)
			require.NotEmpty(t, res.Errors)
			assert.Equal(t, tc.code, res.Errors[0].Extensions["code"], res.Errors[0].Message)
			assert.NotEmpty(t, res.Errors[0].Message)
		})
	}
}

func TestPartialDataWhenOneUpstreamCallFails(t *testing.T) {
	h := newHarness(t)
	h.sb.SetFailureRate(1)
	res := h.query(h.me, `{ flows { name } viewer { id } }`, nil)
	require.NotEmpty(t, res.Errors)
	e := res.Errors[0]
	assert.Equal(t, "UPSTREAM_UNAVAILABLE", e.Extensions["code"])
	up := e.Extensions["upstream"].(map[string]any)
	assert.Equal(t, "ListDeployedFlows", up["endpoint"])
	assert.Equal(t, "InternalError", up["code"])
	assert.NotEmpty(t, up["requestId"])
	assert.Equal(t, []any{"flows"}, e.Path)
	var data struct{ Viewer struct{ ID string } }
	require.NoError(t, json.Unmarshal(res.Data, &data))
	assert.Equal(t, h.me, data.Viewer.ID, "the viewer field needs no upstream call and still answers")
}

func TestUpstreamCallCeiling(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.Session.MaxCalls = 3 })
	res := h.query(h.me, `{ viewer { workItems(box: TODO, first: 5) { nodes { instance { tasks { totalCount } } } } } }`, nil)
	require.NotEmpty(t, res.Errors)
	codes := map[any]bool{}
	for _, e := range res.Errors {
		codes[e.Extensions["code"]] = true
	}
	assert.True(t, codes["UPSTREAM_CALL_LIMIT"], "%+v", res.Errors)
	assert.LessOrEqual(t, len(h.calls.calls()), 3)
}

func TestContactDetailsOnlyForTheUserAndOperators(t *testing.T) {
	h := newHarness(t)
	q := `query($id: ID!) { user(id: $id) { name email phone } }`
	type contact struct {
		User struct{ Name, Email, Phone string }
	}
	var mine, theirs, admin contact
	h.ok(h.me, q, map[string]any{"id": h.me}, &mine)
	h.ok(h.userID("sunli"), q, map[string]any{"id": h.me}, &theirs)
	h.ok(asAdmin, q, map[string]any{"id": h.me}, &admin)
	assert.Equal(t, "kongtest@sandbox.weda.example", mine.User.Email)
	assert.NotEmpty(t, mine.User.Phone)
	assert.Equal(t, "kongtest", theirs.User.Name, "names stay visible: screens need them")
	assert.Empty(t, theirs.User.Email)
	assert.Empty(t, theirs.User.Phone)
	assert.Equal(t, mine.User, admin.User)
}
