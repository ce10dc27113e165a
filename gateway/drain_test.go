package gateway_test

import (
	"context"
	"fmt"
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
