package upstream

import "context"

// Message types and statuses, as WeDa OpenAPI [20] 查询消息列表, [21] 查询消息个数 and [22]
// 更新消息状态 name them, and the largest page [20] gives.
const (
	MessageTodo     = 0
	MessageInSite   = 2
	MessageRead     = "READ_DONE"
	MessageUnread   = "READ_TODO"
	MaxMessagesPage = 200
)

// MessagesRequest is DescribeWorkflowMessages' body: WeDa OpenAPI [20] 查询消息列表.
type MessagesRequest struct {
	UserInfo        UserInfo `json:"UserInfo"`
	PageNo          int      `json:"PageNo"`
	PageSize        int      `json:"PageSize"` // at most MaxMessagesPage
	SearchTitleName string   `json:"SearchTitleName,omitempty"`
	MessageType     *int     `json:"MessageType,omitempty"` // 0 is a real type: nil means all
	Status          string   `json:"Status,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r MessagesRequest) MarshalJSON() ([]byte, error) {
	o := newObject(96)
	o.user("UserInfo", &r.UserInfo)
	o.int("PageNo", int64(r.PageNo), false)
	o.int("PageSize", int64(r.PageSize), false)
	o.str("SearchTitleName", r.SearchTitleName, true)
	if r.MessageType != nil {
		o.int("MessageType", int64(*r.MessageType), false)
	}
	o.str("Status", r.Status, true)
	return o.end()
}

// Message is a workbench message: WeDa OpenAPI [20] 查询消息列表.
type Message struct {
	MessageType     OptInt `json:"MessageType"`
	MainTitle       Text   `json:"MainTitle"`
	SubTitle        Text   `json:"SubTitle"`
	MessageText     Text   `json:"MessageText"`
	MessagePageLink Text   `json:"MessagePageLink"`
	MessageID       ID     `json:"MessageId"`
	Status          Text   `json:"Status"`
	CreateTime      Time   `json:"CreateTime"`
	UpdateTime      Time   `json:"UpdateTime"`
}

// Messages is DescribeWorkflowMessages' answer.
type Messages struct {
	TotalCount   Int       `json:"TotalCount"`
	ResponseList []Message `json:"ResponseList"`
}

// DescribeWorkflowMessages lists a user's messages: WeDa OpenAPI [20] 查询消息列表.
func (c *Client) DescribeWorkflowMessages(ctx context.Context, req *MessagesRequest) (*Messages, error) {
	return read[Messages](ctx, c, "DescribeWorkflowMessages", req)
}

// MessageCount counts a user's messages of one type: WeDa OpenAPI [21] 查询消息个数.
type MessageCount struct {
	MessageType  OptInt `json:"MessageType"`
	WaitingCount Int    `json:"WaitingCount"`
	FinishCount  Int    `json:"FinishCount"`
}

// DescribeWorkflowMessageCount counts a user's messages of a type: WeDa OpenAPI [21] 查询消息个数.
func (c *Client) DescribeWorkflowMessageCount(ctx context.Context, user UserInfo, messageType int) ([]MessageCount, error) {
	out, err := read[struct {
		Result []MessageCount `json:"Result"`
	}](ctx, c, "DescribeWorkflowMessageCount", struct {
		UserInfo    UserInfo `json:"UserInfo"`
		MessageType int      `json:"MessageType"`
	}{user, messageType})
	if err != nil {
		return nil, err
	}
	return out.Result, nil
}

// UpdateWorkflowMessageStatus marks messages read (MessageRead) or unread (MessageUnread):
// WeDa OpenAPI [22] 更新消息状态.
func (c *Client) UpdateWorkflowMessageStatus(ctx context.Context, user UserInfo, ids []ID, status string) error {
	return c.write(ctx, "UpdateWorkflowMessageStatus", struct {
		UserInfo      UserInfo `json:"UserInfo"`
		MessageIDList []ID     `json:"MessageIdList"`
		Status        string   `json:"Status"`
	}{user, ids, status})
}
