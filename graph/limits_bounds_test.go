package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testLimits = BoundLimits{MaxTokens: 15_000, MaxDepth: 5, MaxIntrospectionDepth: 7, MaxFields: 100, MaxRepeats: 3,
	MaxAliases: 2, MaxRootFields: 3, MaxDirectives: 2}

// TestBoundsEachLimit: every row is refused by exactly its limit, and passes once that limit is
// raised, so each rule is shown to be what refuses it.
func TestBoundsEachLimit(t *testing.T) {
	rows := []struct {
		name, query, code string
		raise             func(*BoundLimits)
	}{
		{"depth", "{ a { b { c { d { e { f } } } } } }", "QUERY_TOO_DEEP", func(l *BoundLimits) { l.MaxDepth = 6 }},
		{"depth through a fragment", "{ a { ...F } } fragment F on A { b { c { d { e { f } } } } }", "QUERY_TOO_DEEP",
			func(l *BoundLimits) { l.MaxDepth = 6 }},
		{"depth through nested fragments", "{ a { ...F } } fragment F on A { b { ...G } } fragment G on B { c { d { e { f } } } }",
			"QUERY_TOO_DEEP", func(l *BoundLimits) { l.MaxDepth = 6 }},
		{"introspection depth", "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }",
			"INTROSPECTION_TOO_DEEP", func(l *BoundLimits) { l.MaxIntrospectionDepth = 8 }},
		{"fields", "{ a { " + distinctFields(60) + "} }", "TOO_MANY_FIELDS", func(l *BoundLimits) { l.MaxFields = 121 }},
		{"fields of expanded fragments", "{ a { ...F4 } } fragment F0 on A { x } fragment F1 on A { ...F0 ...F0 } fragment F2 on A { ...F1 ...F1 } " +
			"fragment F3 on A { ...F2 ...F2 } fragment F4 on A { ...F3 ...F3 }", "TOO_MANY_REPEATED_FIELDS", func(l *BoundLimits) { l.MaxRepeats = 16 }},
		{"repeats", "{ a { id id id id } }", "TOO_MANY_REPEATED_FIELDS", func(l *BoundLimits) { l.MaxRepeats = 4 }},
		{"repeats through spreads", "{ a { id ...F ...F ...F } } fragment F on A { id }", "TOO_MANY_REPEATED_FIELDS", func(l *BoundLimits) { l.MaxRepeats = 4 }},
		{"repeats through inline fragments", "{ a { id ... { id } ... on A { id id } } }", "TOO_MANY_REPEATED_FIELDS", func(l *BoundLimits) { l.MaxRepeats = 4 }},
		{"aliases", "{ a { x: id y: id z: id } }", "TOO_MANY_ALIASES", func(l *BoundLimits) { l.MaxAliases = 3 }},
		{"root fields", "{ a b c d }", "TOO_MANY_ROOT_FIELDS", func(l *BoundLimits) { l.MaxRootFields = 4 }},
		{"root fields through a fragment", "{ a ...R } fragment R on Query { b c d }", "TOO_MANY_ROOT_FIELDS", func(l *BoundLimits) { l.MaxRootFields = 4 }},
		{"directives on a field", "{ a @x @y @z }", "TOO_MANY_DIRECTIVES", func(l *BoundLimits) { l.MaxDirectives = 3 }},
		{"directives on a spread", "{ a { ...F @x @y @z } } fragment F on A { id }", "TOO_MANY_DIRECTIVES", func(l *BoundLimits) { l.MaxDirectives = 3 }},
		{"directives on an operation", "query Q @x @y @z { a }", "TOO_MANY_DIRECTIVES", func(l *BoundLimits) { l.MaxDirectives = 3 }},
		{"an unused fragment", "{ a } fragment U on A { id id id id }", "TOO_MANY_REPEATED_FIELDS", func(l *BoundLimits) { l.MaxRepeats = 4 }},
		{"an unselected operation", "query A { a } query B { a { x: id y: id z: id } }", "TOO_MANY_ALIASES", func(l *BoundLimits) { l.MaxAliases = 3 }},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			v := NewBounds(testLimits, 10).Check(row.query)
			require.NotNil(t, v, "refused")
			assert.Equal(t, row.code, v.code, v.message)
			raised := testLimits
			row.raise(&raised)
			v = NewBounds(raised, 10).Check(row.query)
			assert.Nil(t, v, "passes once the limit is raised: %+v", v)
		})
	}
}

func distinctFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "x%d { y } ", i)
	}
	return b.String()
}

func TestBoundsFollowNoFragmentCycle(t *testing.T) {
	v := NewBounds(testLimits, 10).Check("{ a { ...A } } fragment A on A { x ...B } fragment B on A { y ...A }")
	assert.Nil(t, v, "a cycle is validation's to report; the walk does not loop")
}

func TestBoundsLeaveParseErrorsToTheParser(t *testing.T) {
	assert.Nil(t, NewBounds(testLimits, 10).Check("{ a { "))
	l := testLimits
	l.MaxTokens = 10
	assert.Nil(t, NewBounds(l, 10).Check("{ "+strings.Repeat("a ", 20)+"}"), "gqlgen's parser reports the token limit")
}

// TestBoundsVerdictIsCached: the second time, the cached verdict answers (a cache that forgot
// would walk again and count).
func TestBoundsVerdictIsCached(t *testing.T) {
	b := NewBounds(testLimits, 2)
	ctx := context.Background()
	for range 2 {
		err := b.MutateOperationParameters(ctx, &graphql.RawParams{Query: "{ a b c d }"})
		require.NotNil(t, err)
		assert.Equal(t, "TOO_MANY_ROOT_FIELDS", err.Extensions["code"])
		assert.Nil(t, b.MutateOperationParameters(ctx, &graphql.RawParams{Query: "{ a }"}))
	}
	_, cached := b.verdict.Get(ctx, QueryHash("{ a b c d }"))
	assert.True(t, cached)
	for i := range 5 {
		assert.Nil(t, b.MutateOperationParameters(ctx, &graphql.RawParams{Query: fmt.Sprintf("{ a%d }", i)}))
	}
	_, cached = b.verdict.Get(ctx, QueryHash("{ a b c d }"))
	assert.False(t, cached, "the cache is bounded")
}

// BenchmarkBoundsCheck: the parse and walk of the worst document the issue found, 14,000 × id
// (at the 15,000-token limit it was found with), uncached.
func BenchmarkBoundsCheck(b *testing.B) {
	q := "{ viewer { user { " + strings.Repeat("id ", 14_000) + "} } }"
	l := BoundLimits{MaxTokens: 15_000, MaxDepth: 12, MaxIntrospectionDepth: 16, MaxFields: 2000, MaxRepeats: 20,
		MaxAliases: 30, MaxRootFields: 20, MaxDirectives: 5}
	bounds := NewBounds(l, 10)
	for b.Loop() {
		if v := bounds.Check(q); v == nil || v.code != "TOO_MANY_REPEATED_FIELDS" {
			b.Fatal(v)
		}
	}
}
