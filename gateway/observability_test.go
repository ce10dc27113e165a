package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

// requestLines returns the "request" log lines of logs, decoded.
func requestLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		if line["msg"] == "request" {
			out = append(out, line)
		}
	}
	return out
}

// lineFor is the request line of the one request whose path and operation are given.
func lineFor(t *testing.T, logs, path, operation string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range requestLines(t, logs) {
		if l["path"] == path && (operation == "" || l["operation"] == operation) {
			found = append(found, l)
		}
	}
	require.Len(t, found, 1, "one request line for %s %s in\n%s", path, operation, logs)
	return found[0]
}

// TestRequestLinesCarryErrorCodes: an operation refused by the policy answers HTTP 200, and its
// log line names the code it answered; so do refusals before GraphQL runs (the edge) and
// documents refused by validation. A clean request's line has no codes.
func TestRequestLinesCarryErrorCodes(t *testing.T) {
	h := newHarness(t)
	sunli := h.userID("sunli")
	res := h.query(sunli, `query Everyone { users { totalCount } }`, nil)
	require.Equal(t, http.StatusOK, res.status)
	require.NotEmpty(t, res.Errors)
	require.Equal(t, "FORBIDDEN", res.Errors[0].Extensions["code"])
	line := lineFor(t, h.logs.String(), "/graphql", "Everyone")
	assert.EqualValues(t, 200, line["status"])
	assert.Equal(t, []any{"FORBIDDEN"}, line["error_codes"])

	status, _ := h.raw(map[string]string{"X-Weda-User-Id": sunli, gateway.EnvHeader: "pre"}, gqlBody(`query Pre { viewer { user { name } } }`, nil))
	require.Equal(t, http.StatusForbidden, status, "another environment, not allowed here")
	res = h.query(sunli, `query Typo { viewer { nickname } }`, nil)
	require.NotEmpty(t, res.Errors)
	h.ok(sunli, `query Me { viewer { user { name } } }`, nil, &struct{}{})

	lines := requestLines(t, h.logs.String())
	require.Len(t, lines, 4)
	assert.Equal(t, []any{"FORBIDDEN"}, lines[1]["error_codes"], "refused by the edge: %v", lines[1])
	assert.Equal(t, []any{"GRAPHQL_VALIDATION_FAILED"}, lines[2]["error_codes"], "refused by validation: %v", lines[2])
	assert.NotContains(t, lines[3], "error_codes")
}

// TestProbesLogAtDebug: load balancers' and Prometheus' calls are not logged at the default
// level, and are with LOG_LEVEL=debug.
func TestProbesLogAtDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			logs := &lockedWriter{w: &bytes.Buffer{}}
			cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
			require.NoError(t, err)
			gw, err := gateway.New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level})))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, gw.Close(context.Background())) })
			for _, path := range []string{"/healthz", "/readyz", "/graphiql/"} {
				rec := httptest.NewRecorder()
				gw.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			}
			logs.mu.Lock()
			out := logs.w.(*bytes.Buffer).String()
			logs.mu.Unlock()
			var paths []string
			for _, l := range requestLines(t, out) {
				paths = append(paths, fmt.Sprint(l["path"], " ", l["level"]))
			}
			if level == slog.LevelDebug {
				assert.Equal(t, []string{"/healthz DEBUG", "/readyz DEBUG", "/graphiql/ INFO"}, paths)
			} else {
				assert.Equal(t, []string{"/graphiql/ INFO"}, paths)
			}
		})
	}
}

func TestLogLevelSetting(t *testing.T) {
	for v, want := range map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "INFO": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError} {
		cfg, err := gateway.ConfigFromEnv(func(k string) string { return map[string]string{"LOG_LEVEL": v}[k] })
		require.NoError(t, err, v)
		assert.Equal(t, want, cfg.LogLevel, v)
	}
	_, err := gateway.ConfigFromEnv(func(k string) string {
		return map[string]string{"LOG_LEVEL": "loud", "PORT": "x"}[k]
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `LOG_LEVEL="loud"`)
	assert.Contains(t, err.Error(), "PORT", "reported with the other problems")
}

// scrapeGateway returns what the gateway serves on METRICS_ADDR.
func scrapeGateway(t *testing.T, gw *gateway.Gateway) string {
	t.Helper()
	rec := httptest.NewRecorder()
	gw.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

// TestOperationMetrics: operations are counted and timed by name ("anonymous" without one), with
// their outcome; a refused document counts as an error; the build, the reference cache and the
// idempotency keys have their metrics.
func TestOperationMetrics(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.Version, c.Commit = "1.2.3", "abc123" })
	for range 2 {
		h.ok(h.me, `query Counts { viewer { workItemCounts { todo } } }`, nil, &struct{}{})
	}
	h.ok(h.me, `{ viewer { user { name } } }`, nil, &struct{}{})
	require.NotEmpty(t, h.query(h.userID("sunli"), `query Everyone { users { totalCount } }`, nil).Errors)
	require.NotEmpty(t, h.query(h.me, `query Typo { viewer { nickname } }`, nil).Errors)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "purchase_order")
	press := gqlBody(`mutation Press($id: ID!) { pressInstance(input: { instanceId: $id }) { instance { id } } }`,
		map[string]any{"id": inst.ID})
	for range 2 {
		_, res := h.raw(map[string]string{"X-Weda-User-Id": lihua, "Idempotency-Key": "urge-once"}, press)
		require.Empty(t, res.Errors)
	}

	out := scrapeGateway(t, h.gw)
	for _, want := range []string{
		`weda_gateway_graphql_operations_total{operation="Counts",outcome="ok"} 2`,
		`weda_gateway_graphql_operations_total{operation="anonymous",outcome="ok"} 2`, // and h.start's mutation
		`weda_gateway_graphql_operations_total{operation="Everyone",outcome="error"} 1`,
		`weda_gateway_graphql_operations_total{operation="other",outcome="error"} 1`, // refused: its name is not known
		`weda_gateway_graphql_operations_total{operation="Press",outcome="ok"} 2`,
		`weda_gateway_graphql_operation_duration_seconds_count{operation="Counts"} 2`,
		`weda_gateway_build_info{commit="abc123",go="go`,
		`,version="1.2.3"} 1`,
		`weda_gateway_reference_cache_lookups_total{cache="flows",result="miss"} 1`,
		`weda_gateway_idempotency_events_total{event="replay",mutation="pressInstance"} 1`,
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, `operation="Typo"`)
}

// TestMetricsOnTheirOwnAddress: METRICS_ADDR serves /metrics, and Go's profiles when PPROF is
// on; the public port serves neither.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	for _, pprof := range []bool{false, true} {
		t.Run(fmt.Sprintf("PPROF=%t", pprof), func(t *testing.T) {
			cfg, err := gateway.ConfigFromEnv(func(k string) string {
				return map[string]string{"METRICS_ADDR": "127.0.0.1:0", "SHUTDOWN_DELAY": "0s", "PPROF": fmt.Sprint(pprof)}[k]
			})
			require.NoError(t, err)
			logs := &lockedWriter{w: &strings.Builder{}}
			gw, err := gateway.New(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
			require.NoError(t, err)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- gw.Serve(ctx, ln) }()
			defer func() {
				stop()
				require.NoError(t, <-served)
			}()
			var addr string
			require.Eventually(t, func() bool {
				logs.mu.Lock()
				defer logs.mu.Unlock()
				m := regexp.MustCompile(`"msg":"metrics","addr":"([^"]+)"`).FindStringSubmatch(logs.w.(*strings.Builder).String())
				if m != nil {
					addr = m[1]
				}
				return m != nil
			}, 10*time.Second, 5*time.Millisecond)
			status, body, _ := get(t, "http://"+addr+"/metrics")
			assert.Equal(t, http.StatusOK, status)
			assert.Contains(t, body, "go_goroutines")
			status, _, _ = get(t, "http://"+ln.Addr().String()+"/metrics")
			assert.Equal(t, http.StatusNotFound, status)

			status, body, _ = get(t, "http://"+addr+"/debug/pprof/heap?debug=1")
			if pprof {
				assert.Equal(t, http.StatusOK, status)
				assert.Contains(t, body, "heap profile")
			} else {
				assert.NotContains(t, body, "heap profile")
			}
			status, _, _ = get(t, "http://"+ln.Addr().String()+"/debug/pprof/heap?debug=1")
			assert.Equal(t, http.StatusNotFound, status, "never on the public port")
		})
	}
}

// PPROF without METRICS_ADDR has nowhere private to go: the start fails and says why.
func TestPprofNeedsTheAdminAddress(t *testing.T) {
	_, err := gateway.ConfigFromEnv(func(k string) string { return map[string]string{"PPROF": "true"}[k] })
	require.ErrorContains(t, err, "PPROF=true needs METRICS_ADDR")
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	h.query(h.me, `{ flows { name } }`, nil)
	h.query(asAdmin, `{ user(id: "1") { name } }`, nil)
	status, _, _ := get(t, h.srv.URL+"/metrics")
	assert.Equal(t, http.StatusNotFound, status, "never on the public port")
	metricsSrv := httptest.NewServer(h.gw.MetricsHandler()) // what Serve puts on METRICS_ADDR
	defer metricsSrv.Close()
	status, body, _ := get(t, metricsSrv.URL+"/metrics")
	require.Equal(t, 200, status)
	for _, want := range []string{
		`weda_gateway_http_requests_total{route="/graphql",status="200"} 2`,
		`weda_gateway_upstream_requests_total{endpoint="ListDeployedFlows",status="200"} 1`,
		`weda_gateway_upstream_requests_total{endpoint="token",status="200"} 1`,
		`weda_gateway_upstream_requests_total{endpoint="sys_user",status="200"} 1`,
		`weda_gateway_graphql_errors_total{code="NOT_FOUND"} 1`,
		`weda_gateway_upstream_request_duration_seconds_bucket{endpoint="ListDeployedFlows"`,
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, h.me, "no ids in labels")
}
