package delivery

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// gqlgen groups the deferred fields of an object by their @defer label and waits, for each label,
// for as many results as the fields it was given. A field reached through two @defer fragments of
// one label — two unlabelled ones, nested (`... @defer { a ... @defer { b } }`) or side by side
// around the same field — is given to its label twice and resolves once: that label never
// completes, and the answer never ends. So every @defer of a document gets a label of its own
// before the document runs, carrying the client's label, which the answer gives back.

// labelPrefix starts every label LabelDefers gives; the client's label, if any, follows the colon.
const labelPrefix = "~defer"

// LabelDefers wraps gqlgen's query cache: a document is labelled as it is cached, which gqlgen
// does once per parse, after validation and before the document first runs.
func LabelDefers(cache graphql.Cache[*ast.QueryDocument]) graphql.Cache[*ast.QueryDocument] {
	return labelling{cache}
}

type labelling struct {
	graphql.Cache[*ast.QueryDocument]
}

func (c labelling) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	labelDocument(doc)
	c.Cache.Add(ctx, key, doc)
}

// labelDocument gives each @defer of doc a label of its own, keeping the client's after it.
func labelDocument(doc *ast.QueryDocument) {
	n := 0
	var walk func(ast.SelectionSet)
	label := func(directives ast.DirectiveList) {
		d := directives.ForName("defer")
		if d == nil {
			return
		}
		n++
		given := ""
		args := d.Arguments[:0:0]
		for _, a := range d.Arguments {
			if a.Name == "label" {
				if a.Value != nil && a.Value.Kind == ast.StringValue {
					given = a.Value.Raw
				}
				continue
			}
			args = append(args, a)
		}
		raw := labelPrefix + strconv.Itoa(n) + ":" + given
		d.Arguments = append(args, &ast.Argument{Name: "label", Value: &ast.Value{Kind: ast.StringValue, Raw: raw}})
	}
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				s.SelectionSet = hoistNestedDefers(s.SelectionSet)
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				label(s.Directives)
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				label(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		op.SelectionSet = hoistNestedDefers(op.SelectionSet)
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		f.SelectionSet = hoistNestedDefers(f.SelectionSet)
		walk(f.SelectionSet)
	}
}

// hoistNestedDefers moves a deferred inline fragment that stands directly in another one (the
// same object: `... @defer { a ... @defer { b } }`) out beside it. gqlgen gives each field of
// the inner fragment to both labels, and the outer part, which is ready first, carries them: the
// inner part then comes empty, and a client that counts its parts (Apollo Client) finishes one
// part early. Beside each other, each part carries its own fields. The outer fragment's type
// condition and @skip / @include stay with what is moved.
func hoistNestedDefers(set ast.SelectionSet) ast.SelectionSet {
	for i := 0; i < len(set); i++ { // set grows as fragments are moved out: they are looked at too
		outer, ok := set[i].(*ast.InlineFragment)
		if !ok || outer.Directives.ForName("defer") == nil {
			continue
		}
		kept := outer.SelectionSet[:0:0]
		for _, sel := range outer.SelectionSet {
			inner, ok := sel.(*ast.InlineFragment)
			if !ok || inner.Directives.ForName("defer") == nil {
				kept = append(kept, sel)
				continue
			}
			var conditions ast.DirectiveList
			for _, d := range outer.Directives {
				if d.Name == "skip" || d.Name == "include" {
					conditions = append(conditions, d)
				}
			}
			if outer.TypeCondition == "" && len(conditions) == 0 {
				set = append(set, inner)
				continue
			}
			set = append(set, &ast.InlineFragment{TypeCondition: outer.TypeCondition, Directives: conditions,
				SelectionSet: ast.SelectionSet{inner}, ObjectDefinition: outer.ObjectDefinition, Position: inner.Position})
		}
		outer.SelectionSet = kept
	}
	return set
}

// clientLabel is the label the client gave the @defer that LabelDefers labelled l ("" for none).
func clientLabel(l string) string {
	if !strings.HasPrefix(l, labelPrefix) {
		return l
	}
	_, given, _ := strings.Cut(l, ":")
	return given
}
