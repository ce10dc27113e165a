package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
)

// TestReadmeExamplesAreValid keeps README.md's queries and mutations true to the schema.
func TestReadmeExamplesAreValid(t *testing.T) {
	schema := loadSchema(t)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(blocks), 6, "the README shows queries and mutations")
	for _, b := range blocks {
		_, errs := gqlparser.LoadQueryWithRules(schema, b[1], nil)
		assert.Empty(t, errs, "README example:\n%s", b[1])
	}
}
