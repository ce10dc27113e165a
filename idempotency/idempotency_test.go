package idempotency

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClaimCompleteReplay(t *testing.T) {
	m := NewMemory(time.Hour, 10)
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

func TestConcurrentClaimsWaitForTheFirst(t *testing.T) {
	m := NewMemory(time.Hour, 10)
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

func TestUnknownHandsOwnershipToTheNextAttempt(t *testing.T) {
	m := NewMemory(time.Hour, 10)
	ctx := context.Background()
	first, _, _ := m.Claim(ctx, "k", "fp")
	m.Complete("k", Record{State: Unknown})
	rec, owner, err := m.Claim(ctx, "k", "fp")
	require.NoError(t, err)
	assert.True(t, owner, "the retry must reconcile")
	assert.Equal(t, Unknown, rec.State)
	assert.Equal(t, first.Started, rec.Started, "the first attempt's time survives")
}

func TestReleaseLetsARetryRun(t *testing.T) {
	m := NewMemory(time.Hour, 10)
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

func TestWaiterHonoursCancellation(t *testing.T) {
	m := NewMemory(time.Hour, 10)
	_, _, _ = m.Claim(context.Background(), "k", "fp")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := m.Claim(ctx, "k", "fp")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
