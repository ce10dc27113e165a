package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// countingTransport records every upstream request the gateway's client sends.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []string // "Endpoint body"
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if strings.HasPrefix(name, "sys_user") {
		name += "?" + r.URL.RawQuery
	}
	c.mu.Lock()
	c.sent = append(c.sent, name+" "+string(body))
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func (c *countingTransport) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = nil
}

// calls returns the workflow and OData calls sent (token fetches aside).
func (c *countingTransport) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.sent {
		if !strings.HasPrefix(s, "clientCredential") {
			out = append(out, s)
		}
	}
	return out
}

// harness is a gateway over its embedded sandbox, served by httptest.
type harness struct {
	t     testing.TB
	gw    *gateway.Gateway
	srv   *httptest.Server
	sb    *sandbox.Server
	up    *upstream.Client // straight to the sandbox, to arrange state
	calls *countingTransport
	logs  *bytes.Buffer
	logw  *lockedWriter // writes into logs
	me    string
}

// logText is the log so far, read under the writer's lock: for lines a handler still running
// (a WebSocket's) writes when it ends.
func (h *harness) logText() string {
	h.logw.mu.Lock()
	defer h.logw.mu.Unlock()
	return h.logs.String()
}

// newHarness points a gateway at a sandbox of the test's own, configured as a real WeDa would
// be (WEDA_BASE_URL and secrets), with the development header allowed.
func newHarness(t testing.TB, mutate ...func(*gateway.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, sandbox.Options{}, mutate...)
}

// newHarnessWith is newHarness over a sandbox with the given options (credentials, seed).
func newHarnessWith(t testing.TB, opts sandbox.Options, mutate ...func(*gateway.Config)) *harness {
	t.Helper()
	sb := sandbox.New(opts)
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	id, key := opts.SecretID, opts.SecretKey
	if id == "" && key == "" {
		id, key = sandbox.DefaultSecretID, sandbox.DefaultSecretKey
	}
	env := map[string]string{"WEDA_BASE_URL": up.URL, "WEDA_SECRET_ID": id,
		"WEDA_SECRET_KEY": key, "ALLOW_DEV_USER_HEADER": "true"}
	ct := &countingTransport{base: upstream.NewTransport()}
	logs := &bytes.Buffer{}
	logw := &lockedWriter{w: logs}
	gw, srv := serve(t, env, logw, append([]func(*gateway.Config){
		func(c *gateway.Config) { c.UpstreamTransport = ct }}, mutate...)...)
	client, err := upstream.New(upstream.Config{BaseURL: up.URL,
		Tokens: upstream.NewClientCredentials(up.URL, id, key, nil)})
	require.NoError(t, err)
	return &harness{t: t, gw: gw, srv: srv, sb: sb, up: client, calls: ct, logs: logs, logw: logw, me: sb.UserID(sandbox.DemoUser)}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
}

// asAdmin, passed as the user, queries as the sandbox's administrator with the admin role.
const asAdmin = "admin"

// query posts a GraphQL request as user (the dev header; "" for none, asAdmin for an operator).
func (h *harness) query(user, q string, vars map[string]any) gqlResponse {
	h.t.Helper()
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	require.NoError(h.t, err)
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	switch user {
	case "":
	case asAdmin:
		req.Header.Set("X-Weda-User-Id", h.userID("administrator"))
		req.Header.Set("X-Weda-Roles", "admin")
	default:
		req.Header.Set("X-Weda-User-Id", user)
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var out gqlResponse
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	require.NoError(h.t, json.Unmarshal(raw, &out), string(raw))
	out.status = resp.StatusCode
	return out
}

// ok runs a query that must succeed and decodes its data into v.
func (h *harness) ok(user, q string, vars map[string]any, v any) {
	h.t.Helper()
	res := h.query(user, q, vars)
	require.Empty(h.t, res.Errors, "errors: %+v", res.Errors)
	require.NoError(h.t, json.Unmarshal(res.Data, v), string(res.Data))
}

func (h *harness) userID(name string) string {
	id := h.sb.UserID(name)
	require.NotEmpty(h.t, id, name)
	return id
}

func (h *harness) user(name string) upstream.UserInfo {
	return upstream.UserInfo{UserID: upstream.ID(h.userID(name)), Type: upstream.SourceInternal}
}

// startLeave starts a leave request as starter straight at the sandbox.
func (h *harness) startLeave(starter string) string {
	h.t.Helper()
	ctx := context.Background()
	flows, err := h.up.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
	require.NoError(h.t, err)
	for _, f := range flows.FlowSet {
		if f.ProcessKey == "leave_request" {
			res, err := h.up.StartFlow(ctx, &upstream.StartFlowRequest{FlowCode: f.FlowCode, FlowVersion: string(f.Version),
				ProcessKey: f.ProcessKey, StartUser: h.user(starter), StartParams: map[string]any{"leave": map[string]any{"days": 3}}})
			require.NoError(h.t, err)
			return string(res.FlowInstanceID)
		}
	}
	h.t.Fatal("no leave_request flow")
	return ""
}

// todoTask returns user's open task on an instance, straight from the sandbox.
func (h *harness) todoTask(inst, name string) string {
	h.t.Helper()
	me := h.user(name)
	res, err := h.up.GetFlowInstanceTasks(context.Background(), &upstream.InstanceTasksRequest{InstanceID: upstream.ID(inst),
		TaskAssignee: &me, TaskStatus: upstream.TaskTodo})
	require.NoError(h.t, err)
	require.NotEmpty(h.t, res.Result, "%s has no open task on %s", name, inst)
	return string(res.Result[0].TaskID)
}

// newEmbedded is the gateway as `go run .` starts it: no WEDA_* set, its own sandbox inside.
func newEmbedded(t testing.TB, mutate ...func(*gateway.Config)) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	return serve(t, map[string]string{}, io.Discard, mutate...)
}

// serve builds a gateway from env (and mutate), logging to logs, and serves it until the test ends.
func serve(t testing.TB, env map[string]string, logs io.Writer, mutate ...func(*gateway.Config)) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	for _, m := range mutate {
		m(&cfg)
	}
	gw, err := gateway.New(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	require.NoError(t, err)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, gw.Close(context.Background()))
	})
	return gw, srv
}
