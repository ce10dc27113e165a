package gateway

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCounter is httprate's LimitCounter in Redis, so every replica draws on one budget per
// client. It fails open: when Redis does not answer, requests pass and a warning is logged, since
// the limit protects the gateway and must not take it down with Redis.
type redisCounter struct {
	client *redis.Client
	log    *slog.Logger
	window time.Duration
}

func (c *redisCounter) Config(_ int, window time.Duration) { c.window = window }

func (c *redisCounter) Increment(key string, window time.Time) error {
	return c.IncrementBy(key, window, 1)
}

func (c *redisCounter) IncrementBy(key string, window time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	k := rateKey(key, window)
	pipe := c.client.TxPipeline()
	pipe.IncrBy(ctx, k, int64(amount))
	pipe.PExpire(ctx, k, 3*c.window)
	if _, err := pipe.Exec(ctx); err != nil {
		c.log.Warn("rate limit counter unavailable: letting the request through", "err", err)
	}
	return nil
}

func (c *redisCounter) Get(key string, current, previous time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	vals, err := c.client.MGet(ctx, rateKey(key, current), rateKey(key, previous)).Result()
	if err != nil {
		c.log.Warn("rate limit counter unavailable: letting the request through", "err", err)
		return 0, 0, nil
	}
	count := func(v any) int {
		s, _ := v.(string)
		n, _ := strconv.Atoi(s)
		return n
	}
	return count(vals[0]), count(vals[1]), nil
}

func rateKey(key string, window time.Time) string {
	return "weda-gateway:rate:" + key + ":" + strconv.FormatInt(window.Unix(), 10)
}
