package upstream

import "context"

// Page types: the boxes of the enterprise workbench (企业工作台), as WeDa OpenAPI [12]
// 根据类型查询流程实例列表 and [13] name them, and the view of a task that [9] 查询流程实例详情
// and [10] 查询审批页面详情 take.
const (
	PageTodo   = "TODO"
	PageDone   = "DONE"
	PageCreate = "CREATE"
	PageCC     = "CC"
	PageDraft  = "DRAFT"
)

// WorkItemsRequest is ListProcessInstances' body: WeDa OpenAPI [12] 根据类型查询流程实例列表.
type WorkItemsRequest struct {
	UserInfo   UserInfo `json:"UserInfo"`
	PageType   string   `json:"PageType"`
	PageNumber int      `json:"PageNumber,omitempty"`
	PageSize   int      `json:"PageSize,omitempty"`
	Sort       string   `json:"Sort,omitempty"`  // startTime (default) or updateTime
	Order      string   `json:"Order,omitempty"` // desc (default) or asc
}

// MarshalJSON implements json.Marshaler.
func (r WorkItemsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.user("UserInfo", &r.UserInfo)
	o.str("PageType", r.PageType, false)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	o.str("Sort", r.Sort, true)
	o.str("Order", r.Order, true)
	return o.end()
}

// WorkItems is ListProcessInstances' answer.
type WorkItems struct {
	Records    []ProcessInstance `json:"Records"`
	TotalCount Int               `json:"TotalCount"`
	PageSize   Int               `json:"PageSize"`
	PageNumber Int               `json:"PageNumber"`
	Pages      Int               `json:"Pages"`
	FirstPage  Bool              `json:"FirstPage"`
	LastPage   Bool              `json:"LastPage"`
}

// ListProcessInstances lists a user's workbench box (TODO, DONE, CREATE, CC, DRAFT):
// WeDa OpenAPI [12] 根据类型查询流程实例列表.
func (c *Client) ListProcessInstances(ctx context.Context, req *WorkItemsRequest) (*WorkItems, error) {
	return read[WorkItems](ctx, c, "ListProcessInstances", req)
}

// BoxCount is the size of one workbench box: WeDa OpenAPI [13] 根据类型查询流程实例总数.
type BoxCount struct {
	Total    Int  `json:"Total"`
	PageType Text `json:"PageType"`
}

// countsRequest is ListProcessInstancesCount's body: WeDa OpenAPI [13] 根据类型查询流程实例总数.
type countsRequest struct {
	UserInfo UserInfo `json:"UserInfo"`
	PageType string   `json:"PageType,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r countsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.user("UserInfo", &r.UserInfo)
	o.str("PageType", r.PageType, true)
	return o.end()
}

// ListProcessInstancesCount counts a user's workbench boxes; pageType "" asks for all:
// WeDa OpenAPI [13] 根据类型查询流程实例总数.
func (c *Client) ListProcessInstancesCount(ctx context.Context, user UserInfo, pageType string) ([]BoxCount, error) {
	out, err := read[struct {
		TotalCounts []BoxCount `json:"TotalCounts"`
	}](ctx, c, "ListProcessInstancesCount", countsRequest{user, pageType})
	if err != nil {
		return nil, err
	}
	return out.TotalCounts, nil
}
