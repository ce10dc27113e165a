package workflow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/internal/redistest"
	"github.com/wedagraph/gateway/upstream"
)

// A write to try: its endpoint, and how to arrange it and call it as the actor allowed to.
type scenario struct {
	name, endpoint string
	blindCheck     bool // its effect check reads nothing (an urge leaves no trace): it cannot fail
	arrange        func(w *testbed, s *Service) func(ctx context.Context, s *Service, key string) (any, error)
}

func scenarios() []scenario {
	return []scenario{
		{"startFlow", "StartFlow", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("lihua")).StartFlow(ctx, key, StartFlow{ProcessKey: "purchase_order"})
			}
		}},
		{"completeTask", "CompleteTask", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			task := w.openTask(w.start("lihua", "leave_request").FlowInstanceID, "kongtest")
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("kongtest")).CompleteTask(ctx, key, CompleteTask{TaskID: task, Action: Approve, Comment: "同意"})
			}
		}},
		{"stopFlow", "StopFlow", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			inst := string(w.start("lihua", "purchase_order").FlowInstanceID)
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("lihua")).StopFlow(ctx, key, inst, "no longer needed")
			}
		}},
		{"pressInstance", "PressTask", true, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			inst := string(w.start("lihua", "purchase_order").FlowInstanceID)
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("lihua")).PressInstance(ctx, key, inst)
			}
		}},
		{"revokeTask(APPROVER)", "Revoke", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			task := w.approve(w.start("lihua", "leave_request").FlowInstanceID, "kongtest")
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("kongtest")).RevokeTask(ctx, key, task, AsApprover)
			}
		}},
		{"revokeTask(STARTER)", "Revoke", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			task := string(w.start("lihua", "leave_request").TaskID)
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("lihua")).RevokeTask(ctx, key, task, AsStarter)
			}
		}},
		{"addCounterSigners", "AddCounterSignAssignee", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			task := w.openTask(w.start("lihua", "leave_request").FlowInstanceID, "kongtest")
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("kongtest")).AddCounterSigners(ctx, key, task, []string{w.sb.UserID("huangmin")})
			}
		}},
		{"rollBackTask", "RollBack", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			inst := w.start("lihua", "leave_request").FlowInstanceID
			w.approve(inst, "kongtest")
			task := w.openTask(inst, "wangfang")
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("wangfang")).RollBackTask(ctx, key, RollBack{TaskID: task, TargetNodeID: "approvalNode1661763351191"})
			}
		}},
		{"submitNextApprovers", "SubmitFlowTaskList", false, func(w *testbed, s *Service) func(context.Context, *Service, string) (any, error) {
			_, pending := w.choice(s)
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("liuyang")).SubmitNextApprovers(ctx, key, []string{pending})
			}
		}},
		{"markMessages", "UpdateWorkflowMessageStatus", false, func(w *testbed, _ *Service) func(context.Context, *Service, string) (any, error) {
			msgs, err := w.direct.DescribeWorkflowMessages(context.Background(), &upstream.MessagesRequest{UserInfo: w.info("kongtest"),
				PageNo: 1, PageSize: 20, Status: upstream.MessageUnread})
			require.NoError(w.t, err)
			require.NotEmpty(w.t, msgs.ResponseList)
			id := string(msgs.ResponseList[0].MessageID)
			return func(ctx context.Context, s *Service, key string) (any, error) {
				return w.as(s, w.actor("kongtest")).MarkMessages(ctx, key, []string{id}, true)
			}
		}},
	}
}

// replicas builds the services a retry shape uses: one, or two sharing a Redis.
type shape struct {
	name     string
	replicas func(t *testing.T, w *testbed) (first, retry *Service)
	parallel int // retries sent at once
}

func shapes(t *testing.T) []shape {
	sameService := func(t *testing.T, w *testbed) (*Service, *Service) {
		s := w.service(memoryStore(t), nil)
		return s, s
	}
	return []shape{
		{"same key", sameService, 1},
		{"concurrent", sameService, 4},
		{"second replica over Redis", func(t *testing.T, w *testbed) (*Service, *Service) {
			opts, err := redis.ParseURL(redistest.Start(t))
			require.NoError(t, err)
			newReplica := func() *Service {
				client := redis.NewClient(opts)
				t.Cleanup(func() { client.Close() })
				return w.service(idempotency.NewRedis(client, time.Hour, time.Minute), idempotency.NewRedisFacts(client, time.Hour))
			}
			return newReplica(), newReplica()
		}, 2},
	}
}

// TestExactlyOnce: each write × each fault at its first attempt × each retry shape → exactly one
// write reaches WeDa, the first answer carries the right code, and every retry gets the result.
func TestExactlyOnce(t *testing.T) {
	faultList := []fault{timeoutAfter, resetAfter, badJSONAfter, emptyAfter, proxy502After, unavailable, unauthorizedOnce, effectCheckFails}
	for _, sh := range shapes(t) {
		for _, sc := range scenarios() {
			for _, ft := range faultList {
				t.Run(fmt.Sprintf("%s/%s/%s", sh.name, sc.name, faultNames[ft]), func(t *testing.T) {
					w := newTestbed(t)
					first, retry := sh.replicas(t, w)
					call := sc.arrange(w, first)
					before := w.sb.Calls(sc.endpoint)
					w.faults.arm(sc.endpoint, ft)
					const key = "retry-me"

					_, err := call(context.Background(), first, key)
					checkFirstAnswer(t, ft, err)

					if ft == effectCheckFails && !sc.blindCheck { // the retry cannot tell: it must not write, and says so
						w.faults.setFailReads(true)
						_, err := call(context.Background(), retry, key)
						require.Error(t, err)
						assert.True(t, IsCode(err, CodeUnavailable), "%v", err)
						var we *Error
						require.ErrorAs(t, err, &we)
						assert.True(t, we.OutcomeUnknown)
						w.faults.setFailReads(false)
					}
					results := make([]any, sh.parallel)
					var wg sync.WaitGroup
					for i := range results {
						wg.Go(func() {
							res, err := call(context.Background(), retry, key)
							assert.NoError(t, err, "every retry gets the result")
							results[i] = res
						})
					}
					wg.Wait()
					for _, r := range results {
						assert.Equal(t, results[0], r, "every retry gets the same result")
					}
					assert.EqualValues(t, 1, w.sb.Calls(sc.endpoint)-before, "exactly one write reached WeDa")
				})
			}
		}
	}
}

func checkFirstAnswer(t *testing.T, ft fault, err error) {
	t.Helper()
	if ft == unauthorizedOnce { // the client refreshed its token and sent it once more
		assert.NoError(t, err)
		return
	}
	require.Error(t, err)
	var ue *upstream.Error
	require.ErrorAs(t, err, &ue)
	if ft == unavailable {
		assert.False(t, ue.OutcomeUnknown, "WeDa said it failed: a retry may write")
		assert.Equal(t, upstream.KindUnavailable, ue.Kind)
		return
	}
	assert.True(t, ue.OutcomeUnknown, "the write left and no verdict came back: %v", err)
	want := map[fault]upstream.Kind{timeoutAfter: upstream.KindTimeout, effectCheckFails: upstream.KindTimeout,
		resetAfter: upstream.KindUnavailable, badJSONAfter: upstream.KindBadResponse, emptyAfter: upstream.KindBadResponse,
		proxy502After: upstream.KindUnavailable}[ft]
	assert.Equal(t, want, ue.Kind, "%v", err)
}

// A write that panics releases its key, or every retry would wait on it.
func TestPanickingWriteReleasesItsKey(t *testing.T) {
	w := newTestbed(t)
	store := memoryStore(t)
	s := w.service(store, nil)
	boom := command[int]{name: "boom", input: 1, validate: nothingToCheck,
		authorize: func(context.Context) error { return nil },
		write:     func(context.Context) (int, error) { panic("boom") }}
	ctx := context.Background()
	assert.Panics(t, func() { _, _ = run(ctx, w.as(s, w.actor("lihua")), "k", boom) })
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // a key left claimed would make Claim wait, and so fail at once here
	claim, err := store.Claim(cancelled, w.sb.UserID("lihua")+"\x00prod\x00boom\x00k", fingerprint(1))
	require.NoError(t, err, "the key was released, not left claimed")
	assert.True(t, claim.Owner())
}

// A failing store is the gateway's trouble, said as such, and nothing is sent.
func TestStoreFailureIsNotTheClientsFault(t *testing.T) {
	w := newTestbed(t)
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	s := w.service(idempotency.NewRedis(client, time.Hour, time.Minute), nil)
	before := w.sb.Calls("StartFlow")
	_, err := w.as(s, w.actor("lihua")).StartFlow(context.Background(), "k", StartFlow{ProcessKey: "purchase_order"})
	assert.True(t, IsCode(err, CodeUnavailable), "%v", err)
	assert.False(t, IsCode(err, CodeInvalidInput))
	assert.True(t, errors.Is(err, idempotency.ErrUnavailable))
	assert.EqualValues(t, 0, w.sb.Calls("StartFlow")-before)
}
