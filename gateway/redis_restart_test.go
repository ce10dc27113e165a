package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/internal/redistest"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
	"github.com/wedagraph/gateway/workflow"
)

// heldWrite holds the first request to one endpoint until the test lets it go: the test acts
// "between claim and completion" while it waits, and the write then reaches the sandbox.
type heldWrite struct {
	base     http.RoundTripper
	endpoint string
	arrived  chan struct{}
	proceed  chan struct{}
}

func (h *heldWrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/"+h.endpoint) {
		select {
		case h.arrived <- struct{}{}: // the first one only: later ones find no receiver
			<-h.proceed
		default:
		}
	}
	return h.base.RoundTrip(r)
}

type answer struct {
	Data       json.RawMessage
	Errors     []gqlError
	Extensions struct{ Warnings []workflow.Warning }
}

func (a answer) warningCodes() []string {
	var codes []string
	for _, w := range a.Extensions.Warnings {
		codes = append(codes, w.Code)
	}
	return codes
}

// restartShape is one thing done to Redis around a keyed write and its retry.
type restartShape struct {
	name    string
	opts    redistest.Options
	during  func(*redistest.Server) // while the write is at WeDa: between claim and completion
	after   func(*redistest.Server) // between the answer and the retry
	covered bool                    // docs/mutations.md says exactly once holds
	// The warnings each answer carries (extensions.warnings codes).
	firstWarns, retryWarns []string
	events                 []workflow.Event // counted in weda_gateway_idempotency_events_total
}

func restartShapes() []restartShape {
	none := func(*redistest.Server) {}
	crash := func(s *redistest.Server) { s.Kill(); s.Restart() }
	restart := func(s *redistest.Server) { s.Stop(); s.Restart() }
	return []restartShape{
		{name: "restarted empty between claim and completion", during: crash, after: none, covered: true,
			events: []workflow.Event{workflow.EventClaimLost}},
		{name: "restarted with AOF between claim and completion", opts: redistest.Options{AOF: true}, during: restart, after: none, covered: true},
		{name: "restarted with AOF between completion and retry", opts: redistest.Options{AOF: true}, during: none, after: restart, covered: true},
		{name: "restarted with AOF both times", opts: redistest.Options{AOF: true}, during: restart, after: restart, covered: true},
		// Not covered: the record is gone, and nothing tells the retry it was ever there. The
		// retry's answer says the store forgot its keys.
		{name: "restarted empty between completion and retry", during: none, after: crash,
			retryWarns: []string{workflow.WarnKeysForgotten}, events: []workflow.Event{workflow.EventKeysForgotten}},
		// Not covered: Redis is down when the outcome is to be recorded. The first answer says so.
		{name: "down at completion, back empty before the retry", during: (*redistest.Server).Kill,
			after: (*redistest.Server).Restart, firstWarns: []string{workflow.WarnOutcomeNotRecorded},
			retryWarns: []string{workflow.WarnKeysForgotten},
			events:     []workflow.Event{workflow.EventOutcomeNotRecorded, workflow.EventKeysForgotten}},
	}
}

// TestExactlyOnceAcrossRedisRestarts: a keyed startFlow, Redis restarted (empty, or with its
// append-only file) between claim and completion or between completion and retry, then the
// retry. In every shape docs/mutations.md says is covered, one instance is started and the retry
// gets it; in the others, the answers say that the write may repeat.
func TestExactlyOnceAcrossRedisRestarts(t *testing.T) {
	for _, sh := range restartShapes() {
		t.Run(sh.name, func(t *testing.T) {
			srv := redistest.Run(t, sh.opts)
			sb := sandbox.New(sandbox.Options{})
			up := httptest.NewServer(sb)
			t.Cleanup(up.Close)
			held := &heldWrite{base: upstream.NewTransport(), endpoint: "StartFlow", arrived: make(chan struct{}),
				proceed: make(chan struct{})}
			gw, gsrv := serve(t, map[string]string{"WEDA_BASE_URL": up.URL, "WEDA_SECRET_ID": sandbox.DefaultSecretID,
				"WEDA_SECRET_KEY": sandbox.DefaultSecretKey, "ALLOW_DEV_USER_HEADER": "true", "REDIS_URL": srv.URL}, io.Discard,
				func(c *gateway.Config) { c.UpstreamTransport = held })
			headers := map[string]string{"X-Weda-User-Id": sb.UserID(sandbox.DemoUser), "Idempotency-Key": "restart-me"}

			firstDone := make(chan answer, 1)
			go func() { firstDone <- post(t, gsrv, headers, gqlBody(startWithKey, nil)) }()
			<-held.arrived
			sh.during(srv)
			close(held.proceed)
			first := <-firstDone
			sh.after(srv)
			retry := post(t, gsrv, headers, gqlBody(startWithKey, nil))

			firstID, retryID := startedID(t, gqlResponse{Data: first.Data, Errors: first.Errors}),
				startedID(t, gqlResponse{Data: retry.Data, Errors: retry.Errors})
			if sh.covered {
				assert.EqualValues(t, 1, sb.Calls("StartFlow"), "exactly one instance was started")
				assert.Equal(t, firstID, retryID, "the retry got the first result")
			} else {
				assert.EqualValues(t, 2, sb.Calls("StartFlow"), "not covered: the retry wrote again")
				assert.NotEqual(t, firstID, retryID)
			}
			assert.Equal(t, sh.firstWarns, first.warningCodes(), "the first answer's warnings")
			assert.Equal(t, sh.retryWarns, retry.warningCodes(), "the retry's warnings")
			for _, w := range append(first.Extensions.Warnings, retry.Extensions.Warnings...) {
				assert.Contains(t, w.Message, "idempotency")
			}
			metrics := metricsText(t, gw)
			for _, e := range sh.events {
				assert.Contains(t, metrics, `event="`+string(e)+`",mutation="startFlow"} 1`, "the loss is counted")
			}
		})
	}
}

// post sends a GraphQL request and decodes the whole answer, extensions included.
func post(t *testing.T, srv *httptest.Server, headers map[string]string, body []byte) answer {
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	var out answer
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Errorf("%v: %s", err, b)
	}
	return out
}

func metricsText(t *testing.T, gw *gateway.Gateway) string {
	rec := httptest.NewRecorder()
	gw.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}
