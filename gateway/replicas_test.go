package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/internal/redistest"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// replicas starts n gateways over one sandbox and one Redis, as behind a load balancer.
func replicas(t *testing.T, n int, mutate func(*gateway.Config)) (*sandbox.Server, []*harness) {
	t.Helper()
	redisURL := redistest.Start(t)
	sb := sandbox.New(sandbox.Options{})
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	env := map[string]string{"WEDA_BASE_URL": up.URL, "WEDA_SECRET_ID": sandbox.DefaultSecretID,
		"WEDA_SECRET_KEY": sandbox.DefaultSecretKey, "ALLOW_DEV_USER_HEADER": "true", "REDIS_URL": redisURL}
	var hs []*harness
	for range n {
		var mutations []func(*gateway.Config)
		if mutate != nil {
			mutations = append(mutations, mutate)
		}
		gw, srv := serve(t, env, io.Discard, mutations...)
		hs = append(hs, &harness{t: t, gw: gw, srv: srv, sb: sb, me: sb.UserID(sandbox.DemoUser)})
	}
	return sb, hs
}

func TestKeyedRetriesAcrossReplicasWriteOnce(t *testing.T) {
	sb, hs := replicas(t, 2, nil)
	sb.SetLatency("StartFlow", 50*time.Millisecond, 0)
	headers := map[string]string{"X-Weda-User-Id": hs[0].me, "Idempotency-Key": "across-replicas"}
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			_, res := hs[i%2].raw(headers, gqlBody(startWithKey, nil))
			ids[i] = startedID(t, res)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, sb.Calls("StartFlow"), "one instance, whichever replica each retry reached")
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
}

func TestRateLimitIsSharedAcrossReplicas(t *testing.T) {
	_, hs := replicas(t, 2, func(c *gateway.Config) { c.Limits.RateRequests, c.Limits.RateWindow = 4, time.Minute })
	me := map[string]string{"X-Weda-User-Id": hs[0].me}
	body := gqlBody(`{ viewer { id } }`, nil)
	for i := range 4 {
		status, _ := hs[i%2].raw(me, body)
		require.Equal(t, http.StatusOK, status)
	}
	status, res := hs[0].raw(me, body)
	assert.Equal(t, http.StatusTooManyRequests, status, "the fifth request in the window, across both replicas")
	assert.Equal(t, "RATE_LIMITED", res.Errors[0].Extensions["code"])
}

func TestUnreachableRedisStopsTheStart(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}
	cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	_, err = gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorContains(t, err, "REDIS_URL does not answer")
}
