package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// Codes and statuses, as WeDa's OpenAPI numbers them (the endpoint that lists each is named).
const (
	// Flow types: [2] 查询已部署的流程列表.
	flowLogic    = 1
	flowApproval = 2

	// Button actions: [4] 完成审批任务.
	btnSubmit   = 1
	btnApprove  = 2
	btnReject   = 3
	btnTransfer = 4

	// Instance statuses: [6] 查询流程实例相关信息.
	instStopped    = 1
	instRejected   = 2
	instApproved   = 3
	instInProgress = 4

	// Task statuses and user task types: [7] 查询流程任务相关信息.
	taskTodo         = 1
	taskDone         = 2
	taskInvalid      = 3
	taskDraft        = 4
	taskWaiting      = 5 // 任务待提交: waiting for the previous approver's choice ([14])
	taskTypeApproval = 1
	taskTypeHandle   = 2

	// Operation actions: ContentEntity.action of [8] 查询流程操作相关信息, and a canvas
	// processor's status in [11] 查询流程画布详情.
	opSubmit   = 1
	opApprove  = 2
	opReject   = 3
	opTransfer = 4
	opRevoke   = 5
	opRollback = 6
	opAddSign  = 7
	opStop     = 8
	opHandle   = 13
	opCC       = 15

	// Canvas node and edge statuses: [11] 查询流程画布详情.
	canvasDone       = 1
	canvasNotStarted = 2
	canvasInProgress = 3

	// Revoker types: [16] 撤销.
	revokeByApprover = 1
	revokeByStarter  = 2

	// Rollback targets' ApproveType: [18] 获取可回退的节点列表.
	approveTypeStart = 1 // the approval start node
	approveTypeOther = 2

	// Message types and statuses: [20] 查询消息列表, [22] 更新消息状态.
	msgTodo   = 0
	msgInSite = 2
	msgRead   = "READ_DONE"
	msgUnread = "READ_TODO"

	// A sys_user's type (its source) and internal_user_type: [1] 获取用户信息.
	userWeCom         = 3
	userInternal      = 4
	userAdministrator = 1
)

// Canvas node data types: [11] 查询流程画布详情.
const (
	dataStart    = 1
	dataEnd      = 13
	dataApproval = 17
	dataHandle   = 23
	dataCC       = 25
)

type nodeKind int

const (
	kindStart nodeKind = iota // the approval start node: the starter submits here
	kindApproval
	kindHandle
	kindCC
	kindEnd
)

// node is one step of a flow definition.
type node struct {
	ID        string
	Name      string
	Kind      nodeKind
	Assignees []string // user ids; for ChosenByPrevious, the candidates
	// AllMustSign makes the node complete only when every assignee approved (会签); otherwise
	// the first approval completes it (或签).
	AllMustSign      bool
	ChosenByPrevious bool // 上一节点指定审批人: CompleteTask answers ToBeSubmittedFlowTaskFlag
	AddSign          bool
	Rollback         bool
	RevokeByApprover bool
	CCTo             []string
}

func (n *node) dataType() int {
	return [...]int{dataStart, dataApproval, dataHandle, dataCC, dataEnd}[n.Kind]
}

func (n *node) takesTasks() bool {
	return n.Kind == kindStart || n.Kind == kindApproval || n.Kind == kindHandle
}

// flow is a deployed process definition.
type flow struct {
	ProcessKey      string
	FlowCode        string
	Version         string
	Name            string
	Description     string
	Type            int
	Published       bool
	HasStartParams  bool
	RevokeByStarter bool
	Nodes           []*node
}

func (f *flow) node(id string) (int, *node) {
	for i, n := range f.Nodes {
		if n.ID == id {
			return i, n
		}
	}
	return -1, nil
}

// user is a sys_user record.
type user struct {
	ID               string
	Name             string
	NickName         string
	Email            string
	Phone            string
	Type             int // userWeCom or userInternal
	InternalUserType int // userAdministrator for the administrator
	Desc             string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

type instance struct {
	ID          string
	Flow        *flow
	FlowCode    string // as started: the flow's code changes on later saves
	Version     string
	Name        string
	Description string
	Starter     string
	Start       time.Time
	End         time.Time
	Status      int
	Current     int // index of the current node while in progress
	Draft       bool
	AddSigned   bool // add-sign turned the current node into all-must-sign
	Visited     map[int]bool
	Vars        map[string]any // start parameters
	PageParams  map[string]any // approvers' page outputs
	Tasks       []*task
	Ops         []*operation
}

type task struct {
	ID          string
	Inst        *instance
	NodeIdx     int
	Assignee    string
	Status      int
	Result      int // the operation code that closed it; 0 while open
	Start       time.Time
	End         time.Time
	Comment     string
	NewAssignee string // set when transferred
}

func (t *task) node() *node { return t.Inst.Flow.Nodes[t.NodeIdx] }

type operation struct {
	NodeIdx  int
	Operator string
	Time     time.Time
	Content  string
	Result   string
}

type ccRecord struct {
	ID     string
	Inst   *instance
	UserID string
	TaskID string
	Time   time.Time
	Read   bool
}

type message struct {
	ID       string
	UserID   string
	Type     int
	Main     string
	Sub      string
	Text     string
	TaskID   string
	PageType string
	Status   string
	Created  time.Time
	Updated  time.Time
}

// apiError is an upstream refusal, written in the endpoint's error shape.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func missing(field string) *apiError {
	return &apiError{http.StatusOK, "MissingParameter", fmt.Sprintf("the parameter %s is required", field)}
}

func invalid(field string, value any) *apiError {
	return &apiError{http.StatusOK, "InvalidParameterValue", fmt.Sprintf("the value %v of %s is not valid", value, field)}
}

func notFound(what, id string) *apiError {
	return &apiError{http.StatusOK, "ResourceNotFound", fmt.Sprintf("%s %s does not exist", what, id)}
}

func failed(format string, args ...any) *apiError {
	return &apiError{http.StatusOK, "FailedOperation", fmt.Sprintf(format, args...)}
}
