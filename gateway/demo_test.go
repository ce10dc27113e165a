package gateway_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream/sandbox"
)

// readme is README.md's text.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	return string(b)
}

// TestReadmeDemoUsersAreTheSandboxes: the README's table of demo users names each by the login
// name and id the sandbox seeds, starting with the demo user and the colleague who handles his
// expense claims; and the colleague does have one of them to approve.
func TestReadmeDemoUsersAreTheSandboxes(t *testing.T) {
	rows := regexp.MustCompile("(?m)^\\| `(\\w+)` \\([^)]*\\) \\| `(\\d+)` \\|").FindAllStringSubmatch(readme(t), -1)
	require.Len(t, rows, 2, "README.md's demo users table")
	assert.Equal(t, sandbox.DemoUser, rows[0][1])
	assert.Equal(t, sandbox.Colleague, rows[1][1])
	h := newHarness(t)
	for _, r := range rows {
		assert.Equal(t, h.userID(r[1]), r[2], "%s's id", r[1])
	}

	var box struct {
		Viewer struct {
			WorkItems struct {
				Nodes []struct {
					CanApprove bool
					StartUser  struct{ ID string }
				}
			}
		}
	}
	h.ok(h.userID(sandbox.Colleague), `{ viewer { workItems(box: TODO, first: 100) { nodes { canApprove startUser { id } } } } }`, nil, &box)
	approvable := 0
	for _, n := range box.Viewer.WorkItems.Nodes {
		if n.CanApprove && n.StartUser.ID == h.me {
			approvable++
		}
	}
	assert.Positive(t, approvable, "%s can approve a request of %s's", sandbox.Colleague, sandbox.DemoUser)
}

// TestReadmeCurlRunsAsTheDemoUser sends the README's curl request, header and body as written.
func TestReadmeCurlRunsAsTheDemoUser(t *testing.T) {
	m := regexp.MustCompile(`(?s)curl -s localhost:8080/graphql -H 'X-Weda-User-Id: (\d+)'.*?-d '([^']*)'`).FindStringSubmatch(readme(t))
	require.NotNil(t, m, "README.md's curl example")
	var body struct{ Query string }
	require.NoError(t, json.Unmarshal([]byte(m[2]), &body))
	h := newHarness(t)
	var data struct {
		Viewer struct {
			ID   string
			User struct{ Name string }
		}
	}
	h.ok(m[1], body.Query, nil, &data)
	assert.Equal(t, sandbox.DemoUser, data.Viewer.User.Name)
	assert.Equal(t, m[1], data.Viewer.ID)
}

// TestLoginNameForAViewerIsExplained: naming the viewer by login name, as people try first, is
// answered with what to send instead, not with a bare "does not exist" and a silent null user.
func TestLoginNameForAViewerIsExplained(t *testing.T) {
	h := newHarness(t)
	res := h.query(sandbox.DemoUser, `{ viewer { user { name } workItemCounts { todo } } }`, nil)
	byField := map[string]gqlError{}
	for _, e := range res.Errors {
		require.NotEmpty(t, e.Path)
		byField[e.Path[len(e.Path)-1].(string)] = e
	}
	user, counts := byField["user"], byField["workItemCounts"]
	assert.Equal(t, "NOT_FOUND", user.Extensions["code"], "viewer.user is an error, not a silent null")
	assert.Contains(t, user.Message, "user id")
	assert.Contains(t, user.Message, "not a login name")

	assert.Equal(t, "NOT_FOUND", counts.Extensions["code"])
	assert.Contains(t, counts.Message, "not by login name", "the sandbox says an id is expected")
	for _, u := range sandbox.SeedUsers() {
		assert.Contains(t, counts.Message, u.Name+" "+u.ID, "the sandbox names its users by name and id")
	}
}

// TestStartLogNamesTheDemoUsersIDs: `go run .` logs the ids the X-Weda-User-Id header takes.
func TestStartLogNamesTheDemoUsersIDs(t *testing.T) {
	var logs bytes.Buffer
	w := &lockedWriter{w: &logs}
	serve(t, map[string]string{}, w)
	w.mu.Lock() // the gateway's goroutines may still log
	text := logs.String()
	w.mu.Unlock()
	var start struct {
		DemoUserID  string `json:"demo_user_id"`
		ColleagueID string `json:"colleague_id"`
	}
	var users map[string]string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "serving the embedded sandbox") {
			require.NoError(t, json.Unmarshal([]byte(line), &start))
		}
		if strings.Contains(line, `"users":`) {
			var l struct{ Users map[string]string }
			require.NoError(t, json.Unmarshal([]byte(line), &l))
			users = l.Users
		}
	}
	seeded := map[string]string{}
	for _, u := range sandbox.SeedUsers() {
		seeded[u.Name] = u.ID
	}
	assert.Equal(t, seeded[sandbox.DemoUser], start.DemoUserID)
	assert.Equal(t, seeded[sandbox.Colleague], start.ColleagueID)
	assert.Equal(t, seeded, users)
}
