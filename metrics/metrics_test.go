package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape returns what /metrics serves.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func TestBuildInfo(t *testing.T) {
	m := New()
	m.BuildInfo("1.2.3", "abc123")
	assert.Contains(t, scrape(t, m), fmt.Sprintf(`weda_gateway_build_info{commit="abc123",go=%q,version="1.2.3"} 1`, runtime.Version()))
}

func TestCacheLookupsAreReadAtEachScrape(t *testing.T) {
	m := New()
	var hits, misses uint64 = 3, 1
	m.CacheLookups("users", func() uint64 { return hits }, func() uint64 { return misses })
	out := scrape(t, m)
	assert.Contains(t, out, `weda_gateway_reference_cache_lookups_total{cache="users",result="hit"} 3`)
	assert.Contains(t, out, `weda_gateway_reference_cache_lookups_total{cache="users",result="miss"} 1`)
	hits = 5
	assert.Contains(t, scrape(t, m), `weda_gateway_reference_cache_lookups_total{cache="users",result="hit"} 5`)
}

func TestIdempotencyEvents(t *testing.T) {
	m := New()
	m.IdempotencyEvent("startFlow", "conflict")
	m.IdempotencyEvent("startFlow", "replay")
	m.IdempotencyEvent("startFlow", "replay")
	out := scrape(t, m)
	assert.Contains(t, out, `weda_gateway_idempotency_events_total{event="conflict",mutation="startFlow"} 1`)
	assert.Contains(t, out, `weda_gateway_idempotency_events_total{event="replay",mutation="startFlow"} 2`)
}

// TestOperationNamesAreBounded: registered names and the first max names keep their label;
// later ones, and new names of refused documents, share "other"; no name is "anonymous".
func TestOperationNamesAreBounded(t *testing.T) {
	n := newOperationNames([]string{"Inbox"}, 2)
	assert.Equal(t, OperationAnonymous, n.label("", true))
	assert.Equal(t, OperationOther, n.label("Refused", false), "a refused document takes no place")
	assert.Equal(t, "A", n.label("A", true))
	assert.Equal(t, "B", n.label("B", true))
	assert.Equal(t, OperationOther, n.label("C", true), "past the bound")
	assert.Equal(t, "A", n.label("A", true), "a known name keeps its label")
	assert.Equal(t, "A", n.label("A", false), "even when its document is refused")
	assert.Equal(t, "Inbox", n.label("Inbox", true), "registered names take no place and always keep theirs")
	for i := range 1000 {
		assert.Equal(t, OperationOther, n.label(fmt.Sprintf("Op%d", i), true))
	}
}
