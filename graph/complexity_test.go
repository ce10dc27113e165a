package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestComplexityLimitCostsAnOperationWithoutVariablesOnce(t *testing.T) {
	es := NewExecutableSchema(Config{Complexity: Complexity()})
	limit, err := NewComplexityLimit(30000, 10)
	require.NoError(t, err)
	require.NoError(t, limit.Validate(es))
	parse := func(query string) *ast.QueryDocument { // what gqlgen's query cache hands out
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), query, nil)
		require.Empty(t, errs)
		return doc
	}
	run := func(doc *ast.QueryDocument, vars map[string]any) *gqlerror.Error {
		return limit.MutateOperationContext(context.Background(), &graphql.OperationContext{Doc: doc, Variables: vars})
	}

	small := parse(`{ users(first: 2) { nodes { name } } }`)
	require.Nil(t, run(small, nil))
	require.Equal(t, 1, limit.costs.EstimatedSize(), "the cost of an operation without variables is kept")
	limit.costs.Set(small.Operations[0], 1_000_000)
	require.NotNil(t, run(small, nil), "the same document is judged by its kept cost, not walked again")

	flood := parse(`{ viewer { workItems(box: TODO, first: 100) { nodes { instance {
		tasks(first: 100) { nodes { assignee { name } } } operations(first: 100) { nodes { operator { name } } } } } } } }`)
	refused := run(flood, nil)
	require.NotNil(t, refused)
	assert.Contains(t, refused.Message, "which exceeds the limit of 30000")
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", refused.Extensions["code"])

	// With variables the cost depends on them: costed each time, never kept.
	byVariable := parse(`query($n: Int) { viewer { workItems(box: TODO, first: $n) { nodes { instance {
		tasks(first: $n) { nodes { assignee { name } } } operations(first: $n) { nodes { operator { name } } } } } } } }`)
	require.Nil(t, run(byVariable, map[string]any{"n": 2}))
	require.NotNil(t, run(byVariable, map[string]any{"n": 100}))
	require.Nil(t, run(byVariable, map[string]any{"n": 2}))
	assert.Equal(t, 2, limit.costs.EstimatedSize())
}
