package live

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/internal/redistest"
)

// counter is a source whose snapshot is a number the test sets; it counts its polls.
type counter struct {
	value atomic.Int64
	polls atomic.Int64
}

func (c *counter) source(context.Context) ([]byte, error) {
	c.polls.Add(1)
	return []byte(strconv.FormatInt(c.value.Load(), 10)), nil
}

// receive waits for the next snapshot; the bound only ends a broken test, it measures nothing.
func receive(t *testing.T, ch <-chan []byte) string {
	t.Helper()
	select {
	case v, ok := <-ch:
		require.True(t, ok, "the subscription ended")
		return string(v)
	case <-time.After(10 * time.Second):
		t.Fatal("no snapshot came")
		return ""
	}
}

// An hour-long interval: only the first look and the test's refreshes poll.
var still = Config{Interval: time.Hour, MaxPerViewer: 100}

func TestOnePollerServesEverySubscriptionOfAKey(t *testing.T) {
	e := New(still, Local(), nil)
	t.Cleanup(e.Close)
	src := &counter{}
	key := Key{"prod", "u1", "counts"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subs := make([]<-chan []byte, 50)
	for i := range subs {
		ch, err := e.Subscribe(ctx, key, src.source)
		require.NoError(t, err)
		subs[i] = ch
	}
	for _, ch := range subs {
		assert.Equal(t, "0", receive(t, ch), "the current snapshot first")
	}
	assert.EqualValues(t, 1, src.polls.Load(), "fifty subscriptions, one poll")
	assert.Equal(t, 1.0, testutil.ToFloat64(e.Stats().pollers))

	e.Refresh(ctx, key) // nothing changed: nothing is sent
	src.value.Store(7)
	e.Refresh(ctx, key)
	for _, ch := range subs {
		assert.Equal(t, "7", receive(t, ch), "the change, never the unchanged snapshot again")
	}
	assert.LessOrEqual(t, src.polls.Load(), int64(3))

	cancel()
	for _, ch := range subs {
		for range ch { // drained and closed when the subscription ends
		}
	}
	require.Eventually(t, func() bool { return testutil.ToFloat64(e.Stats().pollers) == 0 }, 10*time.Second, time.Millisecond,
		"the poller stops with its last subscription")
}

func TestSubscriptionCaps(t *testing.T) {
	e := New(Config{Interval: time.Hour, MaxPerViewer: 2, MaxTotal: 3}, Local(), nil)
	t.Cleanup(e.Close)
	src := &counter{}
	ctx := t.Context()
	for i := range 2 {
		_, err := e.Subscribe(ctx, Key{"prod", "u1", fmt.Sprint("t", i)}, src.source)
		require.NoError(t, err)
	}
	_, err := e.Subscribe(ctx, Key{"prod", "u1", "t9"}, src.source)
	assert.ErrorIs(t, err, ErrTooManyForViewer)
	_, err = e.Subscribe(ctx, Key{"prod", "u2", "t"}, src.source)
	require.NoError(t, err)
	_, err = e.Subscribe(ctx, Key{"prod", "u3", "t"}, src.source)
	assert.ErrorIs(t, err, ErrTooMany)
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	e := New(Config{Interval: time.Second, MaxBackoff: 10 * time.Second, Jitter: 0.1}, Local(), nil)
	t.Cleanup(e.Close)
	assert.InDelta(t, float64(time.Second), float64(e.next(0)), float64(100*time.Millisecond))
	assert.InDelta(t, float64(4*time.Second), float64(e.next(2)), float64(400*time.Millisecond))
	assert.InDelta(t, float64(10*time.Second), float64(e.next(40)), float64(time.Second))
}

func TestViewerBudgetBoundsPolls(t *testing.T) {
	e := New(Config{Interval: time.Hour, ViewerPollsPerMinute: 6}, Local(), nil) // a burst of 1
	t.Cleanup(e.Close)
	src := &counter{}
	key := Key{"prod", "u1", "counts"}
	ch, err := e.Subscribe(t.Context(), key, src.source)
	require.NoError(t, err)
	receive(t, ch)
	// Each refresh is seen through before the next: a look that polled, or one the budget refused.
	looks := func() float64 {
		return testutil.ToFloat64(e.stats.polls.WithLabelValues("counts", "ok")) +
			testutil.ToFloat64(e.stats.polls.WithLabelValues("counts", "over_budget"))
	}
	for i := range 20 {
		e.Refresh(t.Context(), key)
		require.Eventually(t, func() bool { return looks() == float64(i+2) }, time.Minute, time.Millisecond,
			"refresh %d was looked at", i)
	}
	assert.LessOrEqual(t, src.polls.Load(), int64(2), "refreshes past the budget do not reach WeDa")
}

func redisReplica(t *testing.T, url string, cfg Config) (*Engine, *redis.Client) {
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	coord, err := NewRedis(t.Context(), client, time.Hour, nil)
	require.NoError(t, err)
	e := New(cfg, coord, nil)
	t.Cleanup(func() {
		e.Close()
		coord.Close()
		client.Close()
	})
	return e, client
}

// Fifty subscriptions over two replicas: one lease, one poll per look, every client told.
func TestReplicasShareOnePoller(t *testing.T) {
	url := redistest.Start(t)
	a, _ := redisReplica(t, url, still)
	b, _ := redisReplica(t, url, still)
	src := &counter{}
	key := Key{"prod", "u1", "counts"}
	var subs []<-chan []byte
	for i := range 50 {
		e := a
		if i%2 == 1 {
			e = b
		}
		ch, err := e.Subscribe(t.Context(), key, src.source)
		require.NoError(t, err)
		subs = append(subs, ch)
	}
	for _, ch := range subs {
		assert.Equal(t, "0", receive(t, ch))
	}
	polls := src.polls.Load()
	assert.LessOrEqual(t, polls, int64(2), "the first look of each replica at most")

	// A refresh from either replica, the lease holder or not, makes its holder poll once.
	for i, e := range []*Engine{a, b} {
		src.value.Store(int64(5 + i))
		e.Refresh(t.Context(), key)
		for _, ch := range subs {
			assert.Equal(t, strconv.Itoa(5+i), receive(t, ch))
		}
		assert.Equal(t, polls+int64(i)+1, src.polls.Load(), "one poll for fifty subscriptions on two replicas")
	}
}

// The replica holding the lease dies without resigning: the other takes over, and its clients
// see each change once.
func TestLeaseTakenOverWhenItsHolderDies(t *testing.T) {
	url := redistest.Start(t)
	cfg := Config{Interval: 100 * time.Millisecond, Jitter: 0.01}
	a, aClient := redisReplica(t, url, cfg)
	src := &counter{}
	key := Key{"prod", "u1", "counts"}
	chA, err := a.Subscribe(t.Context(), key, src.source)
	require.NoError(t, err)
	assert.Equal(t, "0", receive(t, chA)) // a leads: it polled first

	b, _ := redisReplica(t, url, cfg)
	chB, err := b.Subscribe(t.Context(), key, src.source)
	require.NoError(t, err)
	assert.Equal(t, "0", receive(t, chB), "the last snapshot, from Redis")

	require.NoError(t, aClient.Close()) // a dies: it can neither renew nor resign
	a.Close()
	src.value.Store(1)
	var seen []string
	for v := receive(t, chB); ; v = receive(t, chB) {
		seen = append(seen, v)
		if v == "1" {
			break
		}
	}
	assert.Equal(t, []string{"1"}, seen, "the change once, nothing repeated")
}

func TestClosedEngineRefuses(t *testing.T) {
	e := New(still, Local(), nil)
	e.Close()
	_, err := e.Subscribe(context.Background(), Key{"prod", "u", "t"}, (&counter{}).source)
	assert.ErrorIs(t, err, ErrClosed)
	var wg sync.WaitGroup
	wg.Wait()
}

func TestWatchedOnlyWithSubscriptions(t *testing.T) {
	e := New(still, Local(), nil)
	t.Cleanup(e.Close)
	assert.False(t, e.Watched(), "no subscription: a write needs no refresh")
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := e.Subscribe(ctx, Key{"prod", "u", "counts"}, (&counter{}).source)
	require.NoError(t, err)
	receive(t, ch)
	assert.True(t, e.Watched())
	cancel()
	require.Eventually(t, func() bool { return !e.Watched() }, 10*time.Second, time.Millisecond)
}
