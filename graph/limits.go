package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/wedagraph/gateway/graph/model"
)

func limitError(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// PersistedOnly accepts only registered operations, for mobile apps whose queries are known in
// advance: a client sends the operation's sha256 hash (Apollo's persistedQuery extension), or
// the exact text of a registered operation.
type PersistedOnly struct{ Operations map[string]string }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = PersistedOnly{}

// ExtensionName implements graphql.HandlerExtension.
func (PersistedOnly) ExtensionName() string { return "PersistedOnly" }

// Validate implements graphql.HandlerExtension.
func (PersistedOnly) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (p PersistedOnly) MutateOperationParameters(_ context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query != "" {
		if _, ok := p.Operations[QueryHash(raw.Query)]; ok {
			return nil
		}
		return limitError("PERSISTED_QUERY_REQUIRED", "this gateway runs only registered operations: send the persistedQuery hash of one")
	}
	var ext struct {
		SHA256 string `json:"sha256Hash"`
	}
	if pq, ok := raw.Extensions["persistedQuery"]; ok {
		b, _ := json.Marshal(pq)
		_ = json.Unmarshal(b, &ext)
	}
	q, ok := p.Operations[ext.SHA256]
	if !ok {
		return limitError("PERSISTED_QUERY_NOT_FOUND", "no registered operation has the hash %q", ext.SHA256)
	}
	raw.Query = q
	return nil
}

// QueryHash is the hex sha256 of an operation's text, as APQ names it.
func QueryHash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// LoadPersisted reads a JSON object of hash → operation, checking every hash.
func LoadPersisted(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted operations: %w", err)
	}
	ops := map[string]string{}
	if err := json.Unmarshal(b, &ops); err != nil {
		return nil, fmt.Errorf("persisted operations %s: want a JSON object of sha256 hash to operation: %w", path, err)
	}
	for h, q := range ops {
		if QueryHash(q) != h {
			return nil, fmt.Errorf("persisted operations %s: %s is not the sha256 of its operation", path, h)
		}
	}
	return ops, nil
}

// callCost prices a field that makes an upstream call of its own; other fields cost 1.
const callCost = 10

func page(first *int, def int) int {
	if first != nil && *first >= 0 {
		return *first
	}
	return def
}

// Complexity prices fields by the upstream calls they make and the items a page may hold, so a
// query's complexity follows its cost to WeDa. Users are batched and cost little.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	conn := func(first *int, def, child int) int { return callCost + page(first, def)*child }
	call := func(n int) func(int) int { return func(child int) int { return n*callCost + child } }
	user := func(child int) int { return 1 + child }
	users := func(child int) int { return 1 + 10*child }

	c.Query.Users = func(child int, _ *model.UserFilter, first *int, _ *string) int { return conn(first, 20, child) }
	c.Query.Instances = func(child int, _ *model.InstanceFilter, _ *model.InstanceOrder, first *int, _ *string) int {
		return conn(first, 20, child)
	}
	c.Query.Flows = func(child int, _ *model.FlowType) int { return callCost + 20*child }
	c.Query.Flow = func(child int, _ string) int { return callCost + child }
	c.Query.Instance = func(child int, _ string) int { return 2*callCost + child }
	c.Query.Task = func(child int, _ string) int { return 2*callCost + child }
	c.Query.User = func(child int, _ string) int { return user(child) }

	c.Flow.Instances = func(child int, _ *model.InstanceFilter, _ *model.InstanceOrder, first *int, _ *string) int {
		return conn(first, 20, child)
	}
	c.FlowInstance.Flow = call(1)
	c.FlowInstance.StartUser = call(2) // may need the instance's detail
	c.FlowInstance.CurrentNode = call(2)
	c.FlowInstance.Tasks = func(child int, _ *model.TaskStatus, _ *string, _ []string, first *int, _ *string) int {
		return conn(first, 50, child)
	}
	c.FlowInstance.Operations = func(child int, _ *string, first *int, _ *string) int { return conn(first, 50, child) }
	c.FlowInstance.Canvas = call(1)
	c.FlowInstance.RollbackTargets = func(child int) int { return callCost + 5*child }

	c.Task.Instance = call(1)
	c.Task.Assignee = user
	c.Task.StartUser = user
	c.Task.View = func(child int, _ *model.WorkBox) int { return callCost + child }
	c.Task.ApprovalPage = func(child int, _ *model.WorkBox) int { return 2*callCost + child }

	c.Operation.Operator = user
	c.Operation.CcUsers = users
	c.Operation.CounterSigners = users
	c.Operation.Mentions = users

	c.Viewer.User = user
	c.Viewer.WorkItems = func(child int, _ model.WorkBox, _ *model.WorkItemOrderField, _ *model.OrderDirection, first *int, _ *string) int {
		return conn(first, 20, child)
	}
	c.Viewer.WorkItemCounts = call(1)
	c.Viewer.Messages = func(child int, _ *model.MessageType, _ *model.ReadStatus, _ *string, first *int, _ *string) int {
		return conn(first, 20, child)
	}
	c.Viewer.MessageCounts = func(child int, _ *model.MessageType) int { return 2*callCost + 2*child }

	c.WorkItem.Task = call(1)
	c.WorkItem.StartUser = user
	c.WorkItem.CurrentApprovers = users
	c.Message.Task = call(2)
	return c
}
