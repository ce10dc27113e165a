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
)

// TestDocsExamplesAreValid keeps the queries and mutations of README.md and docs/ true to the
// schema.
func TestDocsExamplesAreValid(t *testing.T) {
	schema := loadSchema(t)
	block := regexp.MustCompile("(?s)```graphql\n(.*?)```")
	n := 0
	for _, root := range []string{"../README.md", "../docs"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
				return err
			}
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, b := range block.FindAllStringSubmatch(string(text), -1) {
				n++
				_, errs := gqlparser.LoadQueryWithRules(schema, b[1], nil)
				assert.Empty(t, errs, "%s example:\n%s", path, b[1])
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, n, 6, "README.md and docs/ show queries and mutations")
}
