package gateway

import "github.com/99designs/gqlgen/graphql"

// answerExtensions are gqlgen extensions that add to every operation's answer, whatever
// transport carries it, after the gateway's own (bounds, complexity, batching, metrics, log).
func (g *Gateway) answerExtensions() []graphql.HandlerExtension {
	return nil
}
