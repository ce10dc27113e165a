package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// BoundLimits are the most a document may ask for. Every limit is checked on the parsed text,
// before gqlgen validates it: validation is quadratic in repeated fields (14,000 × id cost ~21 s
// of CPU), while parsing and this walk are linear and stop at the first limit crossed.
type BoundLimits struct {
	MaxTokens             int // the parser's token limit
	MaxDepth              int // how deep data fields nest, through fragments
	MaxIntrospectionDepth int // how deep a __schema / __type selection nests, counted from it
	MaxFields             int // selections in the document, fragments expanded at each spread
	MaxRepeats            int // fields of one response name in one selection set (after merging)
	MaxAliases            int // aliased fields
	MaxRootFields         int // fields at an operation's root
	MaxDirectives         int // directives at one location
}

// Bounds is a gqlgen extension that refuses a document crossing a BoundLimits before it is
// validated. It must be added after the extensions that fill in the query text (automatic and
// registered persisted queries), since gqlgen runs parameter mutators in the order added.
type Bounds struct {
	limits  BoundLimits
	verdict *lru.LRU[*boundError]
}

// boundError is a cached refusal; nil means the document is within bounds.
type boundError struct{ code, message string }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Bounds)(nil)

// NewBounds returns the extension, remembering the verdicts of cacheSize documents by hash so
// that a repeated document costs a hash and a lookup.
func NewBounds(limits BoundLimits, cacheSize int) *Bounds {
	return &Bounds{limits: limits, verdict: lru.New[*boundError](max(cacheSize, 1))}
}

// ExtensionName implements graphql.HandlerExtension.
func (*Bounds) ExtensionName() string { return "Bounds" }

// Validate implements graphql.HandlerExtension.
func (*Bounds) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator: it runs before gqlgen
// parses and validates the query.
func (b *Bounds) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query == "" {
		return nil
	}
	key := QueryHash(raw.Query)
	v, ok := b.verdict.Get(ctx, key)
	if !ok {
		v = b.Check(raw.Query)
		b.verdict.Add(ctx, key, v)
	}
	if v == nil {
		return nil
	}
	// A fresh error each time: gqlgen's presenters may change what they are given.
	return limitError(v.code, "%s", v.message)
}

// Check walks query and returns the first limit it crosses, or nil. A document that does not
// parse passes: gqlgen parses it again (within the same token limit) and reports why.
func (b *Bounds) Check(query string) *boundError {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, b.limits.MaxTokens)
	if err != nil {
		return nil
	}
	w := &boundsWalker{limits: b.limits, fragments: map[string]*ast.FragmentDefinition{},
		onPath: map[string]bool{}, reached: map[string]bool{}}
	for _, f := range doc.Fragments {
		w.fragments[f.Name] = f
	}
	for _, op := range doc.Operations {
		if w.directives(op.Directives) || w.walk(op.SelectionSet, 1, 0, true, map[string]int{}) {
			return w.err
		}
	}
	// Validation looks at every fragment, used or not: walk those no operation reached.
	for _, f := range doc.Fragments {
		if !w.reached[f.Name] && w.spread(f, 1, 0, false, map[string]int{}) {
			return w.err
		}
	}
	return nil
}

type boundsWalker struct {
	limits    BoundLimits
	fragments map[string]*ast.FragmentDefinition
	onPath    map[string]bool // fragments being expanded: a cycle is not followed
	reached   map[string]bool
	fields    int
	aliases   int
	roots     int
	err       *boundError
}

func (w *boundsWalker) fail(code, format string, args ...any) bool {
	w.err = &boundError{code: code, message: fmt.Sprintf(format, args...)}
	return true
}

func (w *boundsWalker) directives(list ast.DirectiveList) bool {
	if len(list) > w.limits.MaxDirectives {
		return w.fail("TOO_MANY_DIRECTIVES", "%d directives at one place; at most %d are allowed (MAX_DIRECTIVES)",
			len(list), w.limits.MaxDirectives)
	}
	return false
}

// walk visits set at depth (introDepth > 0 inside an introspection selection), with seen
// counting the response names of the selection set set belongs to, fragments merged in. It
// reports whether a limit was crossed, and stops there: its cost is bounded by MaxFields.
func (w *boundsWalker) walk(set ast.SelectionSet, depth, introDepth int, root bool, seen map[string]int) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if w.field(s, depth, introDepth, root, seen) {
				return true
			}
		case *ast.InlineFragment:
			if w.directives(s.Directives) || w.walk(s.SelectionSet, depth, introDepth, root, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if w.directives(s.Directives) {
				return true
			}
			if f := w.fragments[s.Name]; f != nil && !w.onPath[s.Name] {
				if w.spread(f, depth, introDepth, root, seen) {
					return true
				}
			}
		}
	}
	return false
}

func (w *boundsWalker) spread(f *ast.FragmentDefinition, depth, introDepth int, root bool, seen map[string]int) bool {
	w.reached[f.Name] = true
	w.onPath[f.Name] = true
	defer delete(w.onPath, f.Name)
	return w.directives(f.Directives) || w.walk(f.SelectionSet, depth, introDepth, root, seen)
}

func (w *boundsWalker) field(f *ast.Field, depth, introDepth int, root bool, seen map[string]int) bool {
	l := w.limits
	if w.fields++; w.fields > l.MaxFields {
		return w.fail("TOO_MANY_FIELDS", "the document selects more than %d fields, fragments expanded (MAX_QUERY_FIELDS)", l.MaxFields)
	}
	if root {
		if w.roots++; w.roots > l.MaxRootFields {
			return w.fail("TOO_MANY_ROOT_FIELDS", "an operation asks for more than %d root fields (MAX_ROOT_FIELDS)", l.MaxRootFields)
		}
	}
	name := f.Alias
	if name == "" {
		name = f.Name
	}
	if name != f.Name {
		if w.aliases++; w.aliases > l.MaxAliases {
			return w.fail("TOO_MANY_ALIASES", "the document uses more than %d aliases (MAX_QUERY_ALIASES)", l.MaxAliases)
		}
	}
	if seen[name]++; seen[name] > l.MaxRepeats {
		return w.fail("TOO_MANY_REPEATED_FIELDS", "%q is selected more than %d times in one selection set (MAX_FIELD_REPEATS)", name, l.MaxRepeats)
	}
	if w.directives(f.Directives) {
		return true
	}
	// Introspection is bounded by its own depth, so that the standard introspection query of
	// every tool (13 levels through TypeRef) passes whatever MAX_QUERY_DEPTH is.
	if introDepth == 0 && (f.Name == "__schema" || f.Name == "__type") {
		introDepth = 1
	} else if introDepth > 0 {
		introDepth++
	}
	switch {
	case introDepth > l.MaxIntrospectionDepth:
		return w.fail("INTROSPECTION_TOO_DEEP", "an introspection selection nests more than %d levels (MAX_INTROSPECTION_DEPTH)", l.MaxIntrospectionDepth)
	case introDepth == 0 && depth > l.MaxDepth:
		return w.fail("QUERY_TOO_DEEP", "the operation nests more than %d levels deep (MAX_QUERY_DEPTH)", l.MaxDepth)
	}
	if len(f.SelectionSet) == 0 {
		return false
	}
	return w.walk(f.SelectionSet, depth+1, introDepth, false, map[string]int{})
}
