package model

import (
	"time"
)

// The hand-written models carry what their upstream answer already says, in GraphQL's shape,
// plus the ids their edges need. Schema fields missing here are resolvers (graph/*.resolvers.go).

// User is a sys_user record.
type User struct {
	ID       string
	Name     string
	NickName *string
	// Contact details: their resolvers show them to the user and to operators only.
	EmailAddress *string
	PhoneNumber  *string
	Source       UserSource
	SourceCode   *int
	Description  *string
	CreatedAt    *time.Time
	UpdatedAt    *time.Time
}

// Flow is a deployed flow; its instances are a resolver.
type Flow struct {
	ProcessKey           string
	FlowCode             string
	Version              string
	Name                 string
	Description          *string
	Published            bool
	Type                 FlowType
	TakesStartParameters bool
}

// ID is the flow's identity for client caches: the processKey, which no save changes.
func (f *Flow) ID() string { return f.ProcessKey }

// FlowNode is a node of a flow as an instance, its tasks or its work items refer to it.
type FlowNode struct {
	InstanceID string
	ElementID  string
	Name       *string
}

// ID is the node's identity for client caches. Element ids (startNode, endNode) repeat in every
// flow, so a cache keyed by them alone would merge different flows' nodes; within one instance
// they are unique. Made only when asked for.
func (n *FlowNode) ID() string { return n.InstanceID + ":" + n.ElementID }

// FlowInstance is an instance as far as the answer it came from knows it. StartUserID and
// KnownNode may be empty: their resolvers then fetch the instance's detail.
type FlowInstance struct {
	ID            string
	Name          *string
	Description   *string
	FlowCode      string
	FlowVersion   *string
	FlowName      *string
	StartUserName *string
	StartUserID   string
	StartTime     *time.Time
	EndTime       *time.Time
	Status        InstanceStatus
	StatusCode    *int
	KnownNode     *FlowNode
}

// Task is one task of an instance.
type Task struct {
	ID          string
	InstanceID  string
	FlowCode    string
	FlowName    *string
	Node        *FlowNode
	AssigneeID  string
	StartUserID string
	Status      TaskStatus
	StatusCode  *int
	Result      OperationAction
	ResultCode  *int
	StartTime   *time.Time
	EndTime     *time.Time
	PageURL     *string
}

// Operation is one entry of an instance's history; its people are resolvers.
type Operation struct {
	NodeName         *string
	Time             *time.Time
	OperatorID       string
	Action           OperationAction
	ActionCode       *int
	Comment          *string
	CcUserIDs        []string
	CounterSignerIDs []string
	MentionIDs       []string
	RevokeText       *string
	Result           *string
	Content          *string
	ContentValid     bool
}

// WorkItem is an instance as a workbench box shows it.
type WorkItem struct {
	ID                  string
	TaskID              *string
	InstanceID          string
	Name                *string
	Description         *string
	StartedBy           *string
	StartUserID         string
	StartTime           *time.Time
	EndTime             *time.Time
	IsCompleted         bool
	Status              InstanceStatus
	StatusCode          *int
	CurrentNode         *FlowNode
	CurrentApproverIDs  []string
	CanApprove          bool
	CanRevoke           bool
	CanDelete           bool
	IsSubmitNode        bool
	CcID                *string
	CcTime              *time.Time
	TaskStartTime       *time.Time
	TaskWaitSeconds     *int
	TaskDealTime        *time.Time
	TaskDealResult      OperationAction
	OperationName       *string
	UserTaskType        UserTaskType
	Buttons             []*Button
	Read                bool
	SupportsBatchHandle bool
	FlowCode            *string
	FlowVersion         *string
	// Box is the box the item was seen from, for the task's page.
	Box WorkBox
}

// Message is a message of the message center.
type Message struct {
	ID        string
	Type      MessageType
	TypeCode  *int
	Title     *string
	Subtitle  *string
	Text      *string
	Link      *string
	Status    ReadStatus
	CreatedAt *time.Time
	UpdatedAt *time.Time
	TaskID    *string
}

// Viewer is the calling user.
type Viewer struct {
	ID     string
	Source int
}

// StartFlowPayload names what StartFlow made; its objects are read fresh.
type StartFlowPayload struct {
	ClientMutationID *string
	InstanceID       string
	StarterTaskID    string
	Viewer           *Viewer // the acting viewer, whose counts and boxes are read after the write
}

// CompleteTaskPayload names the completed task; its objects are read fresh.
type CompleteTaskPayload struct {
	ClientMutationID      *string
	TaskID                string
	InstanceID            string
	NextApproversRequired bool
	NextApproverChoices   []*NextApproverChoice
	Viewer                *Viewer // the acting viewer, whose counts and boxes are read after the write
}

// NextApproverChoice is a candidate for the next node.
type NextApproverChoice struct {
	AssigneeID    string
	AssigneeName  *string
	PendingTaskID string
}

// InstancePayload names the instance a write changed; it is read fresh.
type InstancePayload struct {
	ClientMutationID *string
	InstanceID       string
	Viewer           *Viewer // the acting viewer, whose counts and boxes are read after the write
}

// MarkMessagesPayload names the messages a write changed; they are read fresh.
type MarkMessagesPayload struct {
	ClientMutationID *string
	MessageIDs       []string
	Viewer           *Viewer // the acting viewer, whose counts and boxes are read after the write
}
