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
	empty := toTask(upstream.InstanceTask{})
	assert.Nil(t, empty.FlowName)
	assert.Nil(t, empty.Node.Name)
	assert.Nil(t, empty.StatusCode)
	assert.Nil(t, empty.ResultCode)
	assert.Nil(t, empty.StartTime)
	assert.Nil(t, empty.EndTime)
	assert.Nil(t, empty.PageURL)

	at := time.UnixMilli(1659435534000)
	task := toTask(upstream.InstanceTask{FlowName: "f", ElementName: "n", TaskStatus: upstream.Some(upstream.TaskTodo),
		OperationResult: upstream.Some(0), StartTime: upstream.Time{Time: at}, PageTransitionURL: "u"})
	assert.Equal(t, model.Str("f"), task.FlowName)
	assert.Equal(t, model.Str("n"), task.Node.Name)
	assert.Equal(t, 1, *task.StatusCode)
	assert.Equal(t, 0, *task.ResultCode, "a present zero is not absent")
	assert.Equal(t, at, *task.StartTime)
	assert.Nil(t, task.EndTime)
	assert.Equal(t, model.Str("u"), task.PageURL)

	item := toWorkItem(&upstream.ProcessInstance{Name: "x", CurrentNodeID: "node", TaskWaitTime: upstream.Some(5000),
		CcTime: upstream.Time{Time: at}}, model.WorkBoxTodo)
	assert.Equal(t, model.Str("x"), item.Name)
	assert.Nil(t, item.Description)
	assert.Equal(t, "node", item.CurrentNode.ID)
	assert.Nil(t, item.CurrentNode.Name)
	assert.Equal(t, 5, *item.TaskWaitSeconds)
	assert.Equal(t, at, *item.CcTime)
	assert.Nil(t, item.StartTime)
	assert.Nil(t, item.StatusCode)
	assert.NotSame(t, item.Name, toWorkItem(&upstream.ProcessInstance{Name: "x"}, model.WorkBoxTodo).Name)
}
