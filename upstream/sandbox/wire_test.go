package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// rawEnv talks to the sandbox with plain HTTP, to see exactly what is on the wire.
type rawEnv struct {
	sb    *sandbox.Server
	url   string
	token string
}

func newRaw(t *testing.T) *rawEnv {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	r := &rawEnv{sb: sb, url: srv.URL}
	status, body := r.do(t, http.MethodPost, "/auth/v1/token/clientCredential", `{"grant_type":"client_credentials"}`,
		map[string]string{"Authorization": sandbox.BasicAuth("sandbox", "sandbox")})
	require.Equal(t, 200, status, body)
	var tok struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 7200, tok.ExpiresIn)
	r.token = tok.AccessToken
	return r
}

func (r *rawEnv) do(t *testing.T, method, path, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (r *rawEnv) post(t *testing.T, endpoint, body string) (int, string) {
	return r.do(t, http.MethodPost, "/weda/workflow/v1/prod/"+endpoint, body,
		map[string]string{"Authorization": "Bearer " + r.token, "Content-Type": "application/json"})
}

func (r *rawEnv) userJSON(name string) string {
	return `{"UserId":"` + r.sb.UserID(name) + `","Type":4}`
}

func TestWireQuirks(t *testing.T) {
	r := newRaw(t)
	_, body := r.post(t, "ListProcessInstances", `{"UserInfo":`+r.userJSON("kongtest")+`,"PageType":"TODO","PageSize":1}`)
	var work struct {
		Response struct {
			RequestID string `json:"RequestId"`
			Data      struct {
				Records []map[string]json.RawMessage
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &work))
	assert.NotEmpty(t, work.Response.RequestID)
	rec := work.Response.Data.Records[0]
	assert.Regexp(t, `^\d{13}$`, string(rec["StartTime"]), "[12] times are epoch ms")
	assert.Equal(t, "0", string(rec["EndTime"]), "[12] writes 0 for not yet")
	assert.Equal(t, "null", string(rec["CurrentNodeType"]))
	for _, extra := range []string{"Buttons", "TaskWaitTime", "BeRead", "IsSupportBatchHandle"} {
		assert.Contains(t, rec, extra)
	}
	var taskID, instID string
	require.NoError(t, json.Unmarshal(rec["TaskId"], &taskID))
	require.NoError(t, json.Unmarshal(rec["InstanceId"], &instID))

	_, body = r.post(t, "DescribeProcessInstance", `{"FlowTaskId":"`+taskID+`","PageType":"TODO"}`)
	assert.Regexp(t, `"StartUserId":\d{19}[,}]`, body, "[9] writes the 19-digit id as a bare number")
	assert.Regexp(t, `"EndTime":null`, body)

	_, body = r.post(t, "GetFlowInstanceTasks", `{"InstanceId":`+instID+`}`) // an id as a JSON number is accepted
	assert.Regexp(t, `"TotalCount":"\d+"`, body, "[7] writes TotalCount as a string")
	assert.Regexp(t, `"StartTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0800"`, body)
	assert.Regexp(t, `"TaskAssignee":\{[^}]*"Source":4`, body, "[7] users say Source")

	_, body = r.post(t, "GetFlowInstances", `{"PageSize":50}`)
	assert.Regexp(t, `"StartTime":"[^"]+\+0800"`, body)
	assert.Regexp(t, `"EndTime":null`, body)
	assert.Regexp(t, `"TotalCount":\d+`, body)

	_, body = r.post(t, "GetFlowInstanceOperations", `{"InstanceId":"`+instID+`"}`)
	assert.Contains(t, body, `"Content":"{\"action\":1}"`, "[8] Content is JSON inside a string")
	assert.Contains(t, body, `"Result":"null"`)

	_, body = r.post(t, "GetProcessCanvasInfo", `{"InstanceId":"`+instID+`","FlowCode":"`+flowCodeOf(t, r, instID)+`"}`)
	assert.Contains(t, body, `"visited":true`)
	assert.Contains(t, body, `"Conf":null`)
}

func flowCodeOf(t *testing.T, r *rawEnv, instID string) string {
	_, body := r.post(t, "GetFlowInstances", `{"PageSize":1000}`)
	var res struct {
		Response struct {
			Data struct{ Result []map[string]any }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	for _, row := range res.Response.Data.Result {
		if row["InstanceId"] == instID {
			return row["FlowCode"].(string)
		}
	}
	t.Fatalf("no instance %s", instID)
	return ""
}

func TestHandleContentHasTheVendorsInvalidJSON(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "expense_claim", "lihua")
	e.act(t, inst, "liuyang", upstream.ActionApprove, func(r *upstream.CompleteTaskRequest) { r.Comment = "@kongtest 请复核" })
	r := &rawEnv{sb: e.sb, url: e.url}
	tok, err := upstream.NewClientCredentials(e.url, "sandbox", "sandbox", nil).Token(context.Background())
	require.NoError(t, err)
	r.token = tok
	_, body := r.post(t, "GetFlowInstanceOperations", `{"InstanceId":"`+string(inst)+`"}`)
	assert.Regexp(t, `opinionUserMap\\":\{\d{19}:`, body, "bare numeric keys, as in the vendor's example")

	ops, err := e.c.GetFlowInstanceOperations(e.ctx, &upstream.InstanceOperationsRequest{InstanceID: inst})
	require.NoError(t, err)
	handle := ops.Result[1].Parsed
	assert.EqualValues(t, upstream.OpHandle, handle.Action.Value)
	assert.Equal(t, "@kongtest 请复核", handle.Comment)
	assert.Equal(t, map[string]string{e.sb.UserID("kongtest"): "@kongtest"}, handle.Mentions)
}

func TestWireErrors(t *testing.T) {
	r := newRaw(t)
	envelopeErr := regexp.MustCompile(`^\{"Response":\{"Error":\{"Code":"([^"]+)","Message":"[^"]+"\},"RequestId":"[^"]+"\}\}`)
	cases := []struct {
		name, endpoint, body string
		headers              map[string]string
		status               int
		code                 string
	}{
		{"no token", "PressTask", `{}`, map[string]string{}, 401, "INVALID_ACCESS_TOKEN"},
		{"bad token", "PressTask", `{}`, map[string]string{"Authorization": "Bearer forged"}, 401, "INVALID_ACCESS_TOKEN"},
		{"malformed JSON", "PressTask", `{"InstanceId":`, nil, 200, "InvalidParameter"},
		{"empty body", "PressTask", ``, nil, 200, "InvalidParameter"},
		{"missing parameter", "PressTask", `{}`, nil, 200, "MissingParameter"},
		{"bad enum", "CompleteTask", `{"TaskId":"` + firstTodo(t, r) + `","ButtonAction":9,"Approver":` + r.userJSON("kongtest") + `}`, nil, 200, "InvalidParameterValue"},
		{"unknown id", "PressTask", `{"InstanceId":"1234567890123456789"}`, nil, 200, "ResourceNotFound"},
		{"not the assignee", "CompleteTask", `{"TaskId":"` + firstTodo(t, r) + `","ButtonAction":2,"Approver":` + r.userJSON("sunli") + `}`, nil, 200, "FailedOperation"},
		{"wrong id type", "PressTask", `{"InstanceId":{"a":1}}`, nil, 200, "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := tc.headers
			if headers == nil {
				headers = map[string]string{"Authorization": "Bearer " + r.token}
			}
			status, body := r.do(t, http.MethodPost, "/weda/workflow/v1/prod/"+tc.endpoint, tc.body, headers)
			assert.Equal(t, tc.status, status, body)
			m := envelopeErr.FindStringSubmatch(body)
			require.NotNil(t, m, body)
			assert.Equal(t, tc.code, m[1])
		})
	}

	t.Run("expired token", func(t *testing.T) {
		r.sb.ExpireTokens()
		status, body := r.post(t, "PressTask", `{}`)
		assert.Equal(t, 401, status)
		assert.Contains(t, body, `"Code":"ACCESS_TOKEN_EXPIRED"`)
	})
	t.Run("wrong credentials", func(t *testing.T) {
		status, body := r.do(t, http.MethodPost, "/auth/v1/token/clientCredential", `{"grant_type":"client_credentials"}`,
			map[string]string{"Authorization": sandbox.BasicAuth("sandbox", "guess")})
		assert.Equal(t, 401, status)
		assert.Contains(t, body, `"code":"INVALID_CREDENTIALS"`)
	})
	t.Run("odata errors are flat", func(t *testing.T) {
		r2 := newRaw(t)
		auth := map[string]string{"Authorization": "Bearer " + r2.token}
		status, body := r2.do(t, http.MethodGet, "/weda/odata/v1/prod/sys_user", "", auth)
		assert.Equal(t, 400, status, "X-Request-Id is required")
		assert.Contains(t, body, `"code":"MissingParameter"`)
		auth["X-Request-Id"] = "rid-1"
		status, body = r2.do(t, http.MethodGet, "/weda/odata/v1/prod/sys_user('404')", "", auth)
		assert.Equal(t, 404, status)
		assert.JSONEq(t, `{"code":"ResourceNotFound","message":"no sys_user record 404","requestId":"rid-1"}`, body)
		status, body = r2.do(t, http.MethodGet, "/weda/odata/v1/prod/sys_user?$filter=name%20eq%20'administrator'&$count=true", "", auth)
		assert.Equal(t, 200, status)
		assert.Contains(t, body, `"@odata.count":1`)
		assert.Contains(t, body, `"@odata.context":"$metadata#sys_user"`)
		assert.Regexp(t, `"createdAt":\d{13}`, body)
	})
	t.Run("unknown endpoint and env", func(t *testing.T) {
		status, _ := r.post(t, "DeleteEverything", `{}`)
		assert.Equal(t, 404, status)
		status, _ = r.do(t, http.MethodPost, "/weda/workflow/v1/staging/PressTask", `{}`, map[string]string{"Authorization": "Bearer " + r.token})
		assert.Equal(t, 404, status)
	})
}

func firstTodo(t *testing.T, r *rawEnv) string {
	_, body := r.post(t, "ListProcessInstances", `{"UserInfo":`+r.userJSON("kongtest")+`,"PageType":"TODO","PageSize":1}`)
	m := regexp.MustCompile(`"TaskId":"(\d+)"`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return m[1]
}

func TestRefusalsLeaveStateAlone(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	before := e.tasks(t, inst, 0)
	task := e.todo(t, inst, "kongtest")
	_, err := e.c.CompleteTask(e.ctx, &upstream.CompleteTaskRequest{TaskID: task.TaskID, ButtonAction: upstream.ActionTransfer,
		Approver: e.user("kongtest"), TurnToUser: &upstream.UserInfo{UserID: "404", Type: 4}, Comment: "x"})
	requireCode(t, err, upstream.KindNotFound, "ResourceNotFound")
	_, err = e.c.CompleteTask(e.ctx, &upstream.CompleteTaskRequest{TaskID: task.TaskID, ButtonAction: upstream.ActionSubmit, Approver: e.user("kongtest")})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")
	assert.Equal(t, before, e.tasks(t, inst, 0))
}

func TestKnobs(t *testing.T) {
	t.Run("latency", func(t *testing.T) {
		e := newEnv(t)
		e.sb.SetLatency("", 30*time.Millisecond, 0)
		start := time.Now()
		_, err := e.c.ListDeployedFlows(e.ctx, upstream.FlowTypeApproval)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	})
	t.Run("failure rate and counters", func(t *testing.T) {
		e := newEnv(t)
		e.sb.SetFailureRate(1)
		_, err := e.c.ListDeployedFlows(e.ctx, upstream.FlowTypeApproval)
		require.ErrorIs(t, err, upstream.ErrUnavailable)
		assert.EqualValues(t, 3, e.sb.Calls("ListDeployedFlows"), "the client retried the read twice")
		err = e.c.PressTask(e.ctx, "1")
		require.ErrorIs(t, err, upstream.ErrUnavailable)
		assert.EqualValues(t, 1, e.sb.Calls("PressTask"), "never a write")
		assert.EqualValues(t, 1, e.sb.CallCounts()["token"])
		e.sb.SetFailureRate(0)
		_, err = e.c.ListDeployedFlows(e.ctx, upstream.FlowTypeApproval)
		require.NoError(t, err)
	})
	t.Run("reset restores the seed", func(t *testing.T) {
		e := newEnv(t)
		before, err := e.c.GetFlowInstances(e.ctx, &upstream.FlowInstancesRequest{})
		require.NoError(t, err)
		e.start(t, "leave_request", "lihua")
		e.sb.Reset()
		after, err := e.c.GetFlowInstances(e.ctx, &upstream.FlowInstancesRequest{})
		require.NoError(t, err, "a token from before the reset is refreshed once and the call retried")
		assert.Equal(t, before.TotalCount, after.TotalCount)
		assert.Equal(t, before.Result, after.Result, "deterministic from the seed")
	})
}
