package metrics

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The operation label's values besides real operation names.
const (
	OperationAnonymous = "anonymous" // an operation without a name
	OperationOther     = "other"     // a name past the first MaxOperationNames, or of a refused document
)

// MaxOperationNames is how many distinct operation names, besides the registered ones, get a
// label value of their own; later names count as "other". Clients choose the names, so without
// a bound each new name would be a new series in every scrape, for ever.
const MaxOperationNames = 100

// operationNames decides each operation's label value: registered (persisted) names always keep
// theirs, and so do the first names seen; the rest share one bucket.
type operationNames struct {
	mu    sync.Mutex
	known map[string]bool
	room  int // how many more names may join
}

func newOperationNames(registered []string, max int) *operationNames {
	n := &operationNames{known: map[string]bool{}, room: max}
	for _, name := range registered {
		if name != "" {
			n.known[name] = true
		}
	}
	return n
}

// label is name's label value. admit says whether a new name may take a place: only names of
// documents that passed validation do, so refused garbage cannot use up the places.
func (n *operationNames) label(name string, admit bool) string {
	if name == "" {
		return OperationAnonymous
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.known[name]:
		return name
	case admit && n.room > 0:
		n.known[name] = true
		n.room--
		return name
	}
	return OperationOther
}

// Operations is a gqlgen extension counting GraphQL operations and timing them, by operation
// name (bounded: see MaxOperationNames) and outcome ("ok", or "error" when any part of the answer
// carried an error). registered are names that always keep their label (the persisted operations).
// A subscription is counted once, when it starts, and not timed. Operations refused before they
// ran (parse, validation, bounds, persisted-only) count as errors; their name keeps its label only
// if it already has one, and a document too broken to name its operation counts as "other".
func (m *Metrics) Operations(registered []string, maxNames int) graphql.HandlerExtension {
	return operations{m: m, names: newOperationNames(registered, maxNames)}
}

type operations struct {
	m     *Metrics
	names *operationNames
}

type countedKey struct{}

func (operations) ExtensionName() string                   { return "OperationMetrics" }
func (operations) Validate(graphql.ExecutableSchema) error { return nil }

func (o operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	label := o.names.label(operationName(oc), true)
	responses := next(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		o.m.operations.WithLabelValues(label, "ok").Inc()
		return func(ctx context.Context) *graphql.Response {
			return responses(context.WithValue(ctx, countedKey{}, true))
		}
	}
	var failed atomic.Bool
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := responses(context.WithValue(ctx, countedKey{}, true))
		if resp != nil && len(resp.Errors) > 0 {
			failed.Store(true)
		}
		if resp == nil || resp.HasNext == nil || !*resp.HasNext { // the last part (@defer) or the only one
			once.Do(func() { o.observe(label, oc, failed.Load()) })
		}
		return resp
	}
}

// InterceptResponse counts the answers of operations that never ran: refused documents.
func (o operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || ctx.Value(countedKey{}) != nil || !graphql.HasOperationContext(ctx) {
		return resp // counted by InterceptOperation, or no request could be read at all
	}
	oc := graphql.GetOperationContext(ctx)
	label := OperationOther // a document that could not be read or validated: its name is unknown
	if name := operationName(oc); name != "" || oc.Operation != nil {
		label = o.names.label(name, false)
	}
	o.observe(label, oc, len(resp.Errors) > 0)
	return resp
}

func (o operations) observe(label string, oc *graphql.OperationContext, failed bool) {
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	o.m.operations.WithLabelValues(label, outcome).Inc()
	if !oc.Stats.OperationStart.IsZero() {
		o.m.operationDuration.WithLabelValues(label).Observe(time.Since(oc.Stats.OperationStart).Seconds())
	}
}

// operationName is the name the client chose, or the operation's own when it sent none.
func operationName(oc *graphql.OperationContext) string {
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	return oc.OperationName
}
