package idempotency

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/internal/redistest"
)

func newMemory(t *testing.T, max int) *Memory {
	m, err := NewMemory(time.Hour, max)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

func newRedisClient(t *testing.T) *redis.Client {
	opts, err := redis.ParseURL(redistest.Start(t))
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	return client
}

// eachStore runs a test against the in-memory store and, where redis-server is installed, the
// Redis one: they must behave alike.
func eachStore(t *testing.T, test func(t *testing.T, m Store)) {
	t.Run("memory", func(t *testing.T) { test(t, newMemory(t, 10)) })
	t.Run("redis", func(t *testing.T) { test(t, NewRedis(newRedisClient(t), time.Hour, time.Minute)) })
}

// complete is Store.Complete for the tests that need only its error.
func complete(ctx context.Context, m Store, key, token string, rec Record) error {
	_, err := m.Complete(ctx, key, token, rec)
	return err
}

func claim(t *testing.T, m Store, key string) Claim {
	t.Helper()
	c, err := m.Claim(context.Background(), key, "fp")
	require.NoError(t, err)
	return c
}

func TestClaimCompleteReplay(t *testing.T) { eachStore(t, testClaimCompleteReplay) }

func testClaimCompleteReplay(t *testing.T, m Store) {
	ctx := context.Background()
	c := claim(t, m, "k")
	require.True(t, c.Owner())
	require.NoError(t, complete(ctx, m, "k", c.Token, Record{State: Done, Value: json.RawMessage(`"first"`)}))
	again := claim(t, m, "k")
	assert.False(t, again.Owner())
	assert.Equal(t, Done, again.Record.State)
	assert.JSONEq(t, `"first"`, string(again.Record.Value))

	_, err := m.Claim(ctx, "k", "other input")
	assert.ErrorIs(t, err, ErrKeyReused)
}

func TestConcurrentClaimsWaitForTheFirst(t *testing.T) { eachStore(t, testConcurrentClaims) }

func testConcurrentClaims(t *testing.T, m Store) {
	var owners, replays atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			c, err := m.Claim(context.Background(), "k", "fp")
			if !assert.NoError(t, err) {
				return
			}
			if c.Owner() {
				owners.Add(1)
				assert.NoError(t, complete(context.Background(), m, "k", c.Token, Record{State: Done, Value: json.RawMessage(`42`)}))
				return
			}
			assert.JSONEq(t, `42`, string(c.Record.Value))
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
	first := claim(t, m, "k")
	require.NoError(t, complete(ctx, m, "k", first.Token, Record{State: Unknown}))
	next := claim(t, m, "k")
	assert.True(t, next.Owner(), "the retry must reconcile")
	assert.Equal(t, Unknown, next.Record.State)
	assert.Equal(t, first.Record.Started.UnixMilli(), next.Record.Started.UnixMilli(), "the first attempt's time survives")
	assert.NotEqual(t, first.Token, next.Token)
}

func TestReleaseLetsARetryRun(t *testing.T) { eachStore(t, testRelease) }

func testRelease(t *testing.T, m Store) {
	c := claim(t, m, "k")
	require.NoError(t, m.Release(context.Background(), "k", c.Token))
	assert.True(t, claim(t, m, "k").Owner())
}

// Only the owner completes or releases: a stale token (an attempt whose claim was taken over)
// changes nothing.
// An outcome comes back byte for byte, empty lists included (Lua's cjson would make [] an object).
func TestOutcomeKeptExactly(t *testing.T) { eachStore(t, testOutcomeKeptExactly) }

func testOutcomeKeptExactly(t *testing.T, m Store) {
	c := claim(t, m, "k")
	value := json.RawMessage(`{"choices":[],"n":1558049980829474819}`)
	require.NoError(t, complete(context.Background(), m, "k", c.Token, Record{State: Done, Value: value}))
	assert.Equal(t, string(value), string(claim(t, m, "k").Record.Value))
}

func TestOnlyTheOwnerCompletesOrReleases(t *testing.T) { eachStore(t, testOnlyTheOwner) }

func testOnlyTheOwner(t *testing.T, m Store) {
	ctx := context.Background()
	c := claim(t, m, "k")
	assert.ErrorIs(t, complete(ctx, m, "k", "not-the-owner", Record{State: Done}), ErrNotOwner)
	assert.ErrorIs(t, m.Release(ctx, "k", "not-the-owner"), ErrNotOwner)
	require.NoError(t, complete(ctx, m, "k", c.Token, Record{State: Done, Value: json.RawMessage(`1`)}))
	assert.ErrorIs(t, m.Release(ctx, "k", c.Token), ErrNotOwner, "a finished record is not the owner's to delete")
	assert.JSONEq(t, `1`, string(claim(t, m, "k").Record.Value))
}

// The fencing case: owner A's claim expires while A is slow; B claims the key. A's late
// Complete or Release must neither overwrite nor delete B's claim or record.
func TestRedisFencingAfterAnExpiredClaim(t *testing.T) {
	client := newRedisClient(t)
	r := NewRedis(client, time.Hour, time.Minute)
	ctx := context.Background()
	a := claim(t, r, "k")
	require.NoError(t, client.PExpire(ctx, redisKey("k"), time.Millisecond).Err()) // A's claim lapses
	for i := 0; client.Exists(ctx, redisKey("k")).Val() == 1; i++ {
		require.Less(t, i, 1000, "the claim did not expire")
		time.Sleep(time.Millisecond)
	}
	b := claim(t, r, "k")
	require.True(t, b.Owner())

	assert.ErrorIs(t, complete(ctx, r, "k", a.Token, Record{State: Done, Value: json.RawMessage(`"A"`)}), ErrNotOwner)
	assert.ErrorIs(t, r.Release(ctx, "k", a.Token), ErrNotOwner)
	require.NoError(t, complete(ctx, r, "k", b.Token, Record{State: Done, Value: json.RawMessage(`"B"`)}))
	assert.ErrorIs(t, complete(ctx, r, "k", a.Token, Record{State: Done, Value: json.RawMessage(`"A"`)}), ErrNotOwner)
	assert.ErrorIs(t, r.Release(ctx, "k", a.Token), ErrNotOwner)
	assert.JSONEq(t, `"B"`, string(claim(t, r, "k").Record.Value), "B's record stands")
}

func TestMemoryIsBounded(t *testing.T) {
	m := newMemory(t, 50)
	ctx := context.Background()
	for i := range 5000 {
		key := string(rune('a'+i%26)) + time.Duration(i).String()
		c := claim(t, m, key)
		require.NoError(t, complete(ctx, m, key, c.Token, Record{State: Done}))
	}
	m.done.CleanUp() // eviction is amortised: settle it before counting
	assert.LessOrEqual(t, m.done.EstimatedSize(), 50)
	assert.Empty(t, m.claims)
}

func TestWaiterHonoursCancellation(t *testing.T) { eachStore(t, testWaiterCancellation) }

func testWaiterCancellation(t *testing.T, m Store) {
	claim(t, m, "k")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Claim(ctx, "k", "fp")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRedisDownIsUnavailable(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	_, err := NewRedis(client, time.Hour, time.Minute).Claim(context.Background(), "k", "fp")
	assert.ErrorIs(t, err, ErrUnavailable)
}

func TestFacts(t *testing.T) {
	mem, err := NewMemoryFacts(time.Hour, 10)
	require.NoError(t, err)
	t.Cleanup(mem.Close)
	for name, n := range map[string]Facts{"memory": mem, "redis": NewRedisFacts(newRedisClient(t), time.Hour)} {
		v, err := n.Get(context.Background(), "x")
		require.NoError(t, err, name)
		assert.Empty(t, v)
		require.NoError(t, n.Put(context.Background(), "x", "y"))
		v, err = n.Get(context.Background(), "x")
		require.NoError(t, err)
		assert.Equal(t, "y", v, name)
	}
}
