package session

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// fixture is a sandbox and a client to it.
func fixture(t *testing.T) (*sandbox.Server, *upstream.Client) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client, err := upstream.New(upstream.Config{BaseURL: srv.URL,
		Tokens: upstream.NewClientCredentials(srv.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, nil)})
	require.NoError(t, err)
	return sb, client
}

// waitAll fails the test instead of hanging when a waiter is never released.
func waitAll(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a hang detector, not a measurement
		t.Fatal("a waiter was never released")
	}
}

func TestMemoMakesACallOnceForConcurrentAskers(t *testing.T) {
	s := New(nil, Config{}, nil, "")
	var calls int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			v, err := memo(context.Background(), s, "k", func(context.Context) (int, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				return 42, nil
			})
			assert.NoError(t, err)
			assert.Equal(t, 42, v)
		})
	}
	waitAll(t, &wg)
	assert.Equal(t, 1, calls)
	assert.EqualValues(t, 1, s.Calls())
}

// TestPanicReleasesEveryWaiter: a panic inside a memoized call becomes each caller's
// ErrInternal; without the recovery the callers would hang until their context ended.
func TestPanicReleasesEveryWaiter(t *testing.T) {
	s := New(nil, Config{}, nil, "")
	started := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 5)
	wg.Go(func() {
		_, errs[0] = memo(context.Background(), s, "k", func(context.Context) (int, error) {
			close(started)
			<-release
			panic("a bug in a decoder")
		})
	})
	<-started
	for i := 1; i < len(errs); i++ {
		wg.Go(func() {
			_, errs[i] = memo(context.Background(), s, "k", func(context.Context) (int, error) { return 1, nil })
		})
	}
	close(release)
	waitAll(t, &wg)
	for i, err := range errs {
		assert.ErrorIs(t, err, ErrInternal, "caller %d", i)
	}
}

func TestDoRecoversAPanicInAWrite(t *testing.T) {
	s := New(nil, Config{}, nil, "")
	assert.ErrorIs(t, s.Do(context.Background(), func(context.Context) error { panic("boom") }), ErrInternal)
}

func TestCallCeiling(t *testing.T) {
	s := New(nil, Config{MaxCalls: 2}, nil, "")
	for range 2 {
		require.NoError(t, s.Do(context.Background(), func(context.Context) error { return nil }))
	}
	var limit *CallLimitError
	assert.ErrorAs(t, s.Do(context.Background(), func(context.Context) error { return nil }), &limit)
}

// Users come from one call for the ids the shared cache lacks; unknown ids are absent.
func TestUsersByIDsAreOneCall(t *testing.T) {
	sb, client := fixture(t)
	s := New(client, Config{}, nil, "")
	ids := []string{sb.UserID("kongtest"), sb.UserID("lihua"), sb.UserID("sunli"), "0"}
	users, err := s.GetUsersByIDs(context.Background(), ids)
	require.NoError(t, err)
	require.Len(t, users, 3, "the unknown id is left out")
	assert.Equal(t, "kongtest", string(users[ids[0]].Name))
	assert.EqualValues(t, 1, sb.Calls("sys_user"))
}

// TestSharedLoadIsDetachedFromTheFirstRequest: the first asker's cancellation and call ceiling
// belong to it; the shared load runs on and serves the others, and is charged to no request.
func TestSharedLoadIsDetachedFromTheFirstRequest(t *testing.T) {
	sb, client := fixture(t)
	shared := NewShared(time.Minute)
	t.Cleanup(shared.Close)
	sb.SetLatency("ListDeployedFlows", 200*time.Millisecond, 0)

	first := New(client, Config{MaxCalls: 1}, shared, "")
	require.NoError(t, first.Do(context.Background(), func(context.Context) error { return nil })) // its ceiling is spent
	ctx, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := first.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
		firstDone <- err
	}()
	require.Eventually(t, func() bool { return sb.Calls("ListDeployedFlows") == 1 }, 10*time.Second, time.Millisecond)
	cancel() // the first client disconnects while the load is in flight

	second := New(client, Config{}, shared, "")
	flows, err := second.ListDeployedFlows(context.Background(), upstream.FlowTypeApproval)
	require.NoError(t, err, "the other request is not failed by the first one's disconnect")
	assert.NotEmpty(t, flows.FlowSet)
	assert.EqualValues(t, 1, sb.Calls("ListDeployedFlows"), "one load served both")
	assert.EqualValues(t, 0, second.Calls(), "a shared load is charged to no request")
	<-firstDone
}
