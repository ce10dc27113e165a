package graph

import (
	"strings"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// GraphQL's arguments as the domain's values: enums to WeDa's codes, filters to the domain's.

var boxes = map[model.WorkBox]workflow.Box{model.WorkBoxTodo: workflow.BoxTodo, model.WorkBoxDone: workflow.BoxDone,
	model.WorkBoxCreate: workflow.BoxCreate, model.WorkBoxCc: workflow.BoxCC, model.WorkBoxDraft: workflow.BoxDraft}

// boxOr is box, TODO when none is given.
func boxOr(box *model.WorkBox) model.WorkBox {
	if box == nil {
		return model.WorkBoxTodo
	}
	return *box
}

var taskStatusCodes = map[model.TaskStatus]int{model.TaskStatusTodo: upstream.TaskTodo, model.TaskStatusDone: upstream.TaskDone,
	model.TaskStatusInvalid: upstream.TaskInvalid, model.TaskStatusDraft: upstream.TaskDraft, model.TaskStatusToSubmit: upstream.TaskToSubmit}

func taskFilter(status *model.TaskStatus, assigneeID *string, nodeIDs []string) (workflow.TaskFilter, error) {
	f := workflow.TaskFilter{AssigneeID: deref(assigneeID), NodeIDs: nodeIDs}
	if status != nil {
		code, ok := taskStatusCodes[*status]
		if !ok {
			return f, userError("status UNKNOWN cannot be searched for")
		}
		f.Status = code
	}
	return f, nil
}

var instanceStatusCodes = map[model.InstanceStatus]int{model.InstanceStatusStopped: upstream.InstanceStopped,
	model.InstanceStatusRejected: upstream.InstanceRejected, model.InstanceStatusApproved: upstream.InstanceApproved,
	model.InstanceStatusInProgress: upstream.InstanceInProgress}

var instanceSortFields = map[model.InstanceOrderField]string{
	model.InstanceOrderFieldStartTime: "start_time", model.InstanceOrderFieldEndTime: "end_time",
	model.InstanceOrderFieldFlowName: "flow_name", model.InstanceOrderFieldProcessKey: "process_key",
	model.InstanceOrderFieldStarterName: "create_by_name", model.InstanceOrderFieldStatus: "status",
	model.InstanceOrderFieldTitle: "title",
}

// instanceFilter is a listing's filter; ok is false when it cannot match anything in the flow
// the listing is under (processKey, "" for none).
func instanceFilter(processKey string, in *model.InstanceFilter) (f workflow.InstanceFilter, ok bool, err error) {
	f.ProcessKey = processKey
	if in == nil {
		return f, true, nil
	}
	if in.ProcessKey != nil {
		if processKey != "" && *in.ProcessKey != processKey {
			return f, false, nil
		}
		f.ProcessKey = *in.ProcessKey
	}
	f.FlowCode, f.FlowVersion, f.StartUserID = deref(in.FlowCode), deref(in.FlowVersion), deref(in.StartUserID)
	if in.Status != nil {
		if f.Status = instanceStatusCodes[*in.Status]; f.Status == 0 {
			return f, false, userError("status UNKNOWN cannot be searched for")
		}
	}
	if in.StartedAfter != nil {
		f.StartedAfter = *in.StartedAfter
	}
	if in.StartedBefore != nil {
		f.StartedBefore = *in.StartedBefore
	}
	return f, true, nil
}

func instanceOrder(in *model.InstanceOrder) workflow.InstanceOrder {
	if in == nil {
		return workflow.InstanceOrder{}
	}
	return workflow.InstanceOrder{Field: instanceSortFields[in.Field], Direction: strings.ToLower(string(in.Direction))}
}

var messageTypeCodes = map[model.MessageType]int{model.MessageTypeTodo: upstream.MessageTodo, model.MessageTypeInSite: upstream.MessageInSite}

// messageTypeCode is WeDa's code of a message type (MessageTodo is 0), or nil for none asked.
func messageTypeCode(t *model.MessageType, verb string) (*int, error) {
	if t == nil {
		return nil, nil
	}
	code, ok := messageTypeCodes[*t]
	if !ok {
		return nil, userError("type UNKNOWN cannot be %s", verb)
	}
	return &code, nil
}

var readStatuses = map[model.ReadStatus]string{model.ReadStatusRead: upstream.MessageRead, model.ReadStatusUnread: upstream.MessageUnread}

var userSourceCodes = map[model.UserSource]int{model.UserSourceWecom: 3, model.UserSourceInternal: 4, model.UserSourceTcb: 1}

func userFilter(in *model.UserFilter) (workflow.UserFilter, error) {
	var f workflow.UserFilter
	if in == nil {
		return f, nil
	}
	f.IDs, f.NameContains = in.Ids, deref(in.NameContains)
	if in.Source != nil {
		code, ok := userSourceCodes[*in.Source]
		if !ok {
			return f, userError("source UNKNOWN cannot be searched for")
		}
		f.Source = code
	}
	return f, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
