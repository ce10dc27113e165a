package idempotency

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
)

// Notes keeps small facts the replicas must share for a while, such as who may choose the next
// approvers that a task's completion asked for.
type Notes interface {
	Put(ctx context.Context, key, value string) error
	// Get returns the note, or "" when there is none.
	Get(ctx context.Context, key string) (string, error)
}

// MemoryNotes keeps notes in this process, bounded and expiring.
type MemoryNotes struct{ cache *otter.Cache[string, string] }

// NewMemoryNotes keeps each note for ttl, and at most max notes.
func NewMemoryNotes(ttl time.Duration, max int) (*MemoryNotes, error) {
	c, err := otter.New(&otter.Options[string, string]{MaximumSize: max,
		ExpiryCalculator: otter.ExpiryWriting[string, string](ttl)})
	if err != nil {
		return nil, fmt.Errorf("idempotency notes: %w", err)
	}
	return &MemoryNotes{cache: c}, nil
}

// Close stops the cache's clean-up goroutines.
func (n *MemoryNotes) Close() { n.cache.StopAllGoroutines() }

// Put implements Notes.
func (n *MemoryNotes) Put(_ context.Context, key, value string) error {
	n.cache.Set(key, value)
	return nil
}

// Get implements Notes.
func (n *MemoryNotes) Get(_ context.Context, key string) (string, error) {
	v, _ := n.cache.GetIfPresent(key)
	return v, nil
}

// RedisNotes keeps notes in the Redis the replicas share.
type RedisNotes struct {
	client *redis.Client
	ttl    time.Duration
}

// NewRedisNotes keeps each note for ttl.
func NewRedisNotes(client *redis.Client, ttl time.Duration) *RedisNotes {
	return &RedisNotes{client: client, ttl: ttl}
}

func notesKey(key string) string { return "weda-gateway:notes:" + key }

// Put implements Notes.
func (n *RedisNotes) Put(ctx context.Context, key, value string) error {
	if err := n.client.Set(ctx, notesKey(key), value, n.ttl).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// Get implements Notes.
func (n *RedisNotes) Get(ctx context.Context, key string) (string, error) {
	v, err := n.client.Get(ctx, notesKey(key)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", nil
	case err != nil:
		return "", unavailable(err)
	}
	return v, nil
}
