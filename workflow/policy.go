package workflow

import (
	"context"
	"fmt"
)

// Who names the part an actor must play in an instance to do an action.
type Who int

// The parts.
const (
	// Anyone authenticated; WeDa decides who may start which flow.
	Anyone Who = iota + 1
	// PendingAssignee: the actor holds the task and it waits for them.
	PendingAssignee
	// OwnApproval: the task is the actor's own completed approval (or handling).
	OwnApproval
	// Starter: the actor started the instance.
	Starter
	// StarterOrOperator: the actor started the instance, or is an operator.
	StarterOrOperator
	// Chooser: the pending tasks are the choice that a completeTask of the actor produced, all
	// of one instance.
	Chooser
	// Recipient: the messages are the actor's own.
	Recipient
)

// Rule is one row of the policy: an action, who may do it, and the vendor's word for it.
type Rule struct {
	Action string // the mutation
	Who    Who
	Vendor string // the endpoint [n] of weda-api.md and what it carries
}

// Policy is who may do what, one row per action, to be read against weda-api.md. An object the
// actor may not see answers NOT_FOUND, exactly like one that does not exist; one they may see
// but not act on answers FORBIDDEN. Every check runs before the write: a refusal sends nothing.
var Policy = []Rule{
	{"startFlow", Anyone, "[3] StartFlow: StartUser is the actor"},
	{"completeTask", PendingAssignee, "[4] CompleteTask: Approver is the actor, the task's handler"},
	{"revokeTask(APPROVER)", OwnApproval, "[16] Revoke, RevokerType 1: the approver withdraws their approval"},
	{"revokeTask(STARTER)", Starter, "[16] Revoke, RevokerType 2: the starter withdraws the instance"},
	{"addCounterSigners", PendingAssignee, "[17] AddCounterSignAssignee: Approver is the actor, at their node"},
	{"rollBackTask", PendingAssignee, "[19] RollBack: UserInfo is the actor, the task's handler"},
	{"stopFlow", StarterOrOperator, "[5] StopFlow: Operator is the actor"},
	{"pressInstance", StarterOrOperator, "[15] PressTask: carries no user, so the gateway alone checks"},
	{"submitNextApprovers", Chooser, "[14] SubmitFlowTaskList: carries no user; ids are [4]'s WaitFlowTaskId"},
	{"markMessages", Recipient, "[22] UpdateWorkflowMessageStatus: UserInfo is the actor"},
}

// RuleFor returns the policy row of an action.
func RuleFor(action string) Rule {
	for _, r := range Policy {
		if r.Action == action {
			return r
		}
	}
	panic(fmt.Sprintf("workflow: no policy for %q", action)) // a wiring bug, caught by every test
}

// authorizeTask checks the actor's part in a task for action and returns the task.
func (s *Service) authorizeTask(ctx context.Context, a Actor, action, taskID string) (*Task, error) {
	t, err := s.TaskByID(ctx, a, taskID)
	if err != nil {
		return nil, err
	}
	switch who := RuleFor(action).Who; who {
	case PendingAssignee:
		if string(t.TaskAssignee.UserID) != a.UserID {
			return nil, forbidden("task %s is not assigned to you", taskID)
		}
		if !t.Pending() {
			return nil, forbidden("task %s is not waiting for you: it is already done or closed", taskID)
		}
	case OwnApproval:
		if !t.approvedBy(a.UserID) {
			return nil, forbidden("task %s is not an approval of yours to withdraw", taskID)
		}
	case Starter:
		if t.StarterID != a.UserID {
			return nil, forbidden("you did not start the instance of task %s", taskID)
		}
	default:
		return nil, fmt.Errorf("workflow: %s is not a task action", action)
	}
	return t, nil
}

// authorizeInstance checks the actor's part in an instance for action.
func (s *Service) authorizeInstance(ctx context.Context, a Actor, action, instanceID string) (*Instance, error) {
	inst, err := s.InstanceByID(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	starter := string(inst.Detail.StartUserID) == a.UserID
	switch who := RuleFor(action).Who; {
	case who == Starter && starter, who == StarterOrOperator && (starter || a.Operator):
		return inst, nil
	case who == Starter || who == StarterOrOperator:
		return nil, forbidden("only the starter of flow instance %s (or an operator) may do this", instanceID)
	}
	return nil, fmt.Errorf("workflow: %s is not an instance action", action)
}
