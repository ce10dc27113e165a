package graph

import (
	"context"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/upstream"
)

// A write that panics must release its idempotency key, or every retry would wait on it.
func TestPanickingWriteReleasesItsKey(t *testing.T) {
	client, err := upstream.New(upstream.Config{BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	ctx := auth.WithViewer(context.Background(), auth.Viewer{UserID: "7", Source: 4})
	ctx = loader.With(ctx, loader.New(client, loader.Config{}, nil))
	ctx = idempotency.WithHeaderKey(ctx, "k")
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Name: "f", Alias: "f"}}})
	store := idempotency.NewMemory(time.Hour, 10)
	boom := mutation[int]{input: 1, validate: func(upstream.UserInfo) error { return nil },
		run: func(context.Context, upstream.UserInfo) (int, error) { panic("boom") }}
	assert.Panics(t, func() { _, _ = mutate(ctx, store, boom) })

	waitCtx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, owner, err := store.Claim(waitCtx, "7\x00prod\x00f\x00f\x00k", fingerprint(1))
	require.NoError(t, err, "the key was released, not left claimed")
	assert.True(t, owner)
}
