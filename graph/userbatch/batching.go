package userbatch

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// ListWorkers must equal exec.worker_limit in gqlgen.yml: gqlgen marshals at most that many
// elements of a list at once, in index order, so only those are sure to start while others
// wait on a user batch. A test checks the two agree.
const ListWorkers = 64

// Batching is the gqlgen extension that tells the user batcher which work of a request may
// still ask for users. Each field counts from the moment it is known to be coming until it
// returns: a query's root fields are announced when the operation starts, and a field that
// returns objects announces the fields gqlgen will run on them before it hands them over. So
// there is no moment, between a parent's return and its children's start, at which the batcher
// could believe the request idle; and no clock is involved.
//
// Announced work must start without waiting on a batch, or the batch would wait forever. gqlgen
// runs an object's plain (non-resolver) fields one after another, then starts its resolvers
// together; so when a resolver waits on a batch, every field still to start in each object on
// its path that it reached through a plain field is waiting behind it, and is un-announced then
// (released). Mutation fields run one after another, deferred fields later, and list elements
// past ListWorkers wait for a worker: none of these is announced ahead.
//
// Only work that can ask for users matters: in a query, a field neither of the batched type nor
// with one below it in the document is neither counted nor announced (most of a screen: a
// count, a task list's statuses), and costs the middleware nothing.
type Batching struct {
	schema *ast.Schema
	// batched is the type whose fields ask the user batcher (the graph's User); every resolver
	// that calls Batcher.User or Users must return it. Empty: every field counts.
	batched string
	// askers keeps askers' answer by operation node: the same document from gqlgen's query cache
	// is walked once.
	askers *otter.Cache[*ast.OperationDefinition, map[*ast.Field]bool]
}

// NewBatching returns the extension for schema, counting only the fields that can reach the
// batched type (all of them when it is ""), remembering that for up to size operations.
func NewBatching(schema *ast.Schema, batched string, size int) (*Batching, error) {
	c, err := otter.New(&otter.Options[*ast.OperationDefinition, map[*ast.Field]bool]{MaximumSize: max(size, 1)})
	if err != nil {
		return nil, fmt.Errorf("batching cache: %w", err)
	}
	return &Batching{schema: schema, batched: batched, askers: c}, nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = (*Batching)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*Batching) ExtensionName() string { return "UserBatching" }

// Validate implements graphql.HandlerExtension.
func (*Batching) Validate(graphql.ExecutableSchema) error { return nil }

// pool is the announced children of one field's result (or of the operation's root), per
// object: the list element's index, or 0. objects is written before gqlgen starts the children
// and never resized.
type pool struct {
	mu      sync.Mutex
	list    bool
	objects []announcement // by index; a zero announcement is none
	// asking is, in a query, which of its fields may ask for users (see askers), handed down
	// from pool to pool; read-only. Nil: any field may.
	asking map[*ast.Field]bool
}

type announcement struct {
	remaining int  // announced fields not yet started
	released  bool // the rest start uncounted: they wait behind a waiter
}

type poolKey struct{}

// InterceptOperation announces a query's root fields, which gqlgen starts all at once.
func (b *Batching) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	batch, ok := From(ctx)
	oc := graphql.GetOperationContext(ctx)
	if !ok || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	var asking map[*ast.Field]bool
	if b.batched != "" {
		var found bool
		if asking, found = b.askers.GetIfPresent(oc.Operation); !found {
			asking = askers(oc.Operation, b.batched)
			b.askers.Set(oc.Operation, asking)
		}
	}
	n := countFields(graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}), asking)
	root := &pool{objects: []announcement{{remaining: n}}, asking: asking}
	batch.register(nil, root)
	batch.enter(int64(n))
	return next(context.WithValue(ctx, poolKey{}, root))
}

// InterceptField counts the field while it runs, and announces its children before it returns.
func (b *Batching) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	batch, ok := From(ctx)
	fc := graphql.GetFieldContext(ctx)
	if !ok || fc == nil {
		return next(ctx)
	}
	parent, _ := ctx.Value(poolKey{}).(*pool)
	var asking map[*ast.Field]bool
	if parent != nil {
		asking = parent.asking
	}
	if !asks(asking, fc.Field.Field) {
		return next(ctx)
	}
	if !claim(parent, fc) {
		batch.enter(1)
	}
	defer batch.leave() // after the children are announced; on a panic too
	if len(fc.Field.Selections) == 0 {
		return next(ctx) // a leaf has no children to announce: no pool, no context of its own
	}
	mine := &pool{asking: asking}
	res, err := next(context.WithValue(ctx, poolKey{}, mine))
	// A subscription's children run once per event, maybe never: counted as they start.
	oc := graphql.GetOperationContext(ctx)
	if err != nil || res == nil || len(fc.Field.Selections) == 0 || oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return res, err
	}
	per := b.childFields(oc, fc.Field, asking)
	if per == 0 {
		return res, err
	}
	objects, list, n := objectsOf(res, per)
	// Written before gqlgen starts the children, which read them.
	mine.list, mine.objects = list, objects
	if n > 0 {
		batch.register(fc, mine)
		batch.enter(int64(n * per))
	}
	return res, err
}

// claim reports whether the field fc, starting in the pool p of its parent, was announced,
// and takes it off p.
func claim(p *pool, fc *graphql.FieldContext) bool {
	if p == nil || fc.Field.IsDeferred() {
		return false
	}
	i := 0
	if p.list {
		if fc.Parent == nil || fc.Parent.Index == nil {
			return false
		}
		i = *fc.Parent.Index
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if i >= len(p.objects) {
		return false
	}
	a := &p.objects[i]
	if a.released || a.remaining == 0 {
		return false
	}
	a.remaining--
	return true
}

// release un-announces what waits behind the resolver of ctx, which is about to wait on a
// batch: in each object on its path reached through a plain field (run inline, so the object's
// later fields start only after it), the fields not yet started. It returns how many.
func (b *Batcher) release(ctx context.Context) int64 {
	fc := graphql.GetFieldContext(ctx)
	var n int64
	b.mu.Lock()
	defer b.mu.Unlock()
	for f := fc; f != nil; {
		owner, i := f.Parent, 0
		if owner != nil && owner.Index != nil { // a list element
			i, owner = *owner.Index, owner.Parent
		}
		if f.Index == nil && !f.IsResolver {
			if p := b.pools[owner]; p != nil {
				p.mu.Lock()
				if i < len(p.objects) && !p.objects[i].released {
					a := &p.objects[i]
					a.released = true
					n += int64(a.remaining)
					a.remaining = 0
				}
				p.mu.Unlock()
			}
		}
		f = owner
	}
	return n
}

// childFields is how many fields gqlgen will run through the middleware on each object the
// field returns.
func (b *Batching) childFields(oc *graphql.OperationContext, f graphql.CollectedField, asking map[*ast.Field]bool) int {
	if f.Definition == nil {
		return 0
	}
	name := f.Definition.Type.Name()
	def := b.schema.Types[name]
	if def == nil || def.Kind != ast.Object {
		return 0 // interfaces and unions would need the concrete type; counted as they start
	}
	return countFields(graphql.CollectFields(oc, f.Selections, append([]string{name}, def.Interfaces...)), asking)
}

// countFields counts the fields that go through the field middleware and are counted there:
// __typename is answered inline, deferred fields run later, and fields that cannot ask for
// users are not counted.
func countFields(fields []graphql.CollectedField, asking map[*ast.Field]bool) int {
	n := 0
	for _, f := range fields {
		if f.Name != "__typename" && !f.IsDeferred() && asks(asking, f.Field) {
			n++
		}
	}
	return n
}

// asks reports whether the field may ask for users, itself or below it; without a map (not a
// query, or no batched type named) every field may.
func asks(asking map[*ast.Field]bool, f *ast.Field) bool {
	return asking == nil || asking[f]
}

// askers maps every field of op, fragments included, to whether it may ask for users: it is of
// the batched type, or a field below it is. A fragment's fields are the same *ast.Field
// wherever it is spread, and so is the answer.
func askers(op *ast.OperationDefinition, batched string) map[*ast.Field]bool {
	out := map[*ast.Field]bool{}
	fragments := map[string]bool{} // by name: whether it may ask (false while being walked)
	var walk func(ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		asks := false
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				a, seen := out[s]
				if !seen {
					a = walk(s.SelectionSet) || (s.Definition != nil && s.Definition.Type.Name() == batched)
					out[s] = a
				}
				asks = asks || a
			case *ast.InlineFragment:
				asks = walk(s.SelectionSet) || asks
			case *ast.FragmentSpread:
				a, seen := fragments[s.Name]
				if !seen && s.Definition != nil {
					fragments[s.Name] = false // a cycle (invalid anyway) ends here
					a = walk(s.Definition.SelectionSet)
					fragments[s.Name] = a
				}
				asks = asks || a
			}
		}
		return asks
	}
	walk(op.SelectionSet)
	return out
}

// objectsOf announces per fields on each object of res gqlgen will certainly marshal now, by
// index: res itself (0), or the non-nil elements of a list below ListWorkers (list). A list of
// lists is left to count as it starts. n is how many objects were announced.
func objectsOf(res any, per int) (objects []announcement, list bool, n int) {
	v := reflect.ValueOf(res)
	switch v.Kind() {
	case reflect.Chan, reflect.Func:
		return nil, false, 0
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if v.IsNil() {
			return nil, false, 0
		}
		return []announcement{{remaining: per}}, false, 1
	case reflect.Slice, reflect.Array:
		size := min(v.Len(), ListWorkers)
		for i := range size {
			e := v.Index(i)
			switch e.Kind() {
			case reflect.Slice, reflect.Array:
				return nil, true, 0
			case reflect.Pointer, reflect.Interface:
				if e.IsNil() {
					continue
				}
			}
			if objects == nil {
				objects = make([]announcement, size)
			}
			objects[i].remaining = per
			n++
		}
		return objects, true, n
	}
	return []announcement{{remaining: per}}, false, 1
}
