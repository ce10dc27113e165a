package session

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// TestSharedCountsHitsAndMisses: the reference cache counts, per cache, the lookups it answered
// and the ones that went to WeDa (the gateway exports them as metrics).
func TestSharedCountsHitsAndMisses(t *testing.T) {
	sb, client := fixture(t)
	shared := NewShared(time.Minute)
	t.Cleanup(shared.Close)
	ctx := context.Background()
	kong, li, sun := sb.UserID("kongtest"), sb.UserID("lihua"), sb.UserID("sunli")

	first := New(client, Config{}, shared, "") // one operation
	_, err := first.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
	require.NoError(t, err)
	_, err = first.GetUsersByIDs(ctx, []string{kong, li})
	require.NoError(t, err)
	flows, users := shared.Stats()
	assert.Equal(t, CacheStats{Hits: 0, Misses: 1}, flows)
	assert.Equal(t, CacheStats{Hits: 0, Misses: 2}, users)

	second := New(client, Config{}, shared, "") // the next operation finds what the first loaded
	_, err = second.ListDeployedFlows(ctx, upstream.FlowTypeApproval)
	require.NoError(t, err)
	_, err = second.GetUsersByIDs(ctx, []string{kong, li, sun})
	require.NoError(t, err)
	flows, users = shared.Stats()
	assert.Equal(t, CacheStats{Hits: 1, Misses: 1}, flows)
	assert.Equal(t, CacheStats{Hits: 2, Misses: 3}, users)

	var off *Shared // REFERENCE_CACHE_TTL=0
	flows, users = off.Stats()
	assert.Zero(t, flows)
	assert.Zero(t, users)
}
