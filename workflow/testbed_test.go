package workflow

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// testbed is the domain layer over a sandbox of its own, with no HTTP server of the gateway: the
// service calls the sandbox through the real client, whose transport can inject faults.
type testbed struct {
	t      *testing.T
	sb     *sandbox.Server
	url    string
	faults *faults
	direct *upstream.Client // straight to the sandbox, to arrange state
}

func newTestbed(t *testing.T) *testbed {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	direct, err := upstream.New(upstream.Config{BaseURL: srv.URL,
		Tokens: upstream.NewClientCredentials(srv.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, nil)})
	require.NoError(t, err)
	return &testbed{t: t, sb: sb, url: srv.URL, faults: &faults{base: http.DefaultTransport}, direct: direct}
}

// service returns a Service (a replica) over store and notes, calling the sandbox through the
// testbed's faults.
func (w *testbed) service(store idempotency.Store, notes idempotency.Facts) *Service {
	if notes == nil {
		mem, err := idempotency.NewMemoryFacts(time.Hour, 1000)
		require.NoError(w.t, err)
		w.t.Cleanup(mem.Close)
		notes = mem
	}
	engine := live.New(live.Config{Interval: time.Hour}, live.Local(), nil)
	w.t.Cleanup(engine.Close)
	s, err := New(Options{Store: store, ChoiceOwners: notes, Live: engine})
	require.NoError(w.t, err)
	return s
}

func memoryStore(t *testing.T) *idempotency.Memory {
	m, err := idempotency.NewMemory(time.Hour, 1000)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// session is one gateway operation's session over a fresh client.
func (w *testbed) session() *session.Session {
	c, err := upstream.New(upstream.Config{BaseURL: w.url, Transport: w.faults, Timeout: 5 * time.Second,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond,
		Tokens: upstream.NewClientCredentials(w.url, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, nil)})
	require.NoError(w.t, err)
	return session.New(c, session.Config{}, nil, "")
}

// as is the domain for one operation of a on s: a request of its own.
func (w *testbed) as(s *Service, a Actor) *Request { return s.For(w.session(), a) }

func (w *testbed) actor(name string) Actor {
	id := w.sb.UserID(name)
	require.NotEmpty(w.t, id, name)
	return Actor{UserID: id, Source: upstream.SourceInternal, Operator: name == "administrator"}
}

func (w *testbed) info(name string) upstream.UserInfo { return w.actor(name).info() }

// start starts an instance of a flow as the named user, straight at the sandbox.
func (w *testbed) start(starter, processKey string) *upstream.StartFlowResult {
	ctx := context.Background()
	flows, err := w.direct.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
	require.NoError(w.t, err)
	for _, f := range flows.FlowSet {
		if f.ProcessKey == processKey {
			res, err := w.direct.StartFlow(ctx, &upstream.StartFlowRequest{ProcessKey: processKey, FlowCode: f.FlowCode,
				FlowVersion: string(f.Version), StartUser: w.info(starter)})
			require.NoError(w.t, err)
			return res
		}
	}
	w.t.Fatalf("no flow %s", processKey)
	return nil
}

// openTask is the named user's open task in an instance.
func (w *testbed) openTask(instanceID upstream.ID, name string) string {
	me := w.info(name)
	res, err := w.direct.GetFlowInstanceTasks(context.Background(), &upstream.InstanceTasksRequest{InstanceID: instanceID,
		TaskAssignee: &me, TaskStatus: upstream.TaskTodo})
	require.NoError(w.t, err)
	require.NotEmpty(w.t, res.Result, "%s has no open task in %s", name, instanceID)
	return string(res.Result[0].TaskID)
}

// approve approves the named user's open task, straight at the sandbox.
func (w *testbed) approve(instanceID upstream.ID, name string) string {
	task := w.openTask(instanceID, name)
	_, err := w.direct.CompleteTask(context.Background(), &upstream.CompleteTaskRequest{TaskID: upstream.ID(task),
		ButtonAction: upstream.ActionApprove, Approver: w.info(name)})
	require.NoError(w.t, err)
	return task
}

// faults is a transport that injects one fault into the first write to one endpoint, and can
// fail every read.
type faults struct {
	base http.RoundTripper

	mu        sync.Mutex
	endpoint  string
	fault     fault
	fired     bool
	failReads bool
}

type fault int

const (
	noFault          fault = iota
	timeoutAfter           // sent and carried out, the answer never came in time
	resetAfter             // sent and carried out, then the connection broke
	badJSONAfter           // carried out, answered 200 with a cut-off body
	emptyAfter             // carried out, answered 200 with nothing
	proxy502After          // carried out, a proxy answered with its own 502 page
	unavailable            // WeDa's InternalError, nothing carried out
	unauthorizedOnce       // a stale token: 401, nothing carried out; the client refreshes and resends
	effectCheckFails       // timeoutAfter, then the retry's reads fail
)

var faultNames = map[fault]string{timeoutAfter: "timeout after send", resetAfter: "reset after send",
	badJSONAfter: "HTTP 200 bad JSON", emptyAfter: "HTTP 200 empty", proxy502After: "502 page after send",
	unavailable: "5xx InternalError", unauthorizedOnce: "401 then OK", effectCheckFails: "effect check fails"}

func (f *faults) arm(endpoint string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endpoint, f.fault, f.fired, f.failReads = endpoint, ft, false, false
}

func (f *faults) setFailReads(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReads = on
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

func (f *faults) RoundTrip(r *http.Request) (*http.Response, error) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	f.mu.Lock()
	ft := noFault
	if name == f.endpoint && !f.fired {
		ft, f.fired = f.fault, true
	}
	failRead := f.failReads && name != f.endpoint && name != "clientCredential"
	f.mu.Unlock()
	envelope := func(status int, code string) *http.Response {
		body := `{"Response":{"RequestId":"fault","Error":{"Code":"` + code + `","Message":"injected"}}}`
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}
	}
	switch {
	case failRead:
		return envelope(http.StatusServiceUnavailable, "InternalError"), nil
	case ft == unavailable:
		return envelope(http.StatusServiceUnavailable, "InternalError"), nil
	case ft == unauthorizedOnce:
		return envelope(http.StatusUnauthorized, "ACCESS_TOKEN_EXPIRED"), nil
	case ft == noFault:
		return f.base.RoundTrip(r)
	}
	resp, err := f.base.RoundTrip(r) // the write reaches WeDa and is carried out
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	replace := func(status int, body string) *http.Response {
		resp.StatusCode, resp.Body = status, io.NopCloser(bytes.NewReader([]byte(body)))
		resp.ContentLength = int64(len(body))
		return resp
	}
	switch ft {
	case timeoutAfter, effectCheckFails:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
	case resetAfter:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case badJSONAfter:
		return replace(http.StatusOK, `{"Response":{"RequestId":"r","Data":{"Res`), nil
	case emptyAfter:
		return replace(http.StatusOK, ``), nil
	case proxy502After:
		return replace(http.StatusBadGateway, `<html>502 Bad Gateway</html>`), nil
	}
	return nil, errors.New("unknown fault")
}
