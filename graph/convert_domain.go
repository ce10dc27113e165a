package graph

import (
	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// The domain's values as models (convert.go has the upstream answers').

func toInstance(inst *workflow.Instance) *model.FlowInstance {
	out := fromProcessInstance(inst.Detail)
	out.FlowName = model.Str(upstream.Text(inst.FlowName))
	return out
}

// toCounts are a viewer's box counts; their id is the viewer's, so every screen's copy of them
// is one object in a client's cache.
func toCounts(viewerID string, c workflow.Counts) *model.WorkItemCounts {
	return &model.WorkItemCounts{ID: viewerID, Todo: c.Todo, Done: c.Done, Create: c.Create, Cc: c.CC, Draft: c.Draft}
}

func toMessageCounts(viewerID string, counts []upstream.MessageCount) []*model.MessageCount {
	out := make([]*model.MessageCount, 0, len(counts))
	for _, c := range counts {
		t := messageType(c.MessageType)
		out = append(out, &model.MessageCount{ID: viewerID + ":" + string(t), Type: t, Unread: int(c.WaitingCount), Read: int(c.FinishCount)})
	}
	return out
}

func toMessages(ms []upstream.Message) []*model.Message {
	out := make([]*model.Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMessage(m))
	}
	return out
}

func toRollbackTargets(targets []upstream.RollbackTarget) []*model.RollbackTarget {
	out := make([]*model.RollbackTarget, 0, len(targets))
	for _, t := range targets {
		out = append(out, &model.RollbackTarget{NodeID: string(t.ElementID), NodeName: model.Str(t.ElementName),
			TaskID: string(t.ActTaskID), IsStartNode: t.ApproveType.Valid && t.ApproveType.Value == 1, IsLast: bool(t.LastNode)})
	}
	return out
}

// taskRef is what the domain needs of a task to read its approval page.
func taskRef(t *model.Task) *upstream.InstanceTask {
	return &upstream.InstanceTask{TaskID: upstream.ID(t.ID), InstanceID: upstream.ID(t.InstanceID),
		FlowCode: upstream.ID(t.FlowCode), ElementID: upstream.Text(t.Node.ElementID)}
}
