package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
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

func TestGracefulShutdownLetsInFlightRequestsFinish(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	cfg.ShutdownTimeout, cfg.ShutdownDelay = time.Minute, 0
	gate := newGate("ListDeployedFlows")
	gate.install(t)(&cfg)
	gw, err := gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()

	result := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(`{"query":"{ flows { name } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Weda-User-Id", gw.Sandbox().UserID(sandbox.DemoUser))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		result <- string(b)
	}()
	gate.waitArrived(t) // the request is in flight, its upstream call held
	stop()
	require.Eventually(t, func() bool { // the shutdown has begun: the listener is closed
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, time.Minute, 5*time.Millisecond)
	gate.release()
	select {
	case body := <-result:
		assert.Contains(t, body, `"flows":[`, "the in-flight request finished")
	case <-time.After(time.Minute): // a hang detector only
		t.Fatal("the in-flight request did not finish")
	}
	require.NoError(t, <-served)
}
