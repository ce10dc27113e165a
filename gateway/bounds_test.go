package gateway_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

// pathological are documents that once cost seconds of CPU in validation (gqlparser's
// overlapping-fields rule is quadratic in repeated fields) before any bound was checked. Each
// must be refused, with its own code, before validation runs.
func pathological() []struct{ name, query, code string } {
	rep := func(s string, n int) string { return strings.Repeat(s+" ", n) }
	// A fragment that doubles its predecessor: 2^20 fields once expanded.
	var doubling strings.Builder
	doubling.WriteString("{ viewer { user { ...F20 } } }\nfragment F0 on User { id }\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&doubling, "fragment F%d on User { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	// A distinct fragment per spread, each selecting id: the repeats come from fragments only.
	var distinct strings.Builder
	distinct.WriteString("{ viewer { user { ")
	for i := range 1000 {
		fmt.Fprintf(&distinct, "...D%d ", i)
	}
	distinct.WriteString("} } }\n")
	for i := range 1000 {
		fmt.Fprintf(&distinct, "fragment D%d on User { id }\n", i)
	}
	deep := "{ viewer { workItems(box: TODO) { nodes { ...Deep } } } }\n" +
		"fragment Deep on WorkItem { instance { tasks { nodes { instance { tasks { nodes { instance { tasks { nodes { instance { tasks { nodes { id } } } } } } } } } } } } }"
	return []struct{ name, query, code string }{
		{"14,000 × id under viewer.user", "{ viewer { user { " + rep("id", 14_000) + "} } }", "TOO_MANY_REPEATED_FIELDS"},
		{"14,900 × __typename at the root", "{ " + rep("__typename", 14_900) + "}", "TOO_MANY_ROOT_FIELDS"},
		{"3,500 × user { id }", "{ viewer { " + rep("user { id }", 3_500) + "} }", "TOO_MANY_REPEATED_FIELDS"},
		{"3,500 × __typename under viewer", "{ viewer { " + rep("__typename", 3_500) + "} }", "TOO_MANY_REPEATED_FIELDS"},
		{"one fragment spread 3,000 times", "{ viewer { user { " + rep("...U", 3_000) + "} } }\nfragment U on User { id }", "TOO_MANY_REPEATED_FIELDS"},
		{"a fragment of 3,000 × id", "{ viewer { user { ...U } } }\nfragment U on User { " + rep("id", 3_000) + "}", "TOO_MANY_REPEATED_FIELDS"},
		{"1,000 distinct fragments of id", distinct.String(), "TOO_MANY_REPEATED_FIELDS"},
		{"fragments doubling to 2^20 fields", doubling.String(), "TOO_MANY_REPEATED_FIELDS"},
		{"depth through a fragment", deep, "QUERY_TOO_DEEP"},
		{"a fragment cycle", "{ viewer { user { ...A } } }\nfragment A on User { id ...B }\nfragment B on User { name ...A }", "GRAPHQL_VALIDATION_FAILED"},
		{"1,500 directives on one field", "{ viewer { id " + rep("@skip(if: false)", 1_500) + "} }", "TOO_MANY_DIRECTIVES"},
		{"an alias bomb in an unselected operation", "query A { viewer { id } }\nquery B { viewer { " + func() string {
			var b strings.Builder
			for i := range 3000 {
				fmt.Fprintf(&b, "a%d: id ", i)
			}
			return b.String()
		}() + "} }", "TOO_MANY_ALIASES"},
	}
}

// TestPathologicalDocumentsAreRefusedBeforeValidation sends each document and checks its
// refusal code; BenchmarkPathologicalDocuments measures what each refusal costs.
func TestPathologicalDocumentsAreRefusedBeforeValidation(t *testing.T) {
	// The token limit the issue was found with: the bounds, not the parser, must refuse these.
	h := newHarness(t, func(c *gateway.Config) { c.Limits.RateRequests, c.Limits.MaxTokens = 0, 15_000 })
	me := map[string]string{"X-Weda-User-Id": h.me}
	for _, doc := range pathological() {
		t.Run(doc.name, func(t *testing.T) {
			h.calls.reset()
			body := gqlBody(doc.query, nil)
			require.Less(t, len(body), 1<<20, "under the body limit: the bounds, not the body size, refuse it")
			status, res := h.raw(me, body)
			require.NotEmpty(t, res.Errors)
			assert.Equal(t, doc.code, res.Errors[0].Extensions["code"], res.Errors[0].Message)
			assert.Contains(t, []int{http.StatusOK, http.StatusUnprocessableEntity}, status)
			assert.Empty(t, h.calls.calls(), "refused before any upstream call")
			// The second time the verdict comes from the cache, and is the same.
			_, again := h.raw(me, body)
			require.NotEmpty(t, again.Errors)
			assert.Equal(t, res.Errors[0], again.Errors[0])
		})
	}
}

// BenchmarkPathologicalDocuments measures the handler's cost per refusal. The verdict cache is
// defeated (a comment makes each request's text new), so every iteration parses and walks.
func BenchmarkPathologicalDocuments(b *testing.B) {
	h := newHarness(b, func(c *gateway.Config) { c.Limits.RateRequests, c.Limits.MaxTokens = 0, 15_000 })
	for _, doc := range pathological() {
		b.Run(doc.name, func(b *testing.B) {
			client := h.srv.Client()
			i := 0
			for b.Loop() {
				i++
				body := gqlBody(fmt.Sprintf("%s\n# %d", doc.query, i), nil)
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Weda-User-Id", h.me)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var out bytes.Buffer
				_, _ = out.ReadFrom(resp.Body)
				resp.Body.Close()
				if !bytes.Contains(out.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("not refused: %.200s", out.String())
				}
			}
		})
	}
}
