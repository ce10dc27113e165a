package idempotency

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/internal/redistest"
)

func clientOf(t *testing.T, s *redistest.Server) *redis.Client {
	opts, err := redis.ParseURL(s.URL)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	return client
}

var firstResult = Record{State: Done, Value: json.RawMessage(`"first"`), Fingerprint: "fp"}

// A claim that vanished with a Redis restarted empty is completed all the same: the retry replays.
func TestRedisRecordsAClaimThatVanished(t *testing.T) {
	srv := redistest.Run(t, redistest.Options{})
	r := NewRedis(clientOf(t, srv), time.Hour, time.Minute)
	ctx := context.Background()
	c := claim(t, r, "k")
	srv.Kill()
	srv.Restart() // empty

	done, err := r.Complete(ctx, "k", c.Token, firstResult)
	require.NoError(t, err)
	assert.Equal(t, Restored, done, "the claim was gone and the outcome is recorded anew")
	again := claim(t, r, "k")
	require.False(t, again.Owner(), "the retry replays")
	assert.JSONEq(t, `"first"`, string(again.Record.Value))
	_, err = r.Claim(ctx, "k", "another input")
	assert.ErrorIs(t, err, ErrKeyReused, "the restored record keeps the input's fingerprint")
}

// With an append-only file, a restart between claim and completion, and between completion and
// retry, loses nothing.
func TestRedisWithAOFKeepsClaimsAndRecords(t *testing.T) {
	srv := redistest.Run(t, redistest.Options{AOF: true})
	r := NewRedis(clientOf(t, srv), time.Hour, time.Minute)
	ctx := context.Background()
	c := claim(t, r, "k")
	srv.Stop()
	srv.Restart()
	done, err := r.Complete(ctx, "k", c.Token, firstResult)
	require.NoError(t, err)
	assert.Equal(t, Recorded, done, "the claim survived the restart")
	srv.Stop()
	srv.Restart()
	again := claim(t, r, "k")
	require.False(t, again.Owner())
	assert.JSONEq(t, `"first"`, string(again.Record.Value))
	assert.Zero(t, again.ForgottenBefore)
}

// When Redis lost the claim and another attempt claimed the key since, the first owner's
// completion leaves the second's claim and record alone.
func TestRedisNeverOverwritesAnotherOwnerAfterALoss(t *testing.T) {
	srv := redistest.Run(t, redistest.Options{})
	r := NewRedis(clientOf(t, srv), time.Hour, time.Minute)
	ctx := context.Background()
	a := claim(t, r, "k")
	srv.FlushAll()
	b := claim(t, r, "k")
	require.True(t, b.Owner(), "the key was free again")

	_, err := r.Complete(ctx, "k", a.Token, Record{State: Done, Value: json.RawMessage(`"A"`), Fingerprint: "fp"})
	assert.ErrorIs(t, err, ErrNotOwner)
	done, err := r.Complete(ctx, "k", b.Token, Record{State: Done, Value: json.RawMessage(`"B"`), Fingerprint: "fp"})
	require.NoError(t, err)
	assert.Equal(t, Recorded, done)
	_, err = r.Complete(ctx, "k", a.Token, Record{State: Done, Value: json.RawMessage(`"A"`), Fingerprint: "fp"})
	assert.ErrorIs(t, err, ErrNotOwner)
	assert.JSONEq(t, `"B"`, string(claim(t, r, "k").Record.Value), "B's record stands")
}

// After Redis lost its records, fresh claims say since when keys are forgotten, on every replica
// (one that saw the earlier epoch, and one that starts after the loss); a first start says nothing.
func TestRedisTellsWhenItsRecordsWereLost(t *testing.T) {
	srv := redistest.Run(t, redistest.Options{})
	client := clientOf(t, srv)
	before := NewRedis(client, time.Hour, time.Minute)
	ctx := context.Background()
	first := claim(t, before, "a")
	assert.Zero(t, first.ForgottenBefore, "a first start is not a loss")
	_, err := before.Complete(ctx, "a", first.Token, Record{State: Done, Fingerprint: "fp"})
	require.NoError(t, err)

	srv.Kill()
	srv.Restart()
	late := NewRedis(client, time.Hour, time.Minute) // a replica started after the loss
	assert.Zero(t, claim(t, late, "b").ForgottenBefore, "alone, it cannot tell a loss from a first start")
	lost := claim(t, before, "c")
	require.True(t, lost.Owner())
	assert.NotZero(t, lost.ForgottenBefore, "a replica that saw the earlier epoch tells")
	assert.Equal(t, lost.ForgottenBefore, claim(t, late, "d").ForgottenBefore, "and then every replica tells alike")

	// Once a record's lifetime has passed since the loss, no key it forgot can come back.
	later := NewRedis(client, time.Hour, time.Minute)
	later.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	assert.Zero(t, claim(t, later, "e").ForgottenBefore)
}
