package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// TestDrainReportsNotReadyWhileServing: after SIGTERM (ctx ends) /readyz answers 503 for
// SHUTDOWN_DELAY while requests are still served, then the listener closes.
func TestDrainReportsNotReadyWhileServing(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	cfg.ShutdownDelay, cfg.ShutdownTimeout = 3*time.Second, 5*time.Second
	gw, err := gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	status, _, _ := get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, status)

	stop()
	require.Eventually(t, func() bool {
		status, _, _ := get(t, base+"/readyz")
		return status == http.StatusServiceUnavailable
	}, 3*time.Second, 5*time.Millisecond, "not ready once draining")
	_, body, _ := get(t, base+"/readyz")
	assert.JSONEq(t, `{"status":"not ready","kind":"shutting_down"}`, body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ viewer { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Weda-User-Id", gw.Sandbox().UserID(sandbox.DemoUser))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "still serving during the delay")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, <-served)
	_, err = http.Get(base + "/healthz")
	assert.Error(t, err, "the listener closed after the delay")
}

// TestMetricsOnTheirOwnAddress: METRICS_ADDR serves /metrics; the public port does not.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(k string) string {
		return map[string]string{"METRICS_ADDR": "127.0.0.1:0", "SHUTDOWN_DELAY": "0s"}[k]
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
}
