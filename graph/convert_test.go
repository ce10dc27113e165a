package graph

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
)

// The boxed conversions keep model.Str / codeOf / model.Time's meaning: absent is nil, present
// is its own value.
func TestBoxedConversionsKeepNilForAbsent(t *testing.T) {
	empty := toTask(&upstream.InstanceTask{})
	assert.Nil(t, empty.FlowName)
	assert.Nil(t, empty.Node.Name)
	assert.Nil(t, empty.StatusCode)
	assert.Nil(t, empty.ResultCode)
	assert.Nil(t, empty.StartTime)
	assert.Nil(t, empty.EndTime)
	assert.Nil(t, empty.PageURL)

	at := time.UnixMilli(1659435534000)
	task := toTask(&upstream.InstanceTask{FlowName: "f", ElementName: "n", TaskStatus: upstream.Some(upstream.TaskTodo),
		OperationResult: upstream.Some(0), StartTime: upstream.Time{Time: at}, PageTransitionURL: "u"})
	assert.Equal(t, model.Str("f"), task.FlowName)
	assert.Equal(t, model.Str("n"), task.Node.Name)
	assert.Equal(t, 1, *task.StatusCode)
	assert.Equal(t, 0, *task.ResultCode, "a present zero is not absent")
	assert.Equal(t, at, *task.StartTime)
	assert.Nil(t, task.EndTime)
	assert.Equal(t, model.Str("u"), task.PageURL)

	item := toWorkItem(&upstream.ProcessInstance{InstanceID: "i1", Name: "x", CurrentNodeID: "node", TaskWaitTime: upstream.Some(5000),
		CcTime: upstream.Time{Time: at}}, model.WorkBoxTodo)
	assert.Equal(t, model.Str("x"), item.Name)
	assert.Nil(t, item.Description)
	assert.Equal(t, "node", item.CurrentNode.ElementID)
	assert.Equal(t, "i1:node", item.CurrentNode.ID(), "a node's cache identity is unique across instances")
	assert.Nil(t, item.CurrentNode.Name)
	assert.Equal(t, 5, *item.TaskWaitSeconds)
	assert.Equal(t, at, *item.CcTime)
	assert.Nil(t, item.StartTime)
	assert.Nil(t, item.StatusCode)
	assert.NotSame(t, item.Name, toWorkItem(&upstream.ProcessInstance{Name: "x"}, model.WorkBoxTodo).Name)
}

func TestBoxedUsersAndOperationsKeepNilForAbsent(t *testing.T) {
	empty := toUser(&upstream.User{ID: "u1"})
	assert.Equal(t, &model.User{ID: "u1", Source: userSource(upstream.OptInt{})}, empty)

	at := time.UnixMilli(1659435534000)
	user := toUser(&upstream.User{ID: "u2", Name: "n", NickName: "nick", Email: "e@x", Phone: "1", UserDesc: "d",
		Type: upstream.Some(0), CreatedAt: upstream.Time{Time: at}})
	assert.Equal(t, model.Str("nick"), user.NickName)
	assert.Equal(t, model.Str("e@x"), user.EmailAddress)
	assert.Equal(t, model.Str("1"), user.PhoneNumber)
	assert.Equal(t, model.Str("d"), user.Description)
	assert.Equal(t, 0, *user.SourceCode, "a present zero is not absent")
	assert.Equal(t, at, *user.CreatedAt)
	assert.Nil(t, user.UpdatedAt)

	none := toOperation(upstream.Operation{OperatorUser: "u1"})
	assert.Nil(t, none.NodeName)
	assert.Nil(t, none.Time)
	assert.Nil(t, none.ActionCode)
	assert.Nil(t, none.Comment)
	assert.Nil(t, none.RevokeText)
	assert.Nil(t, none.Result)
	assert.Nil(t, none.Content)

	op := toOperation(upstream.Operation{ElementName: "e", CreateTime: upstream.Time{Time: at}, Result: "true",
		Content: `{"action":0}`, Parsed: upstream.OperationContent{Action: upstream.Some(0), Comment: "c", RevokeText: "r"}})
	assert.Equal(t, model.Str("e"), op.NodeName)
	assert.Equal(t, at, *op.Time)
	assert.Equal(t, 0, *op.ActionCode)
	assert.Equal(t, model.Str("c"), op.Comment)
	assert.Equal(t, model.Str("r"), op.RevokeText)
	assert.Equal(t, model.Str("true"), op.Result)
	assert.Equal(t, model.Str(`{"action":0}`), op.Content)
	assert.NotSame(t, op.Comment, op.RevokeText)
}
