package gateway_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/graph"
)

func persisted(hash, query string) []byte {
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if query != "" {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	return b
}

func TestAutomaticPersistedQueries(t *testing.T) {
	h := newHarness(t)
	me := map[string]string{"X-Weda-User-Id": h.me}
	q := `{ viewer { id } }`
	hash := graph.QueryHash(q)

	_, res := h.raw(me, persisted(hash, ""))
	require.NotEmpty(t, res.Errors)
	assert.Equal(t, "PERSISTED_QUERY_NOT_FOUND", res.Errors[0].Extensions["code"], "the client must send the text once")

	_, res = h.raw(me, persisted(hash, q))
	assert.Empty(t, res.Errors)
	_, res = h.raw(me, persisted(hash, ""))
	assert.Empty(t, res.Errors, "then the hash alone is enough")
	assert.Contains(t, string(res.Data), h.me)
}

func TestPersistedOperationsOnly(t *testing.T) {
	q := `{ viewer { workItemCounts { todo } } }`
	file := filepath.Join(t.TempDir(), "operations.json")
	ops, _ := json.Marshal(map[string]string{graph.QueryHash(q): q})
	require.NoError(t, os.WriteFile(file, ops, 0o600))
	h := newHarness(t, func(c *gateway.Config) { c.Limits.PersistedFile, c.Limits.PersistedOnly = file, true })
	me := map[string]string{"X-Weda-User-Id": h.me}

	h.calls.reset()
	_, res := h.raw(me, gqlBody(`{ viewer { id } }`, nil))
	require.NotEmpty(t, res.Errors)
	assert.Equal(t, "PERSISTED_QUERY_REQUIRED", res.Errors[0].Extensions["code"])
	assert.Empty(t, h.calls.calls())

	_, res = h.raw(me, persisted(graph.QueryHash(q), ""))
	assert.Empty(t, res.Errors)
	assert.Contains(t, string(res.Data), `"todo":24`)
	_, res = h.raw(me, gqlBody(q, nil))
	assert.Empty(t, res.Errors, "the registered text itself is accepted")
	_, res = h.raw(me, persisted("0000", ""))
	assert.Equal(t, "PERSISTED_QUERY_NOT_FOUND", res.Errors[0].Extensions["code"])
}

func TestPersistedFileIsChecked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "operations.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"abc": "{ viewer { id } }"}`), 0o600))
	_, err := graph.LoadPersisted(file)
	assert.ErrorContains(t, err, "not the sha256")
}

func TestProductionDefaultsHideIntrospectionAndGraphiQL(t *testing.T) {
	h := newHarness(t) // a real-looking WeDa: no sandbox
	_, res := h.raw(map[string]string{"X-Weda-User-Id": h.me}, gqlBody(`{ __schema { types { name } } }`, nil))
	require.NotEmpty(t, res.Errors, "introspection is off in production unless INTROSPECTION=true")
	status, _, _ := get(t, h.srv.URL+"/")
	assert.Equal(t, http.StatusNotFound, status, "GraphiQL is off in production unless GRAPHIQL=true")

	on := true
	h = newHarness(t, func(c *gateway.Config) { c.Introspection, c.GraphiQL = &on, &on })
	_, res = h.raw(map[string]string{"X-Weda-User-Id": h.me}, gqlBody(`{ __schema { queryType { name } } }`, nil))
	assert.Empty(t, res.Errors)
	status, _, _ = get(t, h.srv.URL+"/")
	assert.Equal(t, http.StatusOK, status)
}

func TestCORSAllowList(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.CORSOrigins = []string{"https://app.example.test"} })
	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, h.srv.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header
	}
	assert.Equal(t, "https://app.example.test", preflight("https://app.example.test").Get("Access-Control-Allow-Origin"))
	assert.Empty(t, preflight("https://evil.example.test").Get("Access-Control-Allow-Origin"))
}

func TestEnvironmentSwitch(t *testing.T) {
	h := newHarness(t)
	pre := map[string]string{"X-Weda-User-Id": h.me, gateway.EnvHeader: "pre"}
	status, res := h.raw(pre, gqlBody(`{ flows { processKey } }`, nil))
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "FORBIDDEN", res.Errors[0].Extensions["code"])

	h = newHarness(t, func(c *gateway.Config) { c.AllowEnvSwitch = true })
	_, res = h.raw(pre, gqlBody(`{ flows { processKey } }`, nil))
	assert.Empty(t, res.Errors)
	assert.Contains(t, string(res.Data), "contract_review", "pre shows the unpublished flow")
	_, res = h.raw(map[string]string{"X-Weda-User-Id": h.me}, gqlBody(`{ flows { processKey } }`, nil))
	assert.NotContains(t, string(res.Data), "contract_review", "prod, the default, does not: the cache keeps them apart")
	h.calls.reset()
	status, res = h.raw(map[string]string{"X-Weda-User-Id": h.me, gateway.EnvHeader: "staging"}, gqlBody(`{ flows { name } }`, nil))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "BAD_USER_INPUT", res.Errors[0].Extensions["code"])
	assert.Empty(t, h.calls.calls())
}
