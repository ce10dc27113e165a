package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// files reads examples/*.graphql: file name → text.
func files(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("*.graphql")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out[p] = string(b)
	}
	return out
}

// TestExamplesValidate checks each file holds one named operation that is valid against
// schema.graphqls, and that no two share a name (code generators refuse that).
func TestExamplesValidate(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	require.NoError(t, err)
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	require.Nil(t, gqlErr)
	names := map[string]string{}
	for name, text := range files(t) {
		doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
		if !assert.Empty(t, errs, "%s is not valid against schema.graphqls", name) {
			continue
		}
		require.Len(t, doc.Operations, 1, "%s: one operation a file", name)
		op := doc.Operations[0].Name
		assert.NotEmpty(t, op, "%s: the operation needs a name (codegen and persisted operations need one)", name)
		assert.Empty(t, names[op], "%s and %s both name an operation %s", name, names[op], op)
		names[op] = name
		assert.True(t, strings.HasSuffix(text, "\n") && !strings.HasSuffix(text, "\n\n"), "%s ends with one newline", name)
	}
}

var graphqlBlock = regexp.MustCompile("(?ms)^```graphql\n(.*?)^```$")

// TestExamplesAreTheReadme checks README.md's graphql code blocks are exactly these files, so
// what a reader copies is what CI validates, runs and compiles.
func TestExamplesAreTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	byText := map[string]string{}
	for name, text := range files(t) {
		byText[text] = name
	}
	shown := map[string]bool{}
	for _, m := range graphqlBlock.FindAllStringSubmatch(string(readme), -1) {
		name, ok := byText[m[1]]
		if assert.True(t, ok, "README.md shows an operation that no examples/*.graphql file holds verbatim:\n%s", m[1]) {
			shown[name] = true
		}
	}
	for name := range files(t) {
		assert.True(t, shown[name], "examples/%s is not shown in README.md", name)
	}
}
