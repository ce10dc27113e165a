package sandbox

import (
	"bytes"
	"encoding/json"
	"slices"
)

// endpoint is one workflow API: its handler runs under the engine's lock (shared for reads,
// exclusive for writes) and returns the envelope's Data or a refusal.
type endpoint struct {
	write bool
	fn    func(e *engine, env string, body []byte) (any, *apiError)
}

// endpoints are the workflow API's endpoints by name, each with its handler.
var endpoints = map[string]endpoint{
	"ListDeployedFlows":            {false, listDeployedFlows},
	"StartFlow":                    {true, startFlow},
	"CompleteTask":                 {true, completeTask},
	"StopFlow":                     {true, stopFlow},
	"GetFlowInstances":             {false, getFlowInstances},
	"GetFlowInstanceTasks":         {false, getFlowInstanceTasks},
	"GetFlowInstanceOperations":    {false, getFlowInstanceOperations},
	"DescribeProcessInstance":      {false, describeProcessInstance},
	"GetApprovalPageDetail":        {false, getApprovalPageDetail},
	"GetProcessCanvasInfo":         {false, getProcessCanvasInfo},
	"ListProcessInstances":         {false, listProcessInstances},
	"ListProcessInstancesCount":    {false, listProcessInstancesCount},
	"SubmitFlowTaskList":           {true, submitFlowTaskList},
	"PressTask":                    {true, pressTask},
	"Revoke":                       {true, revokeTask},
	"AddCounterSignAssignee":       {true, addCounterSignAssignee},
	"GetPreElementList":            {false, getPreElementList},
	"RollBack":                     {true, rollBack},
	"DescribeWorkflowMessages":     {false, describeWorkflowMessages},
	"DescribeWorkflowMessageCount": {false, describeWorkflowMessageCount},
	"UpdateWorkflowMessageStatus":  {true, updateWorkflowMessageStatus},
}

// decode reads a request body into v, numbers as json.Number.
func decode(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return &apiError{200, "InvalidParameter", "the request body is empty; a JSON object is required"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &apiError{200, "InvalidParameter", "the request body is not valid JSON: " + err.Error()}
	}
	return nil
}

// result is the Data of the writes that answer {"Result": ok}.
func result(ok bool) any { return map[string]any{"Result": ok} }

// paging validates page number and size, applying WeDa's defaults (1 and 10).
func paging(number, size *int, numberField, sizeField string, maxSize int) (int, int, *apiError) {
	n, s := 1, 10
	if number != nil {
		if *number < 1 {
			return 0, 0, invalid(numberField, *number)
		}
		n = *number
	}
	if size != nil {
		if *size < 1 || *size > maxSize {
			return 0, 0, invalid(sizeField, *size)
		}
		s = *size
	}
	return n, s, nil
}

// pageOf is the page of items that number and size select.
func pageOf[T any](items []T, number, size int) []T {
	start := min((number-1)*size, len(items))
	return items[start:min(start+size, len(items))]
}

// oneOf refuses a value that is set and not one of allowed.
func oneOf(field, value string, allowed ...string) *apiError {
	if value != "" && !slices.Contains(allowed, value) {
		return invalid(field, value)
	}
	return nil
}

// The workbench's page types: its boxes ([12] [13]) and the views of a task ([9] [10]).
const (
	pageTodo   = "TODO"
	pageDone   = "DONE"
	pageCreate = "CREATE"
	pageCC     = "CC"
	pageDraft  = "DRAFT"
)

var pageTypes = []string{pageTodo, pageDone, pageCreate, pageCC, pageDraft}

// pageQuery is a list request's paging, PageNumber and PageSize.
type pageQuery struct {
	PageNumber *int
	PageSize   *int
}

// maxListPage is the largest page of the lists other than messages.
const maxListPage = 1000

// page validates the paging, applying WeDa's defaults.
func (p pageQuery) page() (number, size int, err *apiError) {
	return paging(p.PageNumber, p.PageSize, "PageNumber", "PageSize", maxListPage)
}

// decodeWithInstance decodes body into req and finds the instance named by req's InstanceId,
// which id points to.
func (e *engine) decodeWithInstance(body []byte, req any, id *sid) (*instance, *apiError) {
	if err := decode(body, req); err != nil {
		return nil, err
	}
	return e.instance(string(*id))
}

// decodeWithUser decodes body into req and checks the user named by req's UserInfo, which u
// points to.
func (e *engine) decodeWithUser(body []byte, req any, u **userInfo) (*user, *apiError) {
	if err := decode(body, req); err != nil {
		return nil, err
	}
	return e.checkUser("UserInfo", *u)
}

// decodeWithTask decodes body into req and finds the task named by req's TaskId, which id
// points to.
func (e *engine) decodeWithTask(body []byte, req any, id *sid) (*task, *apiError) {
	if err := decode(body, req); err != nil {
		return nil, err
	}
	return e.openTask(string(*id), "TaskId")
}

// usersByID finds the users a request lists by id.
func (e *engine) usersByID(ids []sid) ([]*user, *apiError) {
	var out []*user
	for _, id := range ids {
		u := e.userByID[string(id)]
		if u == nil {
			return nil, notFound("user", string(id))
		}
		out = append(out, u)
	}
	return out, nil
}

// instanceOf reads a body of just {"InstanceId": ...} and finds the instance.
func instanceOf(e *engine, body []byte) (*instance, *apiError) {
	var req struct {
		InstanceID sid `json:"InstanceId"`
	}
	return e.decodeWithInstance(body, &req, &req.InstanceID)
}
