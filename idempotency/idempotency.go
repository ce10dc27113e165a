// Package idempotency remembers the outcome of writes sent with an idempotency key, so that a
// client's retry gets the first result instead of a second effect. The in-memory Store serves one
// replica; the Redis one is shared by several. Every claim carries an owner token: only the
// owner may complete or release it, so an owner whose claim expired cannot overwrite or delete
// the record of the next one (fencing). A claim that vanished from the store before its outcome
// (Redis restarted empty, or the claim expired) is completed all the same when nobody else holds
// the key, so the retry still replays.
package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// State is what became of a keyed write.
type State int

const (
	// Done: the write succeeded; repeats get its result.
	Done State = iota + 1
	// Failed: the upstream refused the write; repeats get the same refusal.
	Failed
	// Unknown: the write was sent and no verdict came back; the next attempt must first check
	// whether it took effect.
	Unknown
)

// Record is the remembered outcome of a keyed write, in bytes so that a shared store can hold it.
type Record struct {
	State   State
	Value   json.RawMessage // Done: the result
	Err     json.RawMessage // Failed: the refusal
	Started time.Time       // when the first attempt began, for checking what an Unknown one did
	// Fingerprint identifies the input the key was first used with. Complete needs it to record
	// an outcome whose claim vanished from the store.
	Fingerprint string
}

// Claim is what Store.Claim found: a finished record to replay (Token empty), or ownership of
// the key (Token set) with the previous record, if any (an Unknown one to reconcile).
type Claim struct {
	Record Record
	Token  string
	// ForgottenBefore is set on a fresh claim when the store lost its records (it was found
	// emptied, as by a Redis restart without persistence) less than a record's lifetime ago: a
	// key first used before then is no longer known, so this claim may repeat a write.
	ForgottenBefore time.Time
}

// Owner reports whether the caller now owns the key.
func (c Claim) Owner() bool { return c.Token != "" }

var (
	// ErrKeyReused means a key came back with a different input: a client bug that replaying
	// the first result would hide.
	ErrKeyReused = errors.New("this idempotency key was used with a different input")
	// ErrNotOwner means another caller owns the key now (the caller's claim expired, or the
	// store lost it and another attempt claimed the key): the caller's outcome is not recorded.
	ErrNotOwner = errors.New("idempotency: another attempt owns the key")
	// ErrUnavailable wraps every failure of the store itself (Redis down, a bad answer).
	ErrUnavailable = errors.New("idempotency store unavailable")
)

// Completion is what Complete did with an outcome.
type Completion int

const (
	// Recorded: the owner's claim now holds the outcome.
	Recorded Completion = iota + 1
	// Restored: the claim had vanished from the store (it restarted empty, or the claim expired)
	// and nobody else held the key, so the outcome was recorded all the same: a retry replays it.
	Restored
)

// Store remembers keyed writes.
type Store interface {
	// Claim returns the finished record for key, or makes the caller the key's owner. While
	// another caller owns the key, Claim waits for it, or for ctx.
	Claim(ctx context.Context, key, fingerprint string) (Claim, error)
	// Complete records the owner's outcome and releases the waiters. It never overwrites the
	// claim or record of another owner (ErrNotOwner); a vanished claim is recorded anew (Restored).
	Complete(ctx context.Context, key, token string, rec Record) (Completion, error)
	// Release forgets key: the write certainly did not happen, and a retry may run it. Only the
	// owner's claim is deleted: a finished record or another owner's claim stays (ErrNotOwner).
	Release(ctx context.Context, key, token string) error
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type headerKey struct{}

// WithHeaderKey returns ctx carrying the request's Idempotency-Key header.
func WithHeaderKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, headerKey{}, key)
}

// HeaderKey returns the request's Idempotency-Key header, if any.
func HeaderKey(ctx context.Context) string {
	k, _ := ctx.Value(headerKey{}).(string)
	return k
}
