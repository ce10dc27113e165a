package workflow

import (
	"fmt"
	"slices"
	"strings"
)

// The inputs and results of the writes. Results are kept by the idempotency store as JSON and
// replayed to repeats, so they hold ids only: the objects are read fresh by whoever shows them.

// StartFlow starts an instance of a flow [3].
type StartFlow struct {
	ProcessKey      string
	FlowCode        *string // with FlowVersion, a specific saved version; both absent: the latest
	FlowVersion     *string
	StartParameters any // an object of variable names to values
}

// Started is what StartFlow made.
type Started struct {
	InstanceID    string `json:"instanceId"`
	StarterTaskID string `json:"starterTaskId,omitempty"`
}

// Action is what completeTask does with a task.
type Action string

// The actions [4].
const (
	Submit   Action = "SUBMIT"
	Approve  Action = "APPROVE"
	Reject   Action = "REJECT"
	Transfer Action = "TRANSFER"
)

// PageParameter is a page output variable sent with CompleteTask.
type PageParameter struct {
	Key, Type string
	Value     any
}

// CompleteTask submits, approves, rejects or transfers the actor's task [4].
type CompleteTask struct {
	TaskID         string
	Action         Action
	Comment        string
	TransferTo     *string
	CcUserIDs      []string
	PageParameters []PageParameter
}

// Completed is what CompleteTask did; Choices are set when the next node's approvers must be
// chosen (then SubmitNextApprovers finishes).
type Completed struct {
	TaskID                string   `json:"taskId"`
	InstanceID            string   `json:"instanceId"`
	NextApproversRequired bool     `json:"nextApproversRequired"`
	Choices               []Choice `json:"choices"`
}

// Choice is a candidate for the next node: a pending task and its assignee.
type Choice struct {
	PendingTaskID string  `json:"pendingTaskId"`
	AssigneeID    string  `json:"assigneeId"`
	AssigneeName  *string `json:"assigneeName,omitempty"`
}

// Changed names the instance a write changed.
type Changed struct {
	InstanceID string `json:"instanceId"`
}

// RevokeRole is the part the actor revokes in.
type RevokeRole string

// The roles [16].
const (
	AsApprover RevokeRole = "APPROVER"
	AsStarter  RevokeRole = "STARTER"
)

// RollBack sends an instance back to an earlier node [19].
type RollBack struct {
	TaskID, TargetNodeID string
	TargetTaskID         *string
}

// MaxComment bounds a completeTask comment, in characters.
const MaxComment = 2000

func requireID(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fieldError(field, "is required")
	}
	return nil
}

func requireIDs(field string, ids []string, most int) error {
	if len(ids) == 0 {
		return fieldError(field, "needs at least one id")
	}
	if len(ids) > most {
		return fieldError(field, "takes at most %d ids", most)
	}
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			return fieldError(fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
		if slices.Contains(ids[:i], id) {
			return fieldError(field, "names %s twice", id)
		}
	}
	return nil
}
