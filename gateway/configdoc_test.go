package gateway_test

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the settings table")

// TestConfigurationDoc keeps docs/configuration.md equal to the settings table that --help prints
// and ConfigFromEnv reads: a setting added, or a default changed, without the page fails here.
// go test ./gateway -run TestConfigurationDoc -update rewrites the page.
func TestConfigurationDoc(t *testing.T) {
	const path = "../docs/configuration.md"
	want := gateway.ConfigurationMarkdown()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	have, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(have), "docs/configuration.md is stale: go test ./gateway -run TestConfigurationDoc -update")
	for _, s := range gateway.Settings() {
		assert.Contains(t, gateway.Usage(), s.Name)
		assert.Contains(t, string(have), "| `"+s.Name+"` | "+s.Default+" | ")
	}
}
