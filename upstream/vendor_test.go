package upstream

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vendor's own response examples decode to the exact typed values, through the real client
// methods over HTTP. testdata/vendor/NN.json is the example answer of WeDa OpenAPI [NN] as the
// vendor's page gives it (see doc.go), trailing commas mended.

func vendorClient(t *testing.T, endpoint, example string) (*Client, *fakeUpstream) {
	f := newFakeUpstream(t)
	f.handle(endpoint, answer(http.StatusOK, vendorExample(t, example)))
	return testClient(t, f), f
}

func TestVendorUsers(t *testing.T) {
	c, f := vendorClient(t, "sys_user", "01")
	list, err := c.ListUsers(context.Background(), UserQuery{Filter: "name eq 'administrator'", Top: 5, Count: true})
	require.NoError(t, err)
	require.Len(t, list.Value, 1)
	u := list.Value[0]
	assert.Equal(t, ID("1491618225351524354"), u.ID)
	assert.Equal(t, Text("administrator"), u.Name)
	assert.Equal(t, Text(""), u.NickName) // null
	assert.Equal(t, Some(0), u.Type)
	assert.Equal(t, Some(1), u.Source)
	assert.Equal(t, ms(1646924769165), u.CreatedAt.Time)
	assert.Equal(t, Text("超级管理员用户\n\n1234qwer#"), u.UserDesc)
	assert.False(t, list.Count.Valid)

	r := f.calls("sys_user")[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/weda/odata/v1/prod/sys_user", r.Path)
	assert.Contains(t, r.RawQuery, "%24filter=name+eq+%27administrator%27")
	assert.Contains(t, r.RawQuery, "%24top=5")
	assert.Contains(t, r.RawQuery, "%24count=true")
	assert.NotEmpty(t, r.RequestID, "the OData API requires X-Request-Id")
	assert.Equal(t, "Bearer test-token", r.Auth)
}

func TestVendorListDeployedFlowsEmptyData(t *testing.T) {
	c, f := vendorClient(t, "ListDeployedFlows", "02")
	flows, err := c.ListDeployedFlows(context.Background(), FlowTypeApproval)
	require.NoError(t, err)
	assert.Empty(t, flows.FlowSet)
	assert.JSONEq(t, `{"Type":2}`, f.calls("ListDeployedFlows")[0].Body)
	assert.Equal(t, "/weda/workflow/v1/prod/ListDeployedFlows", f.calls("ListDeployedFlows")[0].Path)
}

func TestVendorStartFlow(t *testing.T) {
	c, f := vendorClient(t, "StartFlow", "03")
	res, err := c.StartFlow(context.Background(), &StartFlowRequest{
		FlowCode: "1539815610601385986", FlowVersion: "8.0", ProcessKey: "flow_063",
		StartParams: map[string]any{"kt": map[string]any{"test": "1558049980829474819"}},
		StartUser:   UserInfo{UserID: "1538836331646423040", Type: SourceInternal},
	})
	require.NoError(t, err)
	assert.Equal(t, &StartFlowResult{FlowInstanceID: "1555098494600142849", TaskID: "1555098498219827202"}, res)
	assert.JSONEq(t, `{"FlowCode":"1539815610601385986","FlowVersion":"8.0","ProcessKey":"flow_063",
		"StartParams":{"kt":{"test":"1558049980829474819"}},
		"StartUser":{"Type":4,"UserId":"1538836331646423040"}}`, f.calls("StartFlow")[0].Body)
}

func TestVendorCompleteTask(t *testing.T) {
	c, f := vendorClient(t, "CompleteTask", "04")
	res, err := c.CompleteTask(context.Background(), &CompleteTaskRequest{
		TaskID: "1539896972964917249", ButtonAction: ActionApprove, Comment: "ookk",
		PageParams: map[string]VariableInfo{"approve": {Type: "object", Value: map[string]any{"test": "1"}}},
		Approver:   UserInfo{UserID: "1538836331646423040", Type: 4},
		CcUserIDs:  []ID{"1558049980829474819"},
	})
	require.NoError(t, err)
	assert.True(t, bool(res.ToBeSubmittedFlowTaskFlag))
	assert.Equal(t, []PendingTask{
		{Assignee: "1569601870691893251", AssigneeName: "test11223344", WaitFlowTaskID: "1575337230822875138"},
		{Assignee: "1564617649596395522", AssigneeName: "kathyzjxu", WaitFlowTaskID: "1575337230822875139"},
	}, res.ToBeSubmittedFlowTaskInfo)
	assert.JSONEq(t, `{"TaskId":"1539896972964917249","ButtonAction":2,
		"PageParams":{"approve":{"Type":"object","Value":{"test":"1"}}},"Comment":"ookk",
		"Approver":{"Type":4,"UserId":"1538836331646423040"},"CcUserIds":["1558049980829474819"]}`,
		f.calls("CompleteTask")[0].Body)
}

func TestVendorResultWrites(t *testing.T) {
	ctx := context.Background()
	user := UserInfo{UserID: "1558049980829474819", Type: 4}
	cases := []struct {
		endpoint, example, body string
		call                    func(*Client) error
	}{
		{"StopFlow", "05", `{"InstanceId":"1539815610601385986","DeleteReason":"nono","Operator":{"Type":4,"UserId":"1538836331646423040"}}`,
			func(c *Client) error {
				return c.StopFlow(ctx, &StopFlowRequest{InstanceID: "1539815610601385986", DeleteReason: "nono",
					Operator: UserInfo{UserID: "1538836331646423040", Type: 4}})
			}},
		{"SubmitFlowTaskList", "14", `{"FlowTaskIds":["1575337230827069442","1575337230827069444"]}`,
			func(c *Client) error {
				return c.SubmitFlowTaskList(ctx, []ID{"1575337230827069442", "1575337230827069444"})
			}},
		{"PressTask", "15", `{"InstanceId":"1580800040917700609"}`,
			func(c *Client) error { return c.PressTask(ctx, "1580800040917700609") }},
		{"Revoke", "16", `{"Revoker":{"UserId":"1558049980829474819","Type":4},"TaskId":"1580772187253673985","RevokerType":1,"RevokeType":1}`,
			func(c *Client) error {
				return c.Revoke(ctx, &RevokeRequest{TaskID: "1580772187253673985", Revoker: user, RevokerType: RevokeByApprover})
			}},
		{"AddCounterSignAssignee", "17", `{"Approver":{"UserId":"1558049980829474819","Type":4},"TaskId":"1580756089389092866","AssigneeIds":["1559148626461061122"]}`,
			func(c *Client) error {
				return c.AddCounterSignAssignee(ctx, &AddCounterSignRequest{TaskID: "1580756089389092866", Approver: user,
					AssigneeIDs: []ID{"1559148626461061122"}})
			}},
		{"RollBack", "19", `{"UserInfo":{"UserId":"1558049980829474819","Type":4},"TaskId":"1580763839900848130","TargetNodeId":"approvalNode1660217576658","TargetActTaskId":"1580763678239789057"}`,
			func(c *Client) error {
				return c.RollBack(ctx, &RollBackRequest{UserInfo: user, TaskID: "1580763839900848130",
					TargetNodeID: "approvalNode1660217576658", TargetActTaskID: "1580763678239789057"})
			}},
		{"UpdateWorkflowMessageStatus", "22", `{"UserInfo":{"UserId":"1558049980829474819","Type":4},"MessageIdList":["1580041268610727937"],"Status":"READ_DONE"}`,
			func(c *Client) error {
				return c.UpdateWorkflowMessageStatus(ctx, user, []ID{"1580041268610727937"}, MessageRead)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint, func(t *testing.T) {
			c, f := vendorClient(t, tc.endpoint, tc.example)
			require.NoError(t, tc.call(c))
			require.Len(t, f.calls(tc.endpoint), 1)
			assert.JSONEq(t, tc.body, f.calls(tc.endpoint)[0].Body)
		})
	}
}

func TestResultFalseIsARefusal(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("PressTask", answer(200, `{"Response":{"RequestId":"r1","Data":{"Result":false}}}`))
	err := testClient(t, f).PressTask(context.Background(), "1")
	require.ErrorIs(t, err, ErrFailedOperation)
}

func TestVendorGetFlowInstances(t *testing.T) {
	c, _ := vendorClient(t, "GetFlowInstances", "06")
	res, err := c.GetFlowInstances(context.Background(), &FlowInstancesRequest{FlowCode: "1554326000705142787"})
	require.NoError(t, err)
	assert.Equal(t, Int(4), res.TotalCount)
	require.Len(t, res.Result, 4)
	assert.Equal(t, FlowInstance{
		InstanceID: "1554350593668153346", Description: "kong页面预发测试复用", FlowCode: "1554326000705142787",
		FlowName: "kong页面预发测试复用", FlowVersion: "27.0", StartUserName: "administrator",
		StartTime: Time{Time: cst("2022-08-02T14:17:15.000+0800")}, EndTime: Time{Time: cst("2022-08-02T14:18:07.013+0800")},
		Status: Some(InstanceApproved),
	}, res.Result[0])
	assert.True(t, res.Result[1].EndTime.IsZero(), "null end time")
	assert.Equal(t, Some(InstanceInProgress), res.Result[3].Status)
}

func TestVendorGetFlowInstanceTasks(t *testing.T) {
	c, _ := vendorClient(t, "GetFlowInstanceTasks", "07")
	res, err := c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1554411407090827265"})
	require.NoError(t, err)
	assert.Equal(t, Int(2), res.TotalCount, `TotalCount arrives as "2"`)
	require.Len(t, res.Result, 2)
	assert.Equal(t, InstanceTask{
		InstanceID: "1554411407090827265", TaskID: "1554411407241822210", FlowName: "kong页面预发测试复用",
		FlowCode: "1554326000705142787", FlowStartUser: UserInfo{UserID: "1519239780903088129", Type: 4},
		ElementName: "审批节点", ElementID: "approvalNode1658740549804",
		TaskAssignee: UserInfo{UserID: "1519239780903088129", Type: 4},
		StartTime:    Time{Time: cst("2022-08-02T18:18:54.000+0800")}, EndTime: Time{Time: cst("2022-08-02T18:19:15.952+0800")},
		TaskStatus: Some(TaskDone), OperationResult: Some(1),
		PageTransitionURL: "https://lowcode-1yyyy0000000ffff-1000000001.tcloudbaseapp.com/adminportal/#/flowCenter/detail?envType=prod&flowTaskId=1554411407241822210&pageType=TODO",
	}, res.Result[0])
	assert.Equal(t, Some(TaskTodo), res.Result[1].TaskStatus)
	assert.True(t, res.Result[1].EndTime.IsZero())
}

func TestVendorGetFlowInstanceOperations(t *testing.T) {
	c, _ := vendorClient(t, "GetFlowInstanceOperations", "08")
	res, err := c.GetFlowInstanceOperations(context.Background(), &InstanceOperationsRequest{InstanceID: "1554430936495865858"})
	require.NoError(t, err)
	assert.Equal(t, Int(5), res.TotalCount)
	ops := res.Result
	require.Len(t, ops, 5)

	assert.Equal(t, ID("1519239780903088129"), ops[0].OperatorUser)
	assert.Equal(t, Time{Time: cst("2022-08-02T19:37:30.000+0800")}, ops[0].CreateTime)
	assert.Equal(t, Text("null"), ops[0].Result)
	assert.Equal(t, Some(OpSubmit), ops[0].Parsed.Action)
	assert.True(t, ops[0].Parsed.Valid)

	assert.Equal(t, Some(OpAddSign), ops[1].Parsed.Action)
	assert.Equal(t, []Person{{ID: "1526534489242292225", Name: "zhihhwang"}}, ops[1].Parsed.CounterSigners)

	// Not valid JSON (a bare numeric key): mended, never failed.
	assert.Equal(t, Some(OpHandle), ops[2].Parsed.Action)
	assert.Equal(t, "@test444 ", ops[2].Parsed.Comment)
	assert.Equal(t, map[string]string{"1554724262350057473": "@test444"}, ops[2].Parsed.Mentions)
	assert.Equal(t, Text("true"), ops[2].Result)
	assert.Contains(t, ops[2].Parsed.Raw, `opinionUserMap":{1554724262350057473:`)

	assert.Equal(t, Some(OpHandle), ops[3].Parsed.Action)
	assert.Empty(t, ops[3].Parsed.Comment)

	assert.Equal(t, Some(OpCarbonCopy), ops[4].Parsed.Action)
	require.Len(t, ops[4].Parsed.CcUserIDs, 16)
	assert.Equal(t, ID("1553998386666287107"), ops[4].Parsed.CcUserIDs[0])
	assert.Equal(t, ID("1519239780903088129"), ops[4].Parsed.CcUserIDs[15])
}

func TestVendorDescribeProcessInstance(t *testing.T) {
	c, f := vendorClient(t, "DescribeProcessInstance", "09")
	res, err := c.DescribeProcessInstance(context.Background(), &DescribeInstanceRequest{
		FlowTaskID: "1554350812862480385", PageType: PageCC, UserInfo: &UserInfo{UserID: "1519239780903088129", Type: 4}})
	require.NoError(t, err)
	assert.Equal(t, ID("1558049980829474819"), res.StartUserID, "a 19-digit JSON number, digit for digit")
	assert.Equal(t, ID("1592819459751174146"), res.InstanceID)
	assert.Equal(t, Text("kongtest提交的kongprod"), res.Name)
	assert.Equal(t, ms(1668592727000), res.StartTime.Time)
	assert.Equal(t, ms(1668592916200), res.EndTime.Time)
	assert.True(t, res.CcTime.IsZero())
	assert.Equal(t, ID(""), res.CcID)
	assert.Equal(t, Text("1558049980829474819"), res.CurrentApprover)
	assert.True(t, bool(res.IsCompleted))
	assert.Equal(t, Some(23), res.CurrentNodeType)
	assert.Equal(t, ID("1592819864610562049"), res.TaskID)
	assert.Equal(t, Text("16.0"), res.FlowVersion)
	assert.Equal(t, Some(InstanceApproved), res.Status)
	assert.Equal(t, Some(2), res.UserTaskType)
	assert.JSONEq(t, `{"FlowTaskId":"1554350812862480385","PageType":"CC","UserInfo":{"UserId":"1519239780903088129","Type":4}}`,
		f.calls("DescribeProcessInstance")[0].Body)
}

func TestVendorGetApprovalPageDetail(t *testing.T) {
	c, _ := vendorClient(t, "GetApprovalPageDetail", "10")
	done := true
	res, err := c.GetApprovalPageDetail(context.Background(), &ApprovalPageRequest{InstanceID: "1554350593668153346",
		FlowCode: "1554326000705142787", NodeID: "handleNode1658806779773", IsCompleted: &done, PageType: PageDone,
		TaskID: "1554350738698797074"})
	require.NoError(t, err)
	require.Len(t, res.VariableInfos.ObjectMap, 1)
	obj := res.VariableInfos.ObjectMap[0]
	assert.Equal(t, Text("kongtest_92tbnf0"), obj.EntityCode, "entityCode in lower camel case")
	assert.Equal(t, Text("handleNode1658740983395outputKey#165874102370210647"), obj.OutputKey)
	assert.Equal(t, JSONObject{"date": json.Number("1661875200000"), "test": "1", "num": "1"}, obj.FieldValueMap)
	assert.Empty(t, res.VariableInfos.ObjectListMap)
	assert.False(t, bool(res.ShowRevoke))
	assert.Equal(t, []OutputParam{{EntityCode: "kongtest_92tbnf0", Type: "object", VariableKey: "kt3"}}, res.OutEntityCodes)
}

func TestVariableInfosBothSpellings(t *testing.T) {
	var v VariableInfos
	require.NoError(t, json.Unmarshal([]byte(`{"ObejctListMap":[{"EntityCode":"a","OutputKey":"k","FieldValueMapList":[{"x":1}]}],
		"ObjectListMap":[{"entityCode":"b"}]}`), &v))
	require.Len(t, v.ObjectListMap, 2)
	assert.Equal(t, Text("b"), v.ObjectListMap[0].EntityCode)
	assert.Equal(t, Text("a"), v.ObjectListMap[1].EntityCode)
	assert.Equal(t, JSONObject{"x": json.Number("1")}, v.ObjectListMap[1].FieldValueMapList[0])
}

func TestVendorGetProcessCanvasInfo(t *testing.T) {
	c, _ := vendorClient(t, "GetProcessCanvasInfo", "11")
	res, err := c.GetProcessCanvasInfo(context.Background(), "1554350593668153346", "1554326000705142787")
	require.NoError(t, err)
	require.Len(t, res.Nodes, 5)
	require.Len(t, res.Edges, 4)
	n := res.Nodes[0]
	assert.Equal(t, Some(2), n.ID)
	assert.Equal(t, Text("approvalNode1658740549804"), n.ElementID)
	assert.Equal(t, Some(17), n.DataType)
	assert.True(t, bool(n.Visited))
	assert.Equal(t, []Processor{{Name: "administrator", Status: Some(1), OpTime: Time{Time: ms(1659421050000)}, NewProcessors: "true"}}, n.Conf)
	assert.Equal(t, Some(13), res.Nodes[1].Conf[0].Status, "status 13 is in no table, and kept")
	assert.Nil(t, res.Nodes[3].Conf)
	assert.Equal(t, CanvasEdge{Label: "提交申请", Type: Some(2), Source: "approvalNode1658740549804",
		Target: "handleNode1658740983395", Status: Some(2)}, res.Edges[2])
}

func TestVendorListProcessInstances(t *testing.T) {
	c, _ := vendorClient(t, "ListProcessInstances", "12")
	res, err := c.ListProcessInstances(context.Background(), &WorkItemsRequest{
		UserInfo: UserInfo{UserID: "1519239780903088129", Type: 4}, PageType: PageTodo, PageNumber: 1, PageSize: 10})
	require.NoError(t, err)
	assert.Equal(t, Int(35), res.TotalCount)
	assert.Equal(t, Int(4), res.Pages)
	assert.True(t, bool(res.FirstPage))
	assert.False(t, bool(res.LastPage))
	require.Len(t, res.Records, 2)
	r := res.Records[0]
	assert.Equal(t, ID("1554430936495865858"), r.InstanceID)
	assert.Equal(t, ms(1659440190000), r.StartTime.Time)
	assert.True(t, r.EndTime.IsZero(), "0 means not yet")
	assert.Equal(t, ID("1554431187151667201"), r.TaskID)
	assert.False(t, r.CurrentNodeType.Valid)
	assert.False(t, r.Status.Valid)
	assert.Equal(t, Some(60971032), r.TaskWaitTime)
	assert.Equal(t, ms(1659440250000), r.TaskStartTime.Time)
	assert.Equal(t, map[string]Text{"2": "处理"}, r.Buttons)
	assert.True(t, bool(r.BeRead))
	assert.Equal(t, Some(2), r.UserTaskType)
	assert.Equal(t, Text("处理节点"), r.CurrentNodeName)
}

func TestVendorListProcessInstancesCount(t *testing.T) {
	c, _ := vendorClient(t, "ListProcessInstancesCount", "13")
	res, err := c.ListProcessInstancesCount(context.Background(), UserInfo{UserID: "1519239780903088129", Type: 4}, "")
	require.NoError(t, err)
	assert.Equal(t, []BoxCount{{17, "DONE"}, {35, "TODO"}, {2, "DRAFT"}, {10, "CC"}, {51, "CREATE"}}, res)
}

func TestVendorGetPreElementList(t *testing.T) {
	c, _ := vendorClient(t, "GetPreElementList", "18")
	res, err := c.GetPreElementList(context.Background(), "1580763678206234626")
	require.NoError(t, err)
	assert.Equal(t, []RollbackTarget{
		{ElementID: "approvalNode1661763351191", ElementName: "审批节点1", ActTaskID: "1582268451725860868", ApproveType: Some(2), LastNode: true},
		{ElementID: "approvalNode1660217576658", ElementName: "审批节点", ActTaskID: "1582268388094210050", ApproveType: Some(1)},
	}, res)
}

func TestVendorDescribeWorkflowMessages(t *testing.T) {
	c, f := vendorClient(t, "DescribeWorkflowMessages", "20")
	todo := MessageTodo
	res, err := c.DescribeWorkflowMessages(context.Background(), &MessagesRequest{
		UserInfo: UserInfo{UserID: "1558049980829474819", Type: 4}, PageNo: 1, PageSize: 10, MessageType: &todo, Status: MessageRead})
	require.NoError(t, err)
	assert.Equal(t, Int(188), res.TotalCount)
	require.Len(t, res.ResponseList, 1)
	m := res.ResponseList[0]
	assert.Equal(t, ID("1582268587512393730"), m.MessageID)
	assert.Equal(t, Some(0), m.MessageType)
	assert.Equal(t, Text("READ_TODO"), m.Status)
	assert.Equal(t, Time{Time: cst("2022-10-18T15:13:23.000+0800")}, m.CreateTime)
	assert.Contains(t, string(m.MessagePageLink), "flowTaskId=1582268470990434306")
	assert.JSONEq(t, `{"UserInfo":{"UserId":"1558049980829474819","Type":4},"PageNo":1,"PageSize":10,"MessageType":0,"Status":"READ_DONE"}`,
		f.calls("DescribeWorkflowMessages")[0].Body, "MessageType 0 is sent, not dropped")
}

func TestVendorDescribeWorkflowMessageCount(t *testing.T) {
	c, _ := vendorClient(t, "DescribeWorkflowMessageCount", "21")
	res, err := c.DescribeWorkflowMessageCount(context.Background(), UserInfo{UserID: "1558049980829474819", Type: 4}, MessageTodo)
	require.NoError(t, err)
	assert.Equal(t, []MessageCount{{MessageType: Some(0), WaitingCount: 175, FinishCount: 13}}, res)
}

// BenchmarkDecodeListProcessInstances decodes the largest vendor example ([12]) from its
// envelope into typed records, as every workbench query does.
func BenchmarkDecodeListProcessInstances(b *testing.B) {
	raw := []byte(vendorExample(b, "12"))
	resp := &http.Response{StatusCode: 200, Header: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var out WorkItems
		if err := decodeWorkflow("ListProcessInstances", resp, raw, "", &out); err != nil {
			b.Fatal(err)
		}
	}
}
