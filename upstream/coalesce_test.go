package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guard bounds every wait of these tests: reaching it is a failure, never a measurement.
const guard = 10 * time.Second

// gatedUpstream answers every request to name only when the test opens the gate, and tells the
// test about each arrival, so tests reason about calls in flight without timing anything.
type gatedUpstream struct {
	*fakeUpstream
	arrived chan string // the env segment of each request's path, as it arrives
	gate    chan struct{}
	once    sync.Once
}

func newGatedUpstream(t *testing.T, name, body string) *gatedUpstream {
	t.Helper()
	g := &gatedUpstream{fakeUpstream: newFakeUpstream(t), arrived: make(chan string, 64), gate: make(chan struct{})}
	t.Cleanup(g.open) // never leave a handler blocked
	g.handle(name, func(w http.ResponseWriter, r *http.Request) {
		g.arrived <- r.URL.Path
		<-g.gate
		answer(http.StatusOK, body)(w, r)
	})
	return g
}

func (g *gatedUpstream) open() { g.once.Do(func() { close(g.gate) }) }

// awaitArrivals waits for n requests to reach the fake upstream.
func (g *gatedUpstream) awaitArrivals(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-g.arrived:
		case <-time.After(guard):
			t.Fatalf("only %d of %d requests reached the upstream", i, n)
		}
	}
}

// joinSignal makes c report when a flight has at least n waiters.
func joinSignal(c *Client, n int) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	c.flights.joined = func(waiters int) {
		if waiters >= n {
			once.Do(func() { close(ch) })
		}
	}
	return ch
}

func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(guard):
		t.Fatal("never happened: " + what)
	}
}

const tasksAnswer = `{"Response":{"RequestId":"r1","Data":{"TotalCount":"2","Result":[
	{"TaskId":1550046666666666661,"InstanceId":"1550046666666666660","ElementName":"A"},
	{"TaskId":"1550046666666666662","InstanceId":"1550046666666666660","ElementName":"B"}]}}}`

// coalescing turns sharing on; one attempt with a long timeout, so that no retry of a call held
// at a gate can pass for a second call however slow the machine.
func coalescing(cfg *Config) { cfg.Coalesce, cfg.Timeout, cfg.MaxReadAttempts = true, time.Minute, 1 }

func TestIdenticalConcurrentReadsShareOneCall(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	c := testClient(t, up.fakeUpstream, coalescing)
	const n = 20
	all := joinSignal(c, n)
	results := make([]*InstanceTasks, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1550046666666666660"})
		})
	}
	await(t, all, "20 callers waiting on one call")
	up.open()
	wg.Wait()

	assert.Len(t, up.calls("GetFlowInstanceTasks"), 1)
	for i := range n {
		require.NoError(t, errs[i])
		require.Len(t, results[i].Result, 2)
		assert.Equal(t, ID("1550046666666666661"), results[i].Result[0].TaskID, "exact 19-digit ids from a JSON number")
		assert.Equal(t, ID("1550046666666666662"), results[i].Result[1].TaskID)
	}
	// Each caller has its own copy: changing one answer changes no other.
	results[0].Result[0].ElementName = "changed"
	for i := 1; i < n; i++ {
		assert.NotSame(t, results[0], results[i])
		assert.Equal(t, Text("A"), results[i].Result[0].ElementName)
	}

	// Nothing is kept once the call returned: the next identical read is a call of its own.
	_, err := c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1550046666666666660"})
	require.NoError(t, err)
	assert.Len(t, up.calls("GetFlowInstanceTasks"), 2)
}

func TestDifferentReadsAreNotShared(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	c := testClient(t, up.fakeUpstream, coalescing)
	var wg sync.WaitGroup
	read := func(ctx context.Context, id ID) {
		wg.Go(func() {
			_, err := c.GetFlowInstanceTasks(ctx, &InstanceTasksRequest{InstanceID: id})
			assert.NoError(t, err)
		})
	}
	read(context.Background(), "1")
	up.awaitArrivals(t, 1)
	read(context.Background(), "2") // another body
	up.awaitArrivals(t, 1)
	read(WithEnvType(context.Background(), EnvPre), "1") // the same body in the other environment
	up.awaitArrivals(t, 1)
	up.open()
	wg.Wait()
	calls := up.calls("GetFlowInstanceTasks")
	require.Len(t, calls, 3)
	assert.Contains(t, calls[2].Path, "/pre/")
}

func TestClientsWithOtherCredentialsDoNotShare(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	a := testClient(t, up.fakeUpstream, coalescing)
	b := testClient(t, up.fakeUpstream, coalescing, func(cfg *Config) { cfg.Tokens = StaticToken("other-token") })
	var wg sync.WaitGroup
	for _, c := range []*Client{a, b} {
		wg.Go(func() {
			_, err := c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1"})
			assert.NoError(t, err)
		})
	}
	up.awaitArrivals(t, 2)
	up.open()
	wg.Wait()
	calls := up.calls("GetFlowInstanceTasks")
	require.Len(t, calls, 2)
	assert.ElementsMatch(t, []string{"Bearer test-token", "Bearer other-token"}, []string{calls[0].Auth, calls[1].Auth})
}

func TestACanceledWaiterDoesNotCancelTheOthers(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	c := testClient(t, up.fakeUpstream, coalescing)
	both := joinSignal(c, 2)
	req := &InstanceTasksRequest{InstanceID: "1550046666666666660"}

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { _, err := c.GetFlowInstanceTasks(first, req); firstErr <- err }()
	up.awaitArrivals(t, 1) // the first caller's request is the one in flight
	var second *InstanceTasks
	secondErr := make(chan error, 1)
	go func() {
		var err error
		second, err = c.GetFlowInstanceTasks(context.Background(), req)
		secondErr <- err
	}()
	await(t, both, "the second caller joining the first's call")

	cancel()
	var err error
	select { // returns at once, while the call is still held at the gate
	case err = <-firstErr:
	case <-time.After(guard):
		t.Fatal("the canceled caller kept waiting")
	}
	require.ErrorIs(t, err, context.Canceled)
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindUnavailable, ue.Kind)

	up.open()
	require.NoError(t, <-secondErr)
	assert.Len(t, second.Result, 2)
	assert.Len(t, up.calls("GetFlowInstanceTasks"), 1)
}

func TestWritesAreNeverShared(t *testing.T) {
	up := newGatedUpstream(t, "PressTask", `{"Response":{"RequestId":"r","Data":{"Result":true}}}`)
	c := testClient(t, up.fakeUpstream, coalescing)
	const n = 5
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { assert.NoError(t, c.PressTask(context.Background(), "1550046666666666660")) })
	}
	up.awaitArrivals(t, n) // all five are at the upstream at once
	up.open()
	wg.Wait()
	assert.Len(t, up.calls("PressTask"), n)
}

func TestCoalescingOffSendsEveryRead(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	c := testClient(t, up.fakeUpstream, coalescing, func(cfg *Config) { cfg.Coalesce = false })
	const n = 4
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1"})
			assert.NoError(t, err)
		})
	}
	up.awaitArrivals(t, n)
	up.open()
	wg.Wait()
	assert.Len(t, up.calls("GetFlowInstanceTasks"), n)
}

func TestSharedFailuresReachEveryWaiterAsTheirOwnError(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks",
		`{"Response":{"RequestId":"r9","Error":{"Code":"ResourceNotFound","Message":"no such instance"}}}`)
	c := testClient(t, up.fakeUpstream, coalescing)
	all := joinSignal(c, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.GetFlowInstanceTasks(context.Background(), &InstanceTasksRequest{InstanceID: "1"})
		})
	}
	await(t, all, "three callers waiting on one call")
	up.open()
	wg.Wait()
	assert.Len(t, up.calls("GetFlowInstanceTasks"), 1)
	var seen []*Error
	for _, err := range errs {
		var ue *Error
		require.True(t, errors.As(err, &ue))
		assert.True(t, errors.Is(err, ErrNotFound))
		assert.Equal(t, "r9", ue.RequestID)
		for _, s := range seen {
			assert.NotSame(t, s, ue)
		}
		seen = append(seen, ue)
	}
}

func TestSharedODataReads(t *testing.T) {
	up := newGatedUpstream(t, "sys_user", `{"value":[{"_id":"1550046666666666662","name":"kong"}]}`)
	c := testClient(t, up.fakeUpstream, coalescing)
	all := joinSignal(c, 3)
	got := make([][]User, 3)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			var err error
			got[i], err = c.GetUsersByIDs(context.Background(), []ID{"1550046666666666662"})
			assert.NoError(t, err)
		})
	}
	await(t, all, "three callers waiting on one call")
	up.open()
	wg.Wait()
	assert.Len(t, up.calls("sys_user"), 1)
	for _, users := range got {
		require.Len(t, users, 1)
		assert.Equal(t, ID("1550046666666666662"), users[0].ID)
	}
}

func TestCoalescingSetting(t *testing.T) {
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := SettingsFromEnv(get(map[string]string{}))
	require.NoError(t, err)
	assert.True(t, s.Coalesce, "on by default")
	s, err = SettingsFromEnv(get(map[string]string{"UPSTREAM_COALESCE": "false"}))
	require.NoError(t, err)
	assert.False(t, s.Coalesce)
	_, err = SettingsFromEnv(get(map[string]string{"UPSTREAM_COALESCE": "sometimes"}))
	assert.ErrorContains(t, err, "UPSTREAM_COALESCE")

	c, err := NewFromSettings(Settings{BaseURL: "http://127.0.0.1:9", APIKey: "k", Coalesce: true}, nil)
	require.NoError(t, err)
	assert.NotNil(t, c.flights)
}

func TestAReadWhoseCallerIsGoneIsNotSent(t *testing.T) {
	up := newFakeUpstream(t)
	up.handle("GetFlowInstanceTasks", answer(http.StatusOK, tasksAnswer))
	c := testClient(t, up, coalescing)
	joins := 0
	c.flights.joined = func(int) { joins++ }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetFlowInstanceTasks(ctx, &InstanceTasksRequest{InstanceID: "1"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, joins, "no flight was started")
}

func TestAReadAfterAWriteDoesNotJoinACallFromBeforeIt(t *testing.T) {
	up := newGatedUpstream(t, "GetFlowInstanceTasks", tasksAnswer)
	up.handle("PressTask", answer(http.StatusOK, `{"Response":{"RequestId":"r","Data":{"Result":true}}}`))
	c := testClient(t, up.fakeUpstream, coalescing)
	req := &InstanceTasksRequest{InstanceID: "1550046666666666660"}
	var wg sync.WaitGroup
	wg.Go(func() { _, err := c.GetFlowInstanceTasks(context.Background(), req); assert.NoError(t, err) })
	up.awaitArrivals(t, 1) // a read is in flight, answered from before the write

	require.NoError(t, c.PressTask(context.Background(), "1550046666666666660"))
	wg.Go(func() { _, err := c.GetFlowInstanceTasks(context.Background(), req); assert.NoError(t, err) })
	up.awaitArrivals(t, 1) // the read after the write is a call of its own
	// and a third, identical read shares that newer call
	both := joinSignal(c, 2)
	wg.Go(func() { _, err := c.GetFlowInstanceTasks(context.Background(), req); assert.NoError(t, err) })
	await(t, both, "a read joining the call made after the write")
	up.open()
	wg.Wait()
	assert.Len(t, up.calls("GetFlowInstanceTasks"), 2)
}
