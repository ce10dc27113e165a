package workflow

import "fmt"

// Who names the part an actor must play to do an action.
type Who int

// The parts.
const (
	// Anyone authenticated.
	Anyone Who = iota + 1
	// Self: the actor's own (their boxes, counts, messages); the API names no one else's.
	Self
	// SelfOrOperator: the actor is the user in question, or an operator.
	SelfOrOperator
	// Operator: an operator only.
	Operator
	// Participant: the actor started the instance, holds or held a task in it, or was copied on
	// it; or is an operator.
	Participant
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
	Action string // a read (what a screen shows) or a write (the mutation)
	Who    Who
	Write  bool   // a write: a refusal sends nothing to WeDa
	Vendor string // the endpoint [n] of WeDa's workflow OpenAPI and what it carries
}

// Policy is who may see and do what, one row per action, to be read against WeDa's document
// (the endpoints [1]–[22] of its workflow OpenAPI). What the actor may not see answers NOT_FOUND,
// exactly like what does not exist, so ids cannot be probed; what they may see but not act on
// answers FORBIDDEN. Every check runs before the call it guards: a refused write sends nothing.
var Policy = []Rule{
	// Reads.
	{"seeInstance", Participant, false, "[9] DescribeProcessInstance, [7] GetFlowInstanceTasks: WeDa serves any instance to the app's credentials"},
	{"seeTask", Participant, false, "[9], [7]: a task is seen with its instance"},
	{"watchInstance", Participant, false, "as seeInstance, polled: WeDa has no push API"},
	{"listInstances", StarterOrOperator, false, "[6] GetFlowInstances: StartUserId is the actor's own unless an operator asks"},
	{"readWorkbench", Self, false, "[12] [13] [20] [21]: UserInfo is the actor"},
	{"listUsers", Operator, false, "[1] sys_user: the whole directory"},
	{"seeUser", Anyone, false, "[1] sys_user by id: names, for every user an instance mentions"},
	{"seeContact", SelfOrOperator, false, "[1] sys_user's email and phone"},
	{"listFlows", Anyone, false, "[2] ListDeployedFlows"},
	// Writes.
	{"startFlow", Anyone, true, "[3] StartFlow: StartUser is the actor; WeDa decides who may start which flow"},
	{"completeTask", PendingAssignee, true, "[4] CompleteTask: Approver is the actor, the task's handler"},
	{"revokeTask(APPROVER)", OwnApproval, true, "[16] Revoke, RevokerType 1: the approver withdraws their approval"},
	{"revokeTask(STARTER)", Starter, true, "[16] Revoke, RevokerType 2: the starter withdraws the instance"},
	{"addCounterSigners", PendingAssignee, true, "[17] AddCounterSignAssignee: Approver is the actor, at their node"},
	{"rollBackTask", PendingAssignee, true, "[19] RollBack: UserInfo is the actor, the task's handler"},
	{"stopFlow", StarterOrOperator, true, "[5] StopFlow: Operator is the actor"},
	{"pressInstance", StarterOrOperator, true, "[15] PressTask: carries no user, so the gateway alone checks"},
	{"submitNextApprovers", Chooser, true, "[14] SubmitFlowTaskList: carries no user; ids are [4]'s WaitFlowTaskId"},
	{"markMessages", Recipient, true, "[22] UpdateWorkflowMessageStatus: UserInfo is the actor"},
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

// allows reports whether a may do action on what concerns user (the one whose it is: the user
// whose contact is asked for, the starter a listing asks for), for the rules that need no read.
func (a Actor) allows(action, user string) bool {
	switch RuleFor(action).Who {
	case Anyone:
		return true
	case Operator:
		return a.Operator
	case SelfOrOperator, StarterOrOperator:
		return a.Operator || user == a.UserID
	case Self:
		return user == a.UserID
	}
	panic(fmt.Sprintf("workflow: %s needs a read to decide", action))
}

// ContactVisible reports whether the actor may see user's email and phone.
func (r *Request) ContactVisible(userID string) bool { return r.a.allows("seeContact", userID) }
