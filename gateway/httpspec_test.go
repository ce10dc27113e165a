package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request that fails before it runs is answered as the GraphQL-over-HTTP spec advises (and
// graphql-http's audit checks in CI): under application/json with 200, under
// application/graphql-response+json with 400, 400 for a request without a query, and never
// with a "data" entry, since nothing ran.
func TestRequestErrorsFollowGraphQLOverHTTP(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, accept, body string
		want               int
	}{
		{"parse failure, json", "application/json", `{"query":"{"}`, http.StatusOK},
		{"validation failure, json", "application/json", `{"query":"{ nope }"}`, http.StatusOK},
		{"variables that do not coerce, json", "application/json", `{"query":"query($n: Int!) { viewer { id } }","variables":{"n":"x"}}`, http.StatusOK},
		{"parse failure, graphql-response+json", "application/graphql-response+json", `{"query":"{"}`, http.StatusBadRequest},
		{"validation failure, graphql-response+json", "application/graphql-response+json", `{"query":"{ nope }"}`, http.StatusBadRequest},
		{"no query, json", "application/json", `{"variables":{}}`, http.StatusBadRequest},
		{"no query, graphql-response+json", "application/graphql-response+json", `{}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", tc.accept)
			req.Header.Set("X-Weda-User-Id", h.me)
			resp, err := h.srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.StatusCode, string(raw))
			var body map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &body), string(raw))
			assert.NotContains(t, body, "data", "nothing ran: no data entry")
			assert.Contains(t, body, "errors")
		})
	}
}
