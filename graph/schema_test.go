package graph_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/wedagraph/gateway/graph"
)

// TestEverythingIsDescribed fails for any type, field, argument, input field or enum value of
// schema.graphqls without a description: developers explore the graph in GraphiQL and generate
// clients from it, and the descriptions are its documentation.
func TestEverythingIsDescribed(t *testing.T) {
	schema := loadSchema(t)

	var missing []string
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if strings.TrimSpace(def.Description) == "" {
			missing = append(missing, "type "+name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				missing = append(missing, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					missing = append(missing, name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				missing = append(missing, name+"."+v.Name)
			}
		}
	}
	assert.Empty(t, missing, "add a description to each of these")
}

// TestEnumsHaveUnknown keeps every enum of an upstream code able to carry codes no table lists.
func TestEnumsHaveUnknown(t *testing.T) {
	schema := loadSchema(t)
	for _, name := range []string{"UserSource", "InstanceStatus", "TaskStatus", "OperationAction", "NodeKind",
		"ProgressStatus", "MessageType", "UserTaskType"} {
		def := schema.Types[name]
		require.NotNil(t, def, name)
		assert.NotNil(t, def.EnumValues.ForName("UNKNOWN"), "%s has no UNKNOWN member", name)
	}
}

// TestPayloadsCarryTheViewer: every mutation's payload offers the viewer, so a screen re-reads
// its counts and boxes in the mutation's own round trip instead of refetching them.
func TestPayloadsCarryTheViewer(t *testing.T) {
	schema := loadSchema(t)
	for _, f := range schema.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		payload := schema.Types[f.Type.Name()]
		require.NotNil(t, payload, f.Name)
		v := payload.Fields.ForName("viewer")
		if assert.NotNil(t, v, "%s's payload %s has no viewer", f.Name, payload.Name) {
			assert.Equal(t, "Viewer", v.Type.Name())
		}
	}
}

// loadSchema is the schema gqlgen compiled from schema/*.graphqls.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{}).Schema()
}
