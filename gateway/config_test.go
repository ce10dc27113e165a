package gateway_test

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

// TestConfigListsEveryProblemAtOnce: one start tells the operator everything that is wrong.
func TestConfigListsEveryProblemAtOnce(t *testing.T) {
	env := map[string]string{"WEDA_ENV_ID": "lowcode-x", "PORT": "http", "RATE_LIMIT_WINDOW": "1ms",
		"TRUSTED_PROXIES": "10.0.0.0/8, not-a-cidr", "METRICS_ADDR": "9090", "SHUTDOWN_TIMEOUT": "1ns"}
	_, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	require.Error(t, err)
	for _, want := range []string{"WEDA_SECRET_ID", "AUTH_MODE", "PORT", "RATE_LIMIT_WINDOW", "not-a-cidr", "METRICS_ADDR", "SHUTDOWN_TIMEOUT"} {
		assert.Contains(t, err.Error(), want)
	}
}

// TestTinyBatchWaitPanicsNothing: USER_BATCH_WAIT=1ns once passed and then panicked the process
// on the first user lookup; it is now read only to be reported when malformed.
func TestTinyBatchWaitPanicsNothing(t *testing.T) {
	_, srv := serve(t, map[string]string{"USER_BATCH_WAIT": "1ns"}, io.Discard)
	h := &harness{t: t, srv: srv}
	_, res := h.raw(map[string]string{"X-Weda-User-Id": "1"}, gqlBody(`{ viewer { user { name } } }`, nil))
	assert.Empty(t, res.Errors)
}

func TestUnknownSettingsAreWarnedAbout(t *testing.T) {
	warnings := gateway.UnknownSettings([]string{"GRAPHIQ=true", "WEDA_SECERT_KEY=x", "MAX_QUERY_WIDTH=3", "PATH=/bin",
		"HOME=/root", "GRAPHIQL=true", "OTEL_SERVICE_NAME=gw"})
	assert.Equal(t, []string{
		"GRAPHIQ is not a setting; did you mean GRAPHIQL?",
		"MAX_QUERY_WIDTH is not a setting (weda-gateway --help lists them)",
		"WEDA_SECERT_KEY is not a setting; did you mean WEDA_SECRET_KEY?",
	}, warnings)
}

func TestUsageListsEverySetting(t *testing.T) {
	usage := gateway.Usage()
	for _, s := range gateway.Settings() {
		assert.Contains(t, usage, s.Name)
		assert.NotEmpty(t, s.Default, s.Name)
	}
	assert.True(t, strings.Contains(usage, "healthcheck") && strings.Contains(usage, "version") && strings.Contains(usage, "sandbox"))
}
