package workflow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// TestObserveIdempotencyEvents: Options.Observe hears each thing a key does to a keyed write,
// under the mutation's name: the gateway's idempotency metrics are made of these.
func TestObserveIdempotencyEvents(t *testing.T) {
	w := newTestbed(t)
	notes := w.service(nil, nil).choiceOwners
	var mu sync.Mutex
	var heard []string
	s, err := New(Options{Store: memoryStore(t), ChoiceOwners: notes, Observe: func(mutation string, e Event) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, mutation+" "+string(e))
	}})
	require.NoError(t, err)
	next := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := heard
		heard = nil
		return out
	}
	// A write whose answers and effect checks the test scripts, one step at a time.
	var writeErr, checkErr error
	var happened bool
	cmd := func(input int) command[int] {
		return command[int]{name: "write", input: input, validate: nothingToCheck,
			authorize: func(context.Context) error { return nil },
			write:     func(context.Context) (int, error) { return 7, writeErr },
			happened:  func(context.Context, time.Time) (int, bool, error) { return 7, happened, checkErr }}
	}
	lihua := w.actor("lihua")
	do := func(key string, input int) error {
		_, err := run(context.Background(), w.as(s, lihua), key, cmd(input))
		return err
	}

	writeErr = &upstream.Error{Kind: upstream.KindTimeout, OutcomeUnknown: true}
	require.Error(t, do("a", 1))
	assert.Equal(t, []string{"write outcome_unknown"}, next())

	checkErr = errors.New("WeDa is away")
	require.Error(t, do("a", 1))
	assert.Equal(t, []string{"write effect_check_failed"}, next())

	checkErr, writeErr = nil, nil
	require.NoError(t, do("a", 1))
	assert.Equal(t, []string{"write effect_absent"}, next(), "no effect found: written again")

	require.NoError(t, do("a", 1))
	assert.Equal(t, []string{"write replay"}, next())

	require.Error(t, do("a", 2))
	assert.Equal(t, []string{"write conflict"}, next(), "the same key with another input")

	writeErr = &upstream.Error{Kind: upstream.KindTimeout, OutcomeUnknown: true}
	require.Error(t, do("b", 1))
	writeErr, happened = nil, true
	require.NoError(t, do("b", 1))
	assert.Equal(t, []string{"write outcome_unknown", "write effect_found"}, next())

	require.NoError(t, do("", 1))
	assert.Empty(t, next(), "a write without a key is not an idempotency event")
}
