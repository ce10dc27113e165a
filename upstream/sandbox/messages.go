package sandbox

import "strings"

// The messages area: WeDa OpenAPI [20] 查询消息列表, [21] 查询消息个数 and [22] 更新消息状态.

// maxMessagesPage is the largest page of messages: [20] 查询消息列表.
const maxMessagesPage = 200

// messageLink is the workbench page a message points at, "" for none.
func messageLink(e *engine, m *message) string {
	if m.TaskID == "" {
		return ""
	}
	return e.linkBase + "?envType=prod&flowTaskId=" + m.TaskID + "&pageType=" + m.PageType
}

func describeWorkflowMessages(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo        *userInfo
		PageNo          *int
		PageSize        *int
		SearchTitleName string
		MessageType     *int
		Status          string
	}
	u, err := e.decodeWithUser(body, &req, &req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.PageNo == nil {
		return nil, missing("PageNo")
	}
	if req.PageSize == nil {
		return nil, missing("PageSize")
	}
	number, size, err := paging(req.PageNo, req.PageSize, "PageNo", "PageSize", maxMessagesPage)
	if err != nil {
		return nil, err
	}
	if req.MessageType != nil && *req.MessageType != msgTodo && *req.MessageType != msgInSite {
		return nil, invalid("MessageType", *req.MessageType)
	}
	if err := oneOf("Status", req.Status, msgRead, msgUnread); err != nil {
		return nil, err
	}
	var rows []*message
	for i := len(e.msgs) - 1; i >= 0; i-- { // newest first
		m := e.msgs[i]
		if m.UserID != u.ID || req.MessageType != nil && *req.MessageType != m.Type ||
			req.Status != "" && req.Status != m.Status ||
			req.SearchTitleName != "" && !strings.Contains(m.Main+m.Sub, req.SearchTitleName) {
			continue
		}
		rows = append(rows, m)
	}
	list := []map[string]any{}
	for _, m := range pageOf(rows, number, size) {
		list = append(list, map[string]any{"MessageType": m.Type, "MainTitle": m.Main, "SubTitle": m.Sub,
			"MessageText": m.Text, "MessagePageLink": messageLink(e, m), "MessageId": m.ID, "Status": m.Status,
			"CreateTime": dateString(m.Created), "UpdateTime": dateString(m.Updated)})
	}
	return map[string]any{"TotalCount": len(rows), "ResponseList": list}, nil
}

func describeWorkflowMessageCount(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo    *userInfo
		MessageType *int
	}
	u, err := e.decodeWithUser(body, &req, &req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.MessageType == nil {
		return nil, missing("MessageType")
	}
	if *req.MessageType != msgTodo && *req.MessageType != msgInSite {
		return nil, invalid("MessageType", *req.MessageType)
	}
	waiting, finished := 0, 0
	for _, m := range e.msgs {
		if m.UserID == u.ID && m.Type == *req.MessageType {
			if m.Status == msgRead {
				finished++
			} else {
				waiting++
			}
		}
	}
	return map[string]any{"Result": []map[string]any{{"MessageType": *req.MessageType, "WaitingCount": waiting, "FinishCount": finished}}}, nil
}

func updateWorkflowMessageStatus(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo      *userInfo
		MessageIDList []sid `json:"MessageIdList"`
		Status        string
	}
	u, err := e.decodeWithUser(body, &req, &req.UserInfo)
	if err != nil {
		return nil, err
	}
	if len(req.MessageIDList) == 0 {
		return nil, missing("MessageIdList")
	}
	if req.Status == "" {
		return nil, missing("Status")
	}
	if err := oneOf("Status", req.Status, msgRead, msgUnread); err != nil {
		return nil, err
	}
	if err := e.markMessages(u, sids(req.MessageIDList), req.Status); err != nil {
		return nil, err
	}
	return result(true), nil
}

// markMessages sets the status of the user's messages with those ids: all of them, or none if
// one is not the user's.
func (e *engine) markMessages(u *user, ids []string, status string) *apiError {
	var ms []*message
	for _, id := range ids {
		m := e.msgByID[id]
		if m == nil || m.UserID != u.ID {
			return notFound("message", id)
		}
		ms = append(ms, m)
	}
	for _, m := range ms {
		m.Status, m.Updated = status, e.now()
	}
	return nil
}
