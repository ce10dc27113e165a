package gateway

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedisCounterCountsLocallyWhenRedisIsAway: the limit does not vanish with Redis (it used
// to let every request through); each replica then limits alone.
func TestRedisCounterCountsLocallyWhenRedisIsAway(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	c := &redisCounter{client: client, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c.Config(2, time.Minute)
	window := time.Now().UTC().Truncate(time.Minute)
	for range 3 {
		require.NoError(t, c.Increment("addr:192.0.2.1", window))
	}
	current, _, err := c.Get("addr:192.0.2.1", window, window.Add(-time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 3, current)
}
