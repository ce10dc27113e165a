package idempotency

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"github.com/wedagraph/gateway/internal/redistest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eachStore runs a test against the in-memory store and, where redis-server is installed, the
// Redis one: they must behave alike.
func eachStore(t *testing.T, test func(t *testing.T, m Store)) {
	t.Run("memory", func(t *testing.T) { test(t, NewMemory(time.Hour, 10)) })
	t.Run("redis", func(t *testing.T) {
		opts, err := redis.ParseURL(redistest.Start(t))
		require.NoError(t, err)
		client := redis.NewClient(opts)
		t.Cleanup(func() { client.Close() })
		test(t, NewRedis(client, time.Hour, time.Minute))
	})
}

func TestClaimCompleteReplay(t *testing.T) { eachStore(t, testClaimCompleteReplay) }

func testClaimCompleteReplay(t *testing.T, m Store) {
	ctx := context.Background()
	_, owner, err := m.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	require.True(t, owner)
	m.Complete("k", Record{State: Done, Value: json.RawMessage(`"first"`)})
	rec, owner, err := m.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	assert.False(t, owner)
	assert.JSONEq(t, `"first"`, string(rec.Value))

	_, _, err = m.Claim(ctx, "k", "other input")
	assert.ErrorIs(t, err, ErrKeyReused)
}

func TestConcurrentClaimsWaitForTheFirst(t *testing.T) { eachStore(t, testConcurrentClaims) }

func testConcurrentClaims(t *testing.T, m Store) {
	var owners, replays atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			rec, owner, err := m.Claim(context.Background(), "k", "fp")
			if !assert.NoError(t, err) {
				return
			}
			if owner {
				owners.Add(1)
				time.Sleep(20 * time.Millisecond)
				m.Complete("k", Record{State: Done, Value: json.RawMessage(`42`)})
				return
			}
			assert.JSONEq(t, `42`, string(rec.Value))
			replays.Add(1)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, owners.Load())
	assert.EqualValues(t, 9, replays.Load())
}

func TestUnknownHandsOwnershipToTheNextAttempt(t *testing.T) { eachStore(t, testUnknownHandsOwnership) }

func testUnknownHandsOwnership(t *testing.T, m Store) {
	ctx := context.Background()
	first, _, _ := m.Claim(ctx, "k", "fp")
	m.Complete("k", Record{State: Unknown})
	rec, owner, err := m.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	assert.True(t, owner, "the retry must reconcile")
	assert.Equal(t, Unknown, rec.State)
	assert.Equal(t, first.Started, rec.Started, "the first attempt's time survives")
}

func TestReleaseLetsARetryRun(t *testing.T) { eachStore(t, testRelease) }

func testRelease(t *testing.T, m Store) {
	ctx := context.Background()
	_, _, _ = m.Claim(ctx, "k", "fp")
	m.Release("k")
	_, owner, err := m.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	assert.True(t, owner)
}

func TestExpiryAndBound(t *testing.T) {
	m := NewMemory(time.Minute, 2)
	now := time.Now()
	m.now = func() time.Time { return now }
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		_, owner, err := m.Claim(ctx, k, "fp")
		require.NoError(t, err)
		require.True(t, owner)
		m.Complete(k, Record{State: Done, Value: json.RawMessage(`"` + k + `"`)})
		now = now.Add(time.Second)
	}
	assert.Len(t, m.entries, 2, "the oldest went")
	_, owner, _ := m.Claim(ctx, "a", "fp")
	assert.True(t, owner, "a was evicted")
	m.Complete("a", Record{State: Done})
	now = now.Add(2 * time.Minute)
	_, owner, _ = m.Claim(ctx, "c", "fp")
	assert.True(t, owner, "c expired")
}

func TestWaiterHonoursCancellation(t *testing.T) { eachStore(t, testWaiterCancellation) }

func testWaiterCancellation(t *testing.T, m Store) {
	_, _, _ = m.Claim(context.Background(), "k", "fp")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := m.Claim(ctx, "k", "fp")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRedisClaimOfACrashedOwnerExpires(t *testing.T) {
	opts, err := redis.ParseURL(redistest.Start(t))
	require.NoError(t, err)
	client := redis.NewClient(opts)
	defer client.Close()
	r := NewRedis(client, time.Hour, 100*time.Millisecond)
	_, owner, err := r.Claim(context.Background(), "k", "fp")
	require.NoError(t, err)
	require.True(t, owner) // ... and never completes
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, owner, err = r.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	assert.True(t, owner, "the dead owner's claim expired")
}
