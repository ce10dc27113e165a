package gateway_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/graph"
)

// TestScreensFitTheComplexityLimit keeps the default limit between the screens clients need and
// the queries that would flood WeDa.
func TestScreensFitTheComplexityLimit(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	es := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}, Complexity: graph.Complexity()})
	cost := func(q string) int {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), q, nil)
		require.Empty(t, errs)
		return complexity.Calculate(context.Background(), es, doc.Operations[0], nil)
	}
	inbox := cost(inboxQuery)
	flood := cost(`{ viewer { workItems(box: TODO, first: 100) { nodes { instance {
		tasks(first: 100) { nodes { assignee { name } } } operations(first: 100) { nodes { operator { name } } } } } } } }`)
	t.Logf("complexity: inbox screen %d, flood %d, limit %d", inbox, flood, cfg.Limits.MaxComplexity)
	assert.Less(t, inbox, cfg.Limits.MaxComplexity*6/10, "room to spare for the inbox screen")
	assert.Greater(t, flood, cfg.Limits.MaxComplexity)
}
