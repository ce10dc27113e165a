package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A write answered without WeDa's verdict may have been carried out: its outcome is unknown,
// whatever the status line said. A verdict (an error code) or a refusal before processing is not.
func TestWriteOutcomeByAnswer(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		unknown bool
		message string
	}{
		{"200 empty", answer(200, ""), true, "unreadable"},
		{"200 not JSON", answer(200, "<html>ok</html>"), true, "unreadable"},
		{"200 cut-off JSON", answer(200, `{"Response":{"RequestId":"r1","Data":{"Result":tr`), true, "unreadable"},
		{"200 wrong shape", answer(200, `{"Response":{"RequestId":"r1","Data":{"Result":{"x":1}}}}`), true, "documented shape"},
		{"200 body shorter than its length", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "400")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"Response":{"RequestId":"r1",`)
		}, true, "cut off"},
		{"502 from a proxy", answer(502, "<html>Bad Gateway</html>"), true, "HTTP 502"},
		{"500 with WeDa's verdict", answer(500, `{"Response":{"RequestId":"r1","Error":{"Code":"InternalError","Message":"x"}}}`), false, "InternalError"},
		{"429", answer(429, ""), false, "HTTP 429"},
		{"refused", answer(200, `{"Response":{"RequestId":"r1","Error":{"Code":"FailedOperation","Message":"no"}}}`), false, "FailedOperation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.handle("StopFlow", tc.handler)
			c := testClient(t, f)
			err := c.StopFlow(context.Background(), &StopFlowRequest{InstanceID: "1"})
			var ue *Error
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tc.unknown, ue.OutcomeUnknown, "%v", err)
			assert.Contains(t, ue.Error(), tc.message)
			assert.NotContains(t, ue.Message, "could not reach", "an answer arrived: the upstream was reached")
			assert.Len(t, f.calls("StopFlow"), 1, "a write is never sent twice")
		})
	}
}

func TestOversizedWriteAnswerIsOutcomeUnknown(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("StopFlow", answer(200, `{"Response":{"Data":{"Result":true},"Pad":"`+strings.Repeat("x", 2048)+`"}}`))
	c := testClient(t, f, func(c *Config) { c.MaxResponseBytes = 1024 })
	err := c.StopFlow(context.Background(), &StopFlowRequest{InstanceID: "1"})
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindBadResponse, ue.Kind)
	assert.True(t, ue.OutcomeUnknown)
}

// A connection that breaks once the write went out is not "no answer in time".
func TestResetAfterSendingNamesItsCause(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("StopFlow", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			_ = conn.Close()
		}
	})
	c := testClient(t, f)
	err := c.StopFlow(context.Background(), &StopFlowRequest{InstanceID: "1"})
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.OutcomeUnknown)
	assert.Equal(t, KindUnavailable, ue.Kind)
	assert.Contains(t, ue.Message, "after the request was sent")
	assert.NotContains(t, ue.Message, "in time")
}

// Only the write's own request marks it sent: a token fetched first, then a write that never
// leaves the machine, is a plain failure that a retry may repeat.
func TestTokenFetchDoesNotMarkAWriteSent(t *testing.T) {
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"token_type":"Bearer","access_token":"t","expires_in":3600}`)
	}))
	t.Cleanup(tokens.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	c, err := New(Config{BaseURL: url, Tokens: NewClientCredentials(tokens.URL, "id", "key", tokens.Client())})
	require.NoError(t, err)
	err = c.StopFlow(context.Background(), &StopFlowRequest{InstanceID: "1"})
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.False(t, ue.OutcomeUnknown, "the write never left: %v", err)
	assert.Contains(t, ue.Message, "could not reach")
}

func TestResultFalseKeepsWeDasRequestID(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("PressTask", answer(200, `{"Response":{"RequestId":"weda-req-9","Data":{"Result":false}}}`))
	err := testClient(t, f).PressTask(context.Background(), "1")
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindFailedOperation, ue.Kind)
	assert.Equal(t, "weda-req-9", ue.RequestID)
}

func TestUserSourceReadFromEitherField(t *testing.T) {
	for body, want := range map[string]int64{`{"_id":"1","type":3}`: 3, `{"_id":"1","source":4}`: 4, `{"_id":"1","type":4,"source":3}`: 4} {
		f := newFakeUpstream(t)
		f.handle("sys_user", answer(200, body))
		u, err := testClient(t, f).GetUser(context.Background(), "1")
		require.NoError(t, err)
		assert.Equal(t, Some(want), u.SourceCode(), body)
	}
}
