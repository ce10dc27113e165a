package gateway_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
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
	gw, srv := serve(t, map[string]string{"USER_BATCH_WAIT": "1ns"}, io.Discard)
	h := &harness{t: t, srv: srv}
	_, res := h.raw(map[string]string{"X-Weda-User-Id": gw.Sandbox().UserID(sandbox.DemoUser)}, gqlBody(`{ viewer { user { name } } }`, nil))
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

// badSettings are values that once passed in silence, each with what its one line must say.
var badSettings = []struct {
	env  map[string]string
	name string // the setting the line names first
	says string
}{
	{map[string]string{"LIVE_POLL_INTERVAL": "2000000h"}, "LIVE_POLL_INTERVAL", "from 1s to 1h"},
	{map[string]string{"TRUSTED_PROXIES": "0.0.0.0/0"}, "TRUSTED_PROXIES", "TRUSTED_PROXIES_ALLOW_ALL"},
	{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,::/0"}, "TRUSTED_PROXIES", "TRUSTED_PROXIES_ALLOW_ALL"},
	{map[string]string{"TRUSTED_PROXIES": "10.1.2.3/8"}, "TRUSTED_PROXIES", "did you mean 10.0.0.0/8?"},
	{map[string]string{"TRUSTED_PROXIES": "2001:db8::1/32"}, "TRUSTED_PROXIES", "did you mean 2001:db8::/32?"},
	{map[string]string{"TRUSTED_PROXY_HEADER": "X Forwarded For"}, "TRUSTED_PROXY_HEADER", "header name"},
	{map[string]string{"RATE_LIMIT_IPV6_PREFIX": "8"}, "RATE_LIMIT_IPV6_PREFIX", "from 32 to 128"},
	{map[string]string{"LIVE_MAX_PER_VIEWER": "60", "LIVE_MAX_SUBSCRIPTIONS": "50"}, "LIVE_MAX_PER_VIEWER", "LIVE_MAX_SUBSCRIPTIONS=50"},
	{map[string]string{"MAX_OPERATIONS_PER_VIEWER": "200"}, "MAX_OPERATIONS_PER_VIEWER", "MAX_OPERATIONS_IN_FLIGHT=64"},
	{map[string]string{"MAX_OPERATIONS_PER_CONNECTION": "30"}, "MAX_OPERATIONS_PER_CONNECTION", "MAX_OPERATIONS_PER_VIEWER=24"},
	{map[string]string{"MAX_CONNECTIONS_PER_VIEWER": "3000"}, "MAX_CONNECTIONS_PER_VIEWER", "MAX_CONNECTIONS=1000"},
	{map[string]string{"OPERATION_TIMEOUT": "5s"}, "OPERATION_TIMEOUT", "WEDA_TIMEOUT=10s"},
	{map[string]string{"WEDA_TIMEOUT": "1h"}, "WEDA_TIMEOUT", "from 100ms to 5m"},
	{map[string]string{"REDIS_URL": "http://:secret@redis:6379"}, "REDIS_URL", "rediss://"},
	{map[string]string{"GOGC": "lots"}, "GOGC", "off"},
}

// TestEachBadSettingIsOneLine: each bad value is refused with one line that names its setting.
func TestEachBadSettingIsOneLine(t *testing.T) {
	for _, bad := range badSettings {
		t.Run(bad.name, func(t *testing.T) {
			_, err := gateway.ConfigFromEnv(func(k string) string { return bad.env[k] })
			var ce *gateway.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, 1, "%v", ce.Problems)
			assert.True(t, strings.HasPrefix(ce.Problems[0], bad.name), ce.Problems[0])
			assert.Contains(t, ce.Problems[0], bad.says)
			assert.NotContains(t, ce.Problems[0], "secret", "a URL's password is never shown")
		})
	}
	t.Run("0.0.0.0/0 with the override", func(t *testing.T) {
		env := map[string]string{"TRUSTED_PROXIES": "0.0.0.0/0,::/0", "TRUSTED_PROXIES_ALLOW_ALL": "true"}
		_, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
		assert.NoError(t, err)
	})
}

// TestEveryDurationAndCapHasAMaximum: for each setting that reads a duration or a whole number,
// an absurd value is refused, naming the setting.
func TestEveryDurationAndCapHasAMaximum(t *testing.T) {
	var checked int
	for _, s := range gateway.Settings() {
		var absurd string
		switch {
		case strings.Contains(s.Values, "a duration from"):
			absurd = "2000000h"
		case strings.Contains(s.Values, "a whole number from"):
			absurd = "9999999999"
		default:
			continue
		}
		checked++
		_, err := gateway.ConfigFromEnv(func(k string) string { return map[string]string{s.Name: absurd}[k] })
		var ce *gateway.ConfigError
		if assert.ErrorAs(t, err, &ce, "%s=%s was accepted", s.Name, absurd) {
			assert.True(t, strings.HasPrefix(ce.Problems[0], s.Name+"="), ce.Problems[0])
		}
	}
	assert.Greater(t, checked, 30)
}

// TestDefaultsAreTheTables: with nothing set, each setting holds the default its row shows; the
// rows whose default depends on other settings say so, and --help shows what each accepts.
func TestDefaultsAreTheTables(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, 10*time.Second, cfg.Upstream.Timeout)
	assert.Equal(t, "UTC+08:00", cfg.Upstream.Zone.String(), "WEDA_TIMEZONE's default is +08:00, as its row says")
	assert.Equal(t, 30*time.Second, cfg.Streams.OperationTimeout)
	assert.Equal(t, "X-Forwarded-For", cfg.Limits.ProxyHeader)
	assert.Equal(t, 64, cfg.Limits.IPv6Prefix)
	for _, s := range gateway.Settings() {
		assert.NotEmpty(t, s.Values, s.Name)
		assert.Contains(t, gateway.Usage(), "default: "+s.Default+"; accepts: "+s.Values, s.Name)
	}
}
