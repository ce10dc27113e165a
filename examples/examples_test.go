package examples

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
	"github.com/wedagraph/gateway/graph"
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
// the schema (schema/*.graphqls), and that no two share a name (code generators refuse that).
func TestExamplesValidate(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	names := map[string]string{}
	for name, text := range files(t) {
		doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
		if !assert.Empty(t, errs, "%s is not valid against the schema", name) {
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

// docs reads README.md and every page under docs/: path → text.
func docs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range []string{"../README.md", "../docs"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
				return err
			}
			b, err := os.ReadFile(path)
			out[path] = string(b)
			return err
		})
		require.NoError(t, err)
	}
	return out
}

// TestExamplesAreTheDocs checks the graphql code blocks of README.md and docs/ are exactly these
// files, and each file is shown somewhere, so what a reader copies is what CI validates, runs
// and compiles.
func TestExamplesAreTheDocs(t *testing.T) {
	byText := map[string]string{}
	for name, text := range files(t) {
		byText[text] = name
	}
	shown := map[string]bool{}
	for page, text := range docs(t) {
		for _, m := range graphqlBlock.FindAllStringSubmatch(text, -1) {
			name, ok := byText[m[1]]
			if assert.True(t, ok, "%s shows an operation that no examples/*.graphql file holds verbatim:\n%s", page, m[1]) {
				shown[name] = true
			}
		}
	}
	for name := range files(t) {
		assert.True(t, shown[name], "examples/%s is shown neither in README.md nor in docs/", name)
	}
}

// TestDocsLinksResolve: every relative link of README.md and docs/ names a file or folder that
// exists, so moving a page cannot strand a reader.
func TestDocsLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`)
	for page, text := range docs(t) {
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			_, err := os.Stat(filepath.Join(filepath.Dir(page), target))
			assert.NoError(t, err, "%s links to %s", page, target)
		}
	}
}
