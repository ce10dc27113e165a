package gateway_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/internal/redistest"
)

// TestRediSSToAPlainRedisIsNamed: rediss:// to a Redis without TLS stops the start with that
// said, not with "context deadline exceeded" once a timeout ran out.
func TestRediSSToAPlainRedisIsNamed(t *testing.T) {
	plain := redistest.Start(t)
	env := map[string]string{"REDIS_URL": "rediss://" + strings.TrimPrefix(plain, "redis://")}
	cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	_, err = gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without TLS: use redis://")
	assert.NotContains(t, err.Error(), "deadline")
}
