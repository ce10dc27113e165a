package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallCountsOverHTTP(t *testing.T) {
	r := newRaw(t) // one token call
	r.post(t, "ListProcessInstancesCount", `{"UserInfo":`+r.userJSON("kongtest")+`}`)
	r.post(t, "ListProcessInstancesCount", `{"UserInfo":`+r.userJSON("kongtest")+`}`)
	status, body := r.do(t, http.MethodGet, "/_sandbox/calls", "", nil)
	require.Equal(t, http.StatusOK, status, body)
	var counts map[string]int64
	require.NoError(t, json.Unmarshal([]byte(body), &counts))
	assert.Equal(t, map[string]int64{"token": 1, "ListProcessInstancesCount": 2}, counts, "the sandbox's own paths are not counted")
}

func TestTraceRecordsTheRequestsItServed(t *testing.T) {
	r := newRaw(t)
	r.post(t, "ListDeployedFlows", `{"FlowType":1}`) // before the trace: not recorded
	status, _ := r.do(t, http.MethodPost, "/_sandbox/trace", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	// The second request is sent after the first's answer, which waits 30ms: it arrives at
	// least that much later, whatever the machine's speed.
	r.sb.SetLatency("ListProcessInstances", 30*time.Millisecond, 0)
	body := `{"UserInfo":` + r.userJSON("kongtest") + `,"PageType":"TODO","PageSize":20}`
	r.post(t, "ListProcessInstances", body)
	r.do(t, http.MethodGet, "/weda/odata/v1/prod/sys_user?$top=2", "",
		map[string]string{"Authorization": "Bearer " + r.token, "X-Request-Id": "x1"})

	status, out := r.do(t, http.MethodGet, "/_sandbox/trace", "", nil)
	require.Equal(t, http.StatusOK, status, out)
	var got []struct {
		Method, Path, Query, Body string
		At                        int64 `json:"at_us"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got, 2)
	assert.Equal(t, http.MethodPost, got[0].Method)
	assert.Equal(t, "/weda/workflow/v1/prod/ListProcessInstances", got[0].Path)
	assert.Equal(t, body, got[0].Body, "the exact bytes")
	assert.Equal(t, "/weda/odata/v1/prod/sys_user", got[1].Path)
	assert.Equal(t, "$top=2", got[1].Query)
	assert.GreaterOrEqual(t, got[0].At, int64(0))
	assert.GreaterOrEqual(t, got[1].At-got[0].At, int64(30_000), "arrivals in microseconds since the trace began")

	// Reading the trace ends it.
	r.post(t, "ListDeployedFlows", `{"FlowType":1}`)
	_, out = r.do(t, http.MethodGet, "/_sandbox/trace", "", nil)
	assert.JSONEq(t, `[]`, out)
	// The traced request was still served in full.
	assert.Equal(t, int64(1), r.sb.Calls("ListProcessInstances"))
}
