package gateway

import (
	"fmt"
	"log/slog"

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
		"sandbox", sb.URL, "demo_user", sandbox.DemoUser, "demo_user_id", sb.UserID(sandbox.DemoUser),
		"colleague", sandbox.Colleague, "colleague_id", sb.UserID(sandbox.Colleague))
	// X-Weda-User-Id takes an id, not a login name: every seeded user's, for trying others.
	users := make([]any, 0, len(sandbox.SeedUsers()))
	for _, u := range sandbox.SeedUsers() {
		users = append(users, slog.String(u.Name, u.ID))
	}
	g.log.Info("sandbox users: name the viewer by id in the X-Weda-User-Id header", slog.Group("users", users...))
	return nil
}

// DefaultQuery is what GraphiQL first shows: the inbox screen. It selects every object's id, as
// the examples do, so what a developer copies from here keeps a client cache right.
const DefaultQuery = `# The viewer's inbox: to-do items with each instance's tasks and history.
query Inbox {
  viewer {
    id
    user { id name }
    workItemCounts { id todo done cc }
    workItems(box: TODO, first: 5) {
      totalCount
      nodes {
        id
        name
        startTime
        currentNode { id name }
        instance {
          id
          status
          tasks { nodes { id node { id name } assignee { id name } status } }
          operations { nodes { action comment operator { id name } time } }
        }
      }
    }
  }
}
`
