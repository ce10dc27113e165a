package gateway

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"
)

// redisCounter is httprate's LimitCounter in Redis, so every replica draws on one budget per
// client. When Redis does not answer, it counts in this process instead (each replica then
// limits alone) and logs a warning: the limit protects the gateway and must not take it down
// with Redis, nor vanish while Redis is away.
//
// go-chi/httprate-redis does the same, but the only version the module proxy serves here
// (v0.5.0) ignores a supplied *redis.Client (REDIS_URL's TLS, password, database would be lost)
// and its reconnect goroutine never stops; this counter shares the gateway's one client.
type redisCounter struct {
	client   *redis.Client
	log      *slog.Logger
	window   time.Duration
	local    httprate.LimitCounter
	degraded atomic.Bool // for the warning: logged once per outage
}

// redisTimeout is short: every request waits on the counter.
const redisTimeout = 200 * time.Millisecond

func (c *redisCounter) Config(limit int, window time.Duration) {
	c.window = window
	c.local = httprate.NewLocalLimitCounter(window)
	c.local.Config(limit, window)
}

func (c *redisCounter) Increment(key string, window time.Time) error {
	return c.IncrementBy(key, window, 1)
}

func (c *redisCounter) IncrementBy(key string, window time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	k := rateKey(key, window)
	pipe := c.client.TxPipeline()
	pipe.IncrBy(ctx, k, int64(amount))
	pipe.PExpire(ctx, k, 3*c.window)
	if _, err := pipe.Exec(ctx); err != nil {
		c.fellBack(err)
		return c.local.IncrementBy(key, window, amount)
	}
	c.recovered()
	return nil
}

func (c *redisCounter) Get(key string, current, previous time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	vals, err := c.client.MGet(ctx, rateKey(key, current), rateKey(key, previous)).Result()
	if err != nil || len(vals) != 2 {
		c.fellBack(err)
		return c.local.Get(key, current, previous)
	}
	c.recovered()
	count := func(v any) int {
		s, _ := v.(string)
		n, _ := strconv.Atoi(s)
		return n
	}
	return count(vals[0]), count(vals[1]), nil
}

func (c *redisCounter) fellBack(err error) {
	if !c.degraded.Swap(true) {
		c.log.Warn("rate limit counter unavailable in Redis: counting in this process until it answers", "err", err)
	}
}

func (c *redisCounter) recovered() {
	if c.degraded.Swap(false) {
		c.log.Info("rate limit counter answers in Redis again")
	}
}

func rateKey(key string, window time.Time) string {
	return "weda-gateway:rate:" + key + ":" + strconv.FormatInt(window.Unix(), 10)
}
