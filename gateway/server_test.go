package gateway_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

// TestEmbeddedSandboxMode is `go run .` on a fresh clone: no WEDA_* set, so the gateway starts its
// own sandbox, trusts the development header, and GraphiQL opens with the demo user filled in.
func TestEmbeddedSandboxMode(t *testing.T) {
	gw, srv := newEmbedded(t)
	require.NotNil(t, gw.Sandbox())
	demo := gw.Sandbox().UserID(sandbox.DemoUser)

	status, page, hdr := get(t, srv.URL+"/")
	assert.Equal(t, 200, status)
	assert.Contains(t, hdr.Get("Content-Type"), "text/html")
	assert.Contains(t, page, `/graphiql/graphiql.min.js`)
	assert.Contains(t, page, demo, "the demo user's header is filled in")
	assert.NotContains(t, page, "cdn", "no asset comes from a CDN")
	for _, asset := range []string{"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"} {
		status, body, _ := get(t, srv.URL+"/graphiql/"+asset)
		assert.Equal(t, 200, status, asset)
		assert.Greater(t, len(body), 1000, asset)
	}
	status, _, _ = get(t, srv.URL+"/nope")
	assert.Equal(t, 404, status)

	status, body, _ := get(t, srv.URL+"/healthz")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"status":"ok"}`, body)
	status, body, _ = get(t, srv.URL+"/readyz")
	assert.Equal(t, 200, status, body)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?query="+strings.ReplaceAll("{ viewer { user { name } } }", " ", "%20"), nil)
	req.Header.Set("X-Weda-User-Id", demo)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Viewer struct{ User struct{ Name string } }
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.Equal(t, sandbox.DemoUser, out.Data.Viewer.User.Name, "GET /graphql works too")
}

func TestRefusesToStartUnprotectedInFrontOfWeDa(t *testing.T) {
	for _, env := range []map[string]string{
		{"WEDA_BASE_URL": "http://127.0.0.1:1", "WEDA_API_KEY": "k"},
		{"WEDA_BASE_URL": "http://127.0.0.1:1", "WEDA_API_KEY": "k", "AUTH_MODE": "header"},
		{"WEDA_BASE_URL": "http://127.0.0.1:1", "WEDA_API_KEY": "k", "AUTH_MODE": "jwt"},
		{"WEDA_BASE_URL": "http://127.0.0.1:1", "WEDA_API_KEY": "k", "AUTH_MODE": "jwt", "AUTH_JWT_HS256_SECRET": "short"},
	} {
		cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
		if err == nil { // refused by the configuration check or, for a Config built in code, by New
			_, err = gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		}
		assert.Error(t, err, "%v", env)
	}
}

func TestReadyzReportsAnUnreachableUpstream(t *testing.T) {
	env := map[string]string{"WEDA_BASE_URL": "http://127.0.0.1:1", "WEDA_API_KEY": "k", "WEDA_TIMEOUT": "200ms",
		"ALLOW_DEV_USER_HEADER": "true"}
	cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	gw, err := gateway.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	status, body, _ := get(t, srv.URL+"/readyz")
	assert.Equal(t, 503, status)
	assert.JSONEq(t, `{"status":"not ready","kind":"unavailable"}`, body, "the kind only: the detail is in the log")
	status, _, _ = get(t, srv.URL+"/healthz")
	assert.Equal(t, 200, status, "alive even when WeDa is not")
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	for name, value := range map[string]string{"PORT": "http", "MAX_UPSTREAM_CALLS": "0", "USER_BATCH_WAIT": "soon",
		"ALLOW_DEV_USER_HEADER": "maybe", "WEDA_ENV_TYPE": "test", "SANDBOX_SEED": "-1"} {
		_, err := gateway.ConfigFromEnv(func(k string) string {
			if k == name {
				return value
			}
			return ""
		})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
}

func TestLogLineNamesViewerOperationAndCalls(t *testing.T) {
	h := newHarness(t)
	h.ok(h.me, `query Inbox { viewer { workItemCounts { todo } } }`, nil, &struct{}{})
	assert.Regexp(t, `"path":"/graphql","status":200,.*"upstream_calls":1,"viewer":"`+h.me+`","operation":"Inbox"`, h.logs.String())
}
