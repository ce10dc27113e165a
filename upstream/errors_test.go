package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorPaths(t *testing.T) {
	cases := []struct {
		name       string
		endpoint   string // fake handler
		handler    http.HandlerFunc
		call       func(*Client) error
		wantKind   Kind
		wantIs     error
		wantCode   string
		wantStatus int
		wantReqID  string
		inMessage  string
	}{
		{name: "error code with HTTP 200", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"req-404","Error":{"Code":"ResourceNotFound","Message":"instance not found"}}}`),
			wantKind: KindNotFound, wantIs: ErrNotFound, wantCode: "ResourceNotFound", wantStatus: 200, wantReqID: "req-404"},
		{name: "invalid parameter", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"r2","Error":{"Code":"InvalidParameterValue.Status","Message":"bad status"}}}`),
			wantKind: KindInvalidInput, wantIs: ErrInvalidInput, wantCode: "InvalidParameterValue.Status", wantReqID: "r2"},
		{name: "failed operation", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"r3","Error":{"Code":"FailedOperation","Message":"task finished"}}}`),
			wantKind: KindFailedOperation, wantIs: ErrFailedOperation, wantCode: "FailedOperation"},
		{name: "odata flat error", endpoint: "sys_user",
			handler: answer(400, `{"code":"INVALID_PARAM","message":"bad $filter","requestId":"od-1"}`),
			call: func(c *Client) error {
				_, err := c.ListUsers(context.Background(), UserQuery{Filter: "(("})
				return err
			},
			wantKind: KindInvalidInput, wantCode: "INVALID_PARAM", wantStatus: 400, wantReqID: "od-1", inMessage: "bad $filter"},
		{name: "html from a proxy", endpoint: "GetFlowInstances",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(200)
				_, _ = w.Write([]byte("<html><body>gateway says hi</body></html>"))
			},
			wantKind: KindBadResponse, wantIs: ErrBadResponse, wantStatus: 200, inMessage: "HTTP 200"},
		{name: "truncated body", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"x","Data":{"Result":[{"InstanceId":"1"`),
			wantKind: KindBadResponse, inMessage: "HTTP 200"},
		{name: "trailing comma like the vendor examples", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"x","Data":{"Result":[],"TotalCount":0,}}}`),
			wantKind: KindBadResponse},
		{name: "wrong shape", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"shape","Data":{"Result":"not a list"}}}`),
			wantKind: KindBadResponse, wantReqID: "shape", inMessage: "documented shape"},
		{name: "too large", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"Data":{"Result":[],"Padding":"`+strings.Repeat("x", 2048)+`"}}}`),
			wantKind: KindBadResponse, inMessage: "larger than"},
		{name: "502 html", endpoint: "GetFlowInstances",
			handler:  answer(502, `<html>Bad Gateway</html>`),
			wantKind: KindUnavailable, wantIs: ErrUnavailable, wantStatus: 502},
		{name: "401 twice", endpoint: "GetFlowInstances",
			handler:  answer(401, `{"code":"INVALID_ACCESS_TOKEN","message":"token invalid"}`),
			wantKind: KindAuth, wantIs: ErrAuth, wantCode: "INVALID_ACCESS_TOKEN", wantStatus: 401},
		{name: "rate limited", endpoint: "GetFlowInstances",
			handler:  answer(200, `{"Response":{"RequestId":"rl","Error":{"Code":"RequestLimitExceeded","Message":"slow down"}}}`),
			wantKind: KindRateLimited, wantIs: ErrRateLimited},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.handle(tc.endpoint, tc.handler)
			c := testClient(t, f, func(c *Config) { c.MaxResponseBytes = 1024 })
			call := tc.call
			if call == nil {
				call = func(c *Client) error {
					_, err := c.GetFlowInstances(context.Background(), &FlowInstancesRequest{})
					return err
				}
			}
			err := call(c)
			var ue *Error
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tc.wantKind, ue.Kind, ue.Error())
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
			if tc.wantCode != "" {
				assert.Equal(t, tc.wantCode, ue.Code)
			}
			if tc.wantStatus != 0 {
				assert.Equal(t, tc.wantStatus, ue.HTTPStatus)
			}
			if tc.wantReqID != "" {
				assert.Equal(t, tc.wantReqID, ue.RequestID)
			} else {
				assert.NotEmpty(t, ue.RequestID, "falls back to the X-Request-Id sent")
			}
			if tc.inMessage != "" {
				assert.Contains(t, ue.Error(), tc.inMessage)
			}
			assert.NotContains(t, ue.Error(), "test-token")
		})
	}
}

func TestTimeoutIsTyped(t *testing.T) {
	f := newFakeUpstream(t)
	f.hang(t, "GetFlowInstances")
	c := testClient(t, f, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxReadAttempts = 2 })
	_, err := c.GetFlowInstances(context.Background(), &FlowInstancesRequest{})
	require.ErrorIs(t, err, ErrTimeout)
	assert.Len(t, f.calls("GetFlowInstances"), 2, "a read is retried after a timeout")
}

func TestWriteTimeoutAfterSendingIsOutcomeUnknownAndNotRetried(t *testing.T) {
	f := newFakeUpstream(t)
	f.hang(t, "StartFlow")
	c := testClient(t, f, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err := c.StartFlow(context.Background(), &StartFlowRequest{ProcessKey: "p"})
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindTimeout, ue.Kind)
	assert.True(t, ue.OutcomeUnknown, "the request was written: it may have taken effect")
	assert.Contains(t, ue.Error(), "outcome is unknown")
	assert.Len(t, f.calls("StartFlow"), 1)
}

func TestUnreachableIsUnavailable(t *testing.T) {
	f := newFakeUpstream(t)
	url := f.URL
	f.Close()
	c, err := New(Config{BaseURL: url, MaxReadAttempts: 2, RetryBaseDelay: time.Millisecond})
	require.NoError(t, err)
	_, err = c.ListDeployedFlows(context.Background(), FlowTypeApproval)
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindUnavailable, ue.Kind)
	assert.False(t, ue.OutcomeUnknown)
}

func TestRetries(t *testing.T) {
	t.Run("a read is retried after 5xx and succeeds", func(t *testing.T) {
		f := newFakeUpstream(t)
		var n atomic.Int32
		f.handle("GetFlowInstances", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) < 3 {
				answer(503, "busy")(w, r)
				return
			}
			answer(200, `{"Response":{"Data":{"Result":[],"TotalCount":0}}}`)(w, r)
		})
		_, err := testClient(t, f).GetFlowInstances(context.Background(), &FlowInstancesRequest{})
		require.NoError(t, err)
		calls := f.calls("GetFlowInstances")
		require.Len(t, calls, 3)
		assert.Equal(t, calls[0].RequestID, calls[2].RequestID, "one logical call keeps its request id")
	})
	t.Run("a read gives up after MaxReadAttempts", func(t *testing.T) {
		f := newFakeUpstream(t)
		f.handle("GetFlowInstances", answer(500, `{"Response":{"RequestId":"ie","Error":{"Code":"InternalError","Message":"boom"}}}`))
		_, err := testClient(t, f, func(c *Config) { c.MaxReadAttempts = 4 }).GetFlowInstances(context.Background(), &FlowInstancesRequest{})
		require.ErrorIs(t, err, ErrUnavailable)
		assert.Len(t, f.calls("GetFlowInstances"), 4)
	})
	t.Run("a write is never retried", func(t *testing.T) {
		for _, write := range []func(*Client) error{
			func(c *Client) error {
				_, err := c.StartFlow(context.Background(), &StartFlowRequest{ProcessKey: "p"})
				return err
			},
			func(c *Client) error { return c.PressTask(context.Background(), "1") },
		} {
			f := newFakeUpstream(t)
			f.handle("StartFlow", answer(503, "busy"))
			f.handle("PressTask", answer(429, "slow"))
			require.Error(t, write(testClient(t, f)))
			assert.Len(t, append(f.calls("StartFlow"), f.calls("PressTask")...), 1)
		}
	})
	t.Run("Retry-After is honoured", func(t *testing.T) {
		f := newFakeUpstream(t)
		var mu sync.Mutex
		var first time.Time
		var gap time.Duration
		f.handle("GetFlowInstances", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if first.IsZero() {
				first = time.Now()
				w.Header().Set("Retry-After", "1")
				answer(429, `{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"later"}}}`)(w, r)
				return
			}
			gap = time.Since(first)
			answer(200, `{"Response":{"Data":{"Result":[]}}}`)(w, r)
		})
		c := testClient(t, f, func(c *Config) { c.RetryMaxDelay = 2 * time.Second })
		_, err := c.GetFlowInstances(context.Background(), &FlowInstancesRequest{})
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		assert.GreaterOrEqual(t, gap, 900*time.Millisecond)
	})
	t.Run("a Retry-After beyond the cap is not waited for", func(t *testing.T) {
		f := newFakeUpstream(t)
		f.handle("GetFlowInstances", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			answer(429, "")(w, r)
		})
		start := time.Now()
		_, err := testClient(t, f).GetFlowInstances(context.Background(), &FlowInstancesRequest{})
		require.ErrorIs(t, err, ErrRateLimited)
		assert.Less(t, time.Since(start), 30*time.Second, "an hour's Retry-After is not waited for, on however busy a machine")
		assert.Len(t, f.calls("GetFlowInstances"), 1)
	})
	t.Run("cancellation stops retries", func(t *testing.T) {
		f := newFakeUpstream(t)
		ctx, cancel := context.WithCancel(context.Background())
		f.handle("GetFlowInstances", func(w http.ResponseWriter, r *http.Request) {
			cancel()
			answer(503, "busy")(w, r)
		})
		c := testClient(t, f, func(c *Config) { c.MaxReadAttempts = 5; c.RetryBaseDelay = 200 * time.Millisecond })
		_, err := c.GetFlowInstances(ctx, &FlowInstancesRequest{})
		require.Error(t, err)
		assert.Len(t, f.calls("GetFlowInstances"), 1)
	})
	t.Run("caller cancellation is reported as such", func(t *testing.T) {
		f := newFakeUpstream(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := testClient(t, f).GetFlowInstances(ctx, &FlowInstancesRequest{})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestEnvTypeOverride(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("PressTask", answer(200, `{"Response":{"Data":{"Result":true}}}`))
	c := testClient(t, f, func(c *Config) { c.EnvType = EnvPre })
	require.NoError(t, c.PressTask(context.Background(), "1"))
	require.NoError(t, c.PressTask(WithEnvType(context.Background(), EnvProd), "1"))
	calls := f.calls("PressTask")
	assert.Equal(t, "/weda/workflow/v1/pre/PressTask", calls[0].Path)
	assert.Equal(t, "/weda/workflow/v1/prod/PressTask", calls[1].Path)
}

func TestErrorStringNamesEverything(t *testing.T) {
	e := &Error{Endpoint: "CompleteTask", HTTPStatus: 200, Code: "FailedOperation", Message: "task done", RequestID: "abc", Kind: KindFailedOperation}
	assert.Equal(t, "weda CompleteTask: failed operation (HTTP 200): FailedOperation: task done [request abc]", e.Error())
	assert.True(t, errors.Is(e, ErrFailedOperation))
	assert.False(t, errors.Is(e, ErrNotFound))
}
