package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ComplexityLimit refuses an operation that costs more than Limit, like gqlgen's
// extension.FixedComplexityLimit (same message, same COMPLEXITY_LIMIT_EXCEEDED code), but
// computes the cost of an operation without variables once per parsed document: the same screen
// sent again costs a map lookup, not a walk of its fields. An operation with variables (a page
// size passed as $first) is costed each time, since its cost depends on them.
type ComplexityLimit struct {
	schema graphql.ExecutableSchema
	limit  int
	// costs is keyed by the operation's node in a document of gqlgen's query cache: the same
	// text parses to the same node while it stays cached there.
	costs *otter.Cache[*ast.OperationDefinition, int]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*ComplexityLimit)(nil)

// NewComplexityLimit returns the extension, remembering the costs of up to size operations.
func NewComplexityLimit(limit, size int) (*ComplexityLimit, error) {
	costs, err := otter.New(&otter.Options[*ast.OperationDefinition, int]{MaximumSize: max(size, 1)})
	if err != nil {
		return nil, fmt.Errorf("complexity cache: %w", err)
	}
	return &ComplexityLimit{limit: limit, costs: costs}, nil
}

// ExtensionName implements graphql.HandlerExtension.
func (*ComplexityLimit) ExtensionName() string { return "ComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (c *ComplexityLimit) Validate(schema graphql.ExecutableSchema) error {
	c.schema = schema
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (c *ComplexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil // gqlgen has refused it already
	}
	cost, ok := 0, false
	if len(op.VariableDefinitions) == 0 {
		cost, ok = c.costs.GetIfPresent(op)
	}
	if !ok {
		cost = complexity.Calculate(ctx, c.schema, op, oc.Variables)
		if len(op.VariableDefinitions) == 0 {
			c.costs.Set(op, cost)
		}
	}
	if cost > c.limit {
		return limitError("COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity %d, which exceeds the limit of %d", cost, c.limit)
	}
	return nil
}
