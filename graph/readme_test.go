package graph_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wedagraph/gateway/gateway"
)

// operations are the GraphQL operations users copy: the code blocks of README.md and docs/, the
// files of examples/, and GraphiQL's first query. Name → text.
func operations(t *testing.T) map[string]string {
	t.Helper()
	block := regexp.MustCompile("(?s)```graphql\n(.*?)```")
	out := map[string]string{"GraphiQL's default query": gateway.DefaultQuery}
	for _, root := range []string{"../README.md", "../docs", "../examples"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			text, err := os.ReadFile(path)
			switch {
			case err != nil:
				return err
			case strings.HasSuffix(path, ".graphql"):
				out[path] = string(text)
			case strings.HasSuffix(path, ".md"):
				for i, b := range block.FindAllStringSubmatch(string(text), -1) {
					out[path+"#"+string(rune('a'+i))] = b[1]
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	return out
}

// TestDocsExamplesAreValid keeps the operations users copy true to the schema.
func TestDocsExamplesAreValid(t *testing.T) {
	schema := loadSchema(t)
	ops := operations(t)
	require.GreaterOrEqual(t, len(ops), 8, "README.md, docs/ and examples/ show queries and mutations")
	for name, text := range ops {
		_, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
		assert.Empty(t, errs, "%s:\n%s", name, text)
	}
}

// TestOperationsSelectEveryID: wherever an operation users copy selects an object whose type has
// an id, it selects the id, so Apollo Client's and urql's normalized caches key the object and a
// mutation's payload or a second query updates it instead of replacing or missing it.
func TestOperationsSelectEveryID(t *testing.T) {
	schema := loadSchema(t)
	for name, text := range operations(t) {
		doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
		if errs != nil {
			continue // TestDocsExamplesAreValid reports it
		}
		for _, op := range doc.Operations {
			for _, miss := range missingIDs(schema, op.SelectionSet, op.Name) {
				t.Errorf("%s: %s selects no id", name, miss)
			}
		}
	}
}

// missingIDs lists the paths under path whose selections leave out the id of a type that has one.
func missingIDs(schema *ast.Schema, set ast.SelectionSet, path string) []string {
	var out []string
	for _, f := range fields(set) {
		if len(f.SelectionSet) == 0 || f.Definition == nil {
			continue
		}
		at := path + "." + f.Alias
		typ := schema.Types[f.Definition.Type.Name()]
		if typ != nil && typ.Fields.ForName("id") != nil && !selectsID(f.SelectionSet) {
			out = append(out, at+" ("+typ.Name+")")
		}
		out = append(out, missingIDs(schema, f.SelectionSet, at)...)
	}
	return out
}

// fields are a selection set's fields, fragments' included.
func fields(set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, fields(s.SelectionSet)...)
		case *ast.FragmentSpread:
			out = append(out, fields(s.Definition.SelectionSet)...)
		}
	}
	return out
}

// selectsID tells whether the object's id comes with its first part: a deferred fragment's id
// comes later, after the cache has stored the object without one.
func selectsID(set ast.SelectionSet) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "id" && s.Alias == "id" {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") == nil && selectsID(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") == nil && selectsID(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}
