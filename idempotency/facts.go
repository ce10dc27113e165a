package idempotency

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
)

// Facts keeps small facts the replicas must share for a while, such as who may choose the next
// approvers that a task's completion asked for.
type Facts interface {
	Put(ctx context.Context, key, value string) error
	// Get returns the fact, or "" when there is none.
	Get(ctx context.Context, key string) (string, error)
}

// MemoryFacts keeps facts in this process, bounded and expiring.
type MemoryFacts struct{ cache *otter.Cache[string, string] }

// NewMemoryFacts keeps each fact for ttl, and at most max facts.
func NewMemoryFacts(ttl time.Duration, max int) (*MemoryFacts, error) {
	c, err := otter.New(&otter.Options[string, string]{MaximumSize: max,
		ExpiryCalculator: otter.ExpiryWriting[string, string](ttl)})
	if err != nil {
		return nil, fmt.Errorf("idempotency facts: %w", err)
	}
	return &MemoryFacts{cache: c}, nil
}

// Close stops the cache's clean-up goroutines.
func (n *MemoryFacts) Close() { n.cache.StopAllGoroutines() }

// Put implements Facts.
func (n *MemoryFacts) Put(_ context.Context, key, value string) error {
	n.cache.Set(key, value)
	return nil
}

// Get implements Facts.
func (n *MemoryFacts) Get(_ context.Context, key string) (string, error) {
	v, _ := n.cache.GetIfPresent(key)
	return v, nil
}

// RedisFacts keeps facts in the Redis the replicas share.
type RedisFacts struct {
	client *redis.Client
	ttl    time.Duration
}

// NewRedisFacts keeps each note for ttl.
func NewRedisFacts(client *redis.Client, ttl time.Duration) *RedisFacts {
	return &RedisFacts{client: client, ttl: ttl}
}

// factKey keeps the prefix these keys had when facts were called notes, so replicas of both
// builds read each other's during a rollout.
func factKey(key string) string { return "weda-gateway:notes:" + key }

// Put implements Facts.
func (n *RedisFacts) Put(ctx context.Context, key, value string) error {
	if err := n.client.Set(ctx, factKey(key), value, n.ttl).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// Get implements Facts.
func (n *RedisFacts) Get(ctx context.Context, key string) (string, error) {
	v, err := n.client.Get(ctx, factKey(key)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", nil
	case err != nil:
		return "", unavailable(err)
	}
	return v, nil
}
