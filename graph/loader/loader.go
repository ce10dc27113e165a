// Package loader sits between the resolvers and the upstream client. One Loaders value lives
// for one GraphQL request: identical upstream calls within it are made once, independent calls
// run concurrently under a cap, users are fetched in batches, and a ceiling bounds how many
// calls one request may make.
//
// Loaders are never shared across requests: a batch runs with its first caller's context, and
// one user's cancellation or identity must not leak into another's request.
package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/wedagraph/gateway/upstream"
)

// Config bounds one request's upstream work.
type Config struct {
	MaxConcurrent int          // upstream calls in flight at once; default 64
	MaxCalls      int          // upstream calls in all; default 200
	Log           *slog.Logger // where a panic in an upstream call is reported; default discards
}

// SharedLoadTimeout bounds a load made for the cross-request cache, which runs detached from
// the request that happened to ask first.
const SharedLoadTimeout = 30 * time.Second

// internalError is what every asker of a call that panicked gets: the field's
// INTERNAL_SERVER_ERROR. A new value each time, since gqlgen sets each error's path.
func internalError() error {
	return &gqlerror.Error{Message: "internal server error", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}
}

// panicked is the error a recovered panic becomes inside the loaders.
type panicked struct{ value any }

func (p *panicked) Error() string { return fmt.Sprintf("panic in an upstream call: %v", p.value) }

// guard runs fn, turning a panic into a *panicked error (logged with its stack), so that a bug
// in one call fails that call's fields and never leaves waiters hanging or kills the process.
func guard(log *slog.Logger, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic in an upstream call", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = &panicked{value: p}
		}
	}()
	return fn()
}

// presentable hides a recovered panic behind the field's INTERNAL_SERVER_ERROR.
func presentable(err error) error {
	if err == nil { // the usual case, without errors.As's allocation
		return nil
	}
	var p *panicked
	if errors.As(err, &p) {
		return internalError()
	}
	return err
}

// CallLimitError is returned once a request has made its allowed number of upstream calls.
type CallLimitError struct{ Max int }

func (e *CallLimitError) Error() string {
	return fmt.Sprintf("this query needs more than %d upstream calls; ask for fewer items or fewer nested lists", e.Max)
}

// Loaders is one request's view of the upstream.
type Loaders struct {
	client *upstream.Client
	sem    chan struct{}
	max    int64
	calls  atomic.Int64

	mu   sync.Mutex
	memo map[string]*entry

	users  *userBatcher
	shared *Shared // across requests; nil when off
	log    *slog.Logger

	// stopped ends with Abort: every call's context ends with it (abort.go).
	stopped context.Context
	stop    context.CancelCauseFunc
}

type entry struct {
	done chan struct{}
	val  any
	err  error
}

// New returns the loaders for one request; shared may be nil.
func New(client *upstream.Client, cfg Config, shared *Shared) *Loaders {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 200
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l := &Loaders{client: client, sem: make(chan struct{}, cfg.MaxConcurrent), max: int64(cfg.MaxCalls),
		memo: map[string]*entry{}, shared: shared, log: cfg.Log}
	l.stopped, l.stop = context.WithCancelCause(context.Background())
	l.users = newUserBatcher(l)
	return l
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders; it panics when the middleware did not install them, a
// wiring bug that the recover func turns into an internal error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders on the context")
	}
	return l
}

// Calls reports how many upstream calls the request has made.
func (l *Loaders) Calls() int64 { return l.calls.Load() }

// Shared is the cross-request cache, or nil.
func (l *Loaders) Shared() *Shared { return l.shared }

// Client is the upstream client, for writes (which are never memoized).
func (l *Loaders) Client() *upstream.Client { return l.client }

// Do runs fn as one upstream call under the request's cap and ceiling. Writes use it directly.
func (l *Loaders) Do(ctx context.Context, fn func(context.Context) error) error {
	ctx, release := l.abortable(ctx)
	defer release()
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-l.sem }()
	if err := context.Cause(ctx); err != nil {
		return err // aborted while it waited: never sent
	}
	if l.calls.Add(1) > l.max {
		return &CallLimitError{Max: int(l.max)}
	}
	err := presentable(guard(l.log, func() error { return fn(ctx) }))
	if cause := l.Aborted(); err != nil && cause != nil {
		return cause // what the caller is told, rather than how the call broke off
	}
	return err
}

// memo makes the call named by key at most once per request; concurrent askers wait for it.
func memo[T any](ctx context.Context, l *Loaders, key string, fn func(context.Context) (T, error)) (T, error) {
	l.mu.Lock()
	e, found := l.memo[key]
	if !found {
		e = &entry{done: make(chan struct{})}
		l.memo[key] = e
	}
	l.mu.Unlock()
	if !found {
		func() {
			defer close(e.done) // whatever happens, the waiters are released
			e.err = l.Do(ctx, func(ctx context.Context) error {
				v, err := fn(ctx)
				e.val = v
				return err
			})
		}()
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	v, _ := e.val.(T)
	return v, own(e.err)
}

// own gives each asker of a shared answer its own internal error value.
func own(err error) error {
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
		return internalError()
	}
	return err
}

func key(endpoint string, req any) string {
	var b []byte
	if m, ok := req.(json.Marshaler); ok { // the client's request bodies write themselves
		b, _ = m.MarshalJSON()
	} else {
		b, _ = json.Marshal(req)
	}
	return endpoint + ":" + string(b)
}

// Forget drops memoized answers, so reads after a write see the new state.
func (l *Loaders) Forget() {
	l.mu.Lock()
	l.memo = map[string]*entry{}
	l.mu.Unlock()
	l.users.forget()
}

// --- users ---

// User returns a user by id, batched with every other lookup of the request; nil when unknown.
func (l *Loaders) User(ctx context.Context, id string) (*upstream.User, error) {
	if id == "" {
		return nil, nil
	}
	users, err := l.users.load(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// Users returns the users with the given ids that exist, in order, in one batch.
func (l *Loaders) Users(ctx context.Context, ids []string) ([]*upstream.User, error) {
	users, err := l.users.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*upstream.User, 0, len(users))
	for _, u := range users {
		if u != nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// ListUsers queries users with OData options.
func (l *Loaders) ListUsers(ctx context.Context, q upstream.UserQuery) (*upstream.UserList, error) {
	return memo(ctx, l, key("sys_user", q), func(ctx context.Context) (*upstream.UserList, error) {
		return l.client.ListUsers(ctx, q)
	})
}

// --- workflow reads ---

// Flows lists the deployed flows of a type.
func (l *Loaders) Flows(ctx context.Context, flowType int) (*upstream.DeployedFlows, error) {
	if l.shared != nil {
		return l.cachedFlows(ctx, flowType)
	}
	return memo(ctx, l, key("ListDeployedFlows", flowType), func(ctx context.Context) (*upstream.DeployedFlows, error) {
		return l.client.ListDeployedFlows(ctx, flowType)
	})
}

// Instances lists flow instances.
func (l *Loaders) Instances(ctx context.Context, req upstream.FlowInstancesRequest) (*upstream.FlowInstances, error) {
	return memo(ctx, l, key("GetFlowInstances", req), func(ctx context.Context) (*upstream.FlowInstances, error) {
		return l.client.GetFlowInstances(ctx, &req)
	})
}

// Tasks lists an instance's tasks.
func (l *Loaders) Tasks(ctx context.Context, req upstream.InstanceTasksRequest) (*upstream.InstanceTasks, error) {
	return memo(ctx, l, key("GetFlowInstanceTasks", req), func(ctx context.Context) (*upstream.InstanceTasks, error) {
		return l.client.GetFlowInstanceTasks(ctx, &req)
	})
}

// Operations lists an instance's history.
func (l *Loaders) Operations(ctx context.Context, req upstream.InstanceOperationsRequest) (*upstream.InstanceOperations, error) {
	return memo(ctx, l, key("GetFlowInstanceOperations", req), func(ctx context.Context) (*upstream.InstanceOperations, error) {
		return l.client.GetFlowInstanceOperations(ctx, &req)
	})
}

// Describe reads the instance behind a task.
func (l *Loaders) Describe(ctx context.Context, req upstream.DescribeInstanceRequest) (*upstream.ProcessInstance, error) {
	return memo(ctx, l, key("DescribeProcessInstance", req), func(ctx context.Context) (*upstream.ProcessInstance, error) {
		return l.client.DescribeProcessInstance(ctx, &req)
	})
}

// ApprovalPage reads a task's approval page.
func (l *Loaders) ApprovalPage(ctx context.Context, req upstream.ApprovalPageRequest) (*upstream.ApprovalPage, error) {
	return memo(ctx, l, key("GetApprovalPageDetail", req), func(ctx context.Context) (*upstream.ApprovalPage, error) {
		return l.client.GetApprovalPageDetail(ctx, &req)
	})
}

// Canvas reads an instance's diagram.
func (l *Loaders) Canvas(ctx context.Context, instanceID, flowCode string) (*upstream.Canvas, error) {
	return memo(ctx, l, key("GetProcessCanvasInfo", [2]string{instanceID, flowCode}), func(ctx context.Context) (*upstream.Canvas, error) {
		return l.client.GetProcessCanvasInfo(ctx, upstream.ID(instanceID), upstream.ID(flowCode))
	})
}

// RollbackTargets lists the nodes an instance may go back to.
func (l *Loaders) RollbackTargets(ctx context.Context, instanceID string) ([]upstream.RollbackTarget, error) {
	return memo(ctx, l, key("GetPreElementList", instanceID), func(ctx context.Context) ([]upstream.RollbackTarget, error) {
		return l.client.GetPreElementList(ctx, upstream.ID(instanceID))
	})
}

// WorkItems lists one workbench box.
func (l *Loaders) WorkItems(ctx context.Context, req upstream.WorkItemsRequest) (*upstream.WorkItems, error) {
	return memo(ctx, l, key("ListProcessInstances", req), func(ctx context.Context) (*upstream.WorkItems, error) {
		return l.client.ListProcessInstances(ctx, &req)
	})
}

// BoxCounts counts every workbench box of a user.
func (l *Loaders) BoxCounts(ctx context.Context, user upstream.UserInfo) ([]upstream.BoxCount, error) {
	return memo(ctx, l, key("ListProcessInstancesCount", user), func(ctx context.Context) ([]upstream.BoxCount, error) {
		return l.client.ListProcessInstancesCount(ctx, user, "")
	})
}

// Messages lists a user's messages.
func (l *Loaders) Messages(ctx context.Context, req upstream.MessagesRequest) (*upstream.Messages, error) {
	return memo(ctx, l, key("DescribeWorkflowMessages", req), func(ctx context.Context) (*upstream.Messages, error) {
		return l.client.DescribeWorkflowMessages(ctx, &req)
	})
}

// MessageCount counts a user's messages of a type.
func (l *Loaders) MessageCount(ctx context.Context, user upstream.UserInfo, messageType int) ([]upstream.MessageCount, error) {
	return memo(ctx, l, key("DescribeWorkflowMessageCount", []any{user, messageType}), func(ctx context.Context) ([]upstream.MessageCount, error) {
		return l.client.DescribeWorkflowMessageCount(ctx, user, messageType)
	})
}
