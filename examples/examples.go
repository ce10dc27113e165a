// Package examples holds every operation README.md and docs/ show, one named operation a file, as a
// client project would keep them; clients/ generates typed TypeScript from them, and the load
// harness (cmd/load) sends them.
package examples

import (
	"embed"
	"fmt"
)

//go:embed *.graphql
var operations embed.FS

// Operation is the text of one example file, e.g. "inbox.graphql".
func Operation(file string) (string, error) {
	b, err := operations.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("examples: %w", err)
	}
	return string(b), nil
}

// MustOperation is Operation for files the program ships with: a missing one is a build mistake.
func MustOperation(file string) string {
	s, err := Operation(file)
	if err != nil {
		panic(err)
	}
	return s
}
