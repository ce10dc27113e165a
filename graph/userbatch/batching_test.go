package userbatch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// askers marks exactly the fields that are of the batched type or have one below them,
// through fragments and inline fragments, wherever a fragment is spread.
func TestAskersAreTheFieldsAboveABatchedType(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { viewer: Viewer, count: Int, node: Node }
		interface Node { id: ID }
		type Viewer { items: [Item], total: Int }
		type Item implements Node { id: ID, name: String, owner: User, tasks: [Task] }
		type Task { status: String }
		type User { name: String }`})
	doc, errs := gqlparser.LoadQueryWithRules(schema, `{
		viewer { total items { name tasks { status } ...Own } }
		count
		node { ... on Item { tasks { status } owner { name } } }
		again: viewer { items { ...Own } }
	}
	fragment Own on Item { owner { name } }`, nil)
	require.Empty(t, errs)
	asking := askers(doc.Operations[0], "User")

	byPath := map[string]bool{}
	var walk func(prefix string, set ast.SelectionSet)
	walk = func(prefix string, set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				byPath[prefix+s.Alias] = asking[s]
				walk(prefix+s.Alias+".", s.SelectionSet)
			case *ast.InlineFragment:
				walk(prefix, s.SelectionSet)
			case *ast.FragmentSpread:
				walk(prefix, s.Definition.SelectionSet)
			}
		}
	}
	walk("", doc.Operations[0].SelectionSet)
	assert.Equal(t, map[string]bool{
		"viewer": true, "viewer.total": false, "viewer.items": true, "viewer.items.name": false,
		"viewer.items.tasks": false, "viewer.items.tasks.status": false,
		"viewer.items.owner": true, "viewer.items.owner.name": false,
		"count": false,
		"node":  true, "node.tasks": false, "node.tasks.status": false, "node.owner": true, "node.owner.name": false,
		"again": true, "again.items": true, "again.items.owner": true, "again.items.owner.name": false,
	}, byPath)
	assert.True(t, asks(nil, doc.Operations[0].SelectionSet[0].(*ast.Field)), "without a map every field asks")
}
