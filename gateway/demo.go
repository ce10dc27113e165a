package gateway

import (
	"fmt"

	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// startSandbox starts the embedded sandbox on a loopback port and points settings at it: the
// gateway then talks to it over HTTP through the same client as to WeDa.
func (g *Gateway) startSandbox(settings *upstream.Settings) error {
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Seed: g.cfg.SandboxSeed}, g.log)
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	g.sandbox = sb
	settings.BaseURL, settings.SecretID, settings.SecretKey, settings.APIKey = sb.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, ""
	g.log.Warn("no WeDa environment configured (WEDA_ENV_ID or WEDA_BASE_URL): serving the embedded sandbox",
		"sandbox", sb.URL, "demo_user", sandbox.DemoUser)
	return nil
}

// DefaultQuery is what GraphiQL first shows: the inbox screen.
const DefaultQuery = `# The viewer's inbox: to-do items with each instance's tasks and history.
query Inbox {
  viewer {
    user { name }
    workItemCounts { todo done cc }
    workItems(box: TODO, first: 5) {
      totalCount
      nodes {
        name
        startTime
        currentNode { name }
        instance {
          status
          tasks { nodes { node { name } assignee { name } status } }
          operations { nodes { action comment operator { name } time } }
        }
      }
    }
  }
}
`
