package delivery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Every @defer gets a label of its own, wherever it stands (inline, on a spread, inside a
// fragment), and the client's label comes back from it unchanged.
func TestEveryDeferGetsItsOwnLabel(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `
		query { a { ... @defer { b ... @defer(label: "x") { c } } ...F @defer(label: "x") ... @defer(if: false) { d } } }
		fragment F on A { e ... @defer { f } }`})
	if err != nil {
		t.Fatal(err)
	}
	labelDocument(doc)
	var labels []string
	var walk func(ast.SelectionSet)
	collect := func(ds ast.DirectiveList) {
		if d := ds.ForName("defer"); d != nil {
			labels = append(labels, d.Arguments.ForName("label").Value.Raw)
			if d.Arguments.ForName("if") == nil && len(d.Arguments) != 1 {
				t.Errorf("arguments lost or doubled: %v", d.Arguments)
			}
		}
	}
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				collect(s.Directives)
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				collect(s.Directives)
			}
		}
	}
	walk(doc.Operations[0].SelectionSet)
	walk(doc.Fragments[0].SelectionSet)
	assert.Len(t, labels, 5)
	seen := map[string]bool{}
	for _, l := range labels {
		assert.False(t, seen[l], "label %q given twice", l)
		seen[l] = true
	}
	var given []string
	for _, l := range labels {
		given = append(given, clientLabel(l))
	}
	assert.ElementsMatch(t, []string{"", "x", "x", "", ""}, given)
	assert.Equal(t, "plain", clientLabel("plain"), "a label not given here is left alone")
}

// A deferred fragment directly in another stands beside it once labelled, with the outer one's
// type condition and @include: each part then carries its own fields.
func TestNestedDefersAreHoisted(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `
		query($on: Boolean!) { a { ... @defer { b ... @defer { c } } ... on A @include(if: $on) @defer { d ... @defer { e } } } }`})
	if err != nil {
		t.Fatal(err)
	}
	labelDocument(doc)
	a := doc.Operations[0].SelectionSet[0].(*ast.Field)
	require.Len(t, a.SelectionSet, 4)
	for _, sel := range a.SelectionSet {
		f := sel.(*ast.InlineFragment)
		for _, child := range f.SelectionSet {
			if inner, ok := child.(*ast.InlineFragment); ok && f.Directives.ForName("defer") != nil {
				assert.Nil(t, inner.Directives.ForName("defer"), "a deferred fragment directly in another")
			}
		}
	}
	wrapper := a.SelectionSet[3].(*ast.InlineFragment)
	assert.Equal(t, "A", wrapper.TypeCondition)
	assert.NotNil(t, wrapper.Directives.ForName("include"))
	assert.Nil(t, wrapper.Directives.ForName("defer"), "the wrapper itself is not deferred")
}
