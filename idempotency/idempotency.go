// Package idempotency remembers the outcome of writes sent with an idempotency key, so that a
// client's retry gets the first result instead of a second effect. The in-memory Store serves one
// replica; the Store interface lets a shared one (Redis) replace it for several.
package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// State is what became of a keyed write.
type State int

const (
	// Done: the write succeeded; repeats get its result.
	Done State = iota + 1
	// Failed: the upstream refused the write; repeats get the same error.
	Failed
	// Unknown: the write was sent and no answer came; the next attempt must first check whether
	// it took effect.
	Unknown
)

// Record is the remembered outcome of a keyed write, in bytes so that a shared store can hold it.
type Record struct {
	State   State
	Value   json.RawMessage // Done: the result
	Err     json.RawMessage // Failed: the refusal, as the client saw it
	Started time.Time       // when the first attempt began, for checking what an Unknown one did
}

// ErrKeyReused means a key came back with a different input: a client bug that replaying the
// first result would hide.
var ErrKeyReused = errors.New("this idempotency key was used with a different input")

// Store remembers keyed writes.
type Store interface {
	// Claim returns the finished record for key (owner false), or makes the caller the key's
	// owner (owner true) with the previous record, if any (an Unknown one to reconcile). While
	// another caller owns the key, Claim waits for it, or for ctx.
	Claim(ctx context.Context, key, fingerprint string) (rec Record, owner bool, err error)
	// Complete records the owner's outcome and releases the waiters.
	Complete(key string, rec Record)
	// Release forgets key: the write certainly did not happen, and a retry may run it.
	Release(key string)
}

// Memory is a Store in this process's memory, bounded in size and in time.
type Memory struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	fingerprint string
	rec         Record
	owned       bool
	done        chan struct{}
	expires     time.Time
}

// NewMemory keeps each finished record for ttl, and at most max records.
func NewMemory(ttl time.Duration, max int) *Memory {
	return &Memory{ttl: ttl, max: max, now: time.Now, entries: map[string]*entry{}}
}

// Claim implements Store.
func (m *Memory) Claim(ctx context.Context, key, fingerprint string) (Record, bool, error) {
	for {
		m.mu.Lock()
		e := m.entries[key]
		if e != nil && !e.owned && m.now().After(e.expires) {
			delete(m.entries, key)
			e = nil
		}
		switch {
		case e == nil:
			m.evict()
			rec := Record{Started: m.now()}
			m.entries[key] = &entry{fingerprint: fingerprint, owned: true, done: make(chan struct{}), rec: rec}
			m.mu.Unlock()
			return rec, true, nil
		case e.fingerprint != fingerprint:
			m.mu.Unlock()
			return Record{}, false, ErrKeyReused
		case e.owned:
			done := e.done
			m.mu.Unlock()
			select {
			case <-done:
				continue // look again: finished, or released
			case <-ctx.Done():
				return Record{}, false, ctx.Err()
			}
		case e.rec.State == Unknown:
			e.owned, e.done = true, make(chan struct{})
			rec := e.rec
			m.mu.Unlock()
			return rec, true, nil
		default:
			rec := e.rec
			m.mu.Unlock()
			return rec, false, nil
		}
	}
}

// Complete implements Store.
func (m *Memory) Complete(key string, rec Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	if e == nil || !e.owned {
		return
	}
	if rec.Started.IsZero() {
		rec.Started = e.rec.Started
	}
	e.rec, e.owned, e.expires = rec, false, m.now().Add(m.ttl)
	close(e.done)
}

// Release implements Store.
func (m *Memory) Release(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[key]; e != nil {
		delete(m.entries, key)
		if e.owned {
			close(e.done)
		}
	}
}

// evict makes room for one more entry: expired ones go first, then the oldest finished ones.
func (m *Memory) evict() {
	if len(m.entries) < m.max {
		return
	}
	now := m.now()
	var oldestKey string
	var oldest time.Time
	for k, e := range m.entries {
		if e.owned {
			continue
		}
		if now.After(e.expires) {
			delete(m.entries, k)
			continue
		}
		if oldestKey == "" || e.expires.Before(oldest) {
			oldestKey, oldest = k, e.expires
		}
	}
	if len(m.entries) >= m.max && oldestKey != "" {
		delete(m.entries, oldestKey)
	}
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
