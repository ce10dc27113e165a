package idempotency

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// Memory is a Store in this process's memory. Finished records live in a bounded cache with
// O(1) eviction and expiry (otter); claims in flight, bounded by the requests in flight, in a map.
type Memory struct {
	done *otter.Cache[string, memoryRecord]
	ttl  time.Duration
	now  func() time.Time

	mu     sync.Mutex
	claims map[string]*memoryClaim
}

type memoryRecord struct {
	fingerprint string
	rec         Record
}

type memoryClaim struct {
	fingerprint string
	token       string
	started     time.Time
	released    chan struct{}
}

// NewMemory keeps each finished record for ttl, and at most max records.
func NewMemory(ttl time.Duration, max int) (*Memory, error) {
	cache, err := otter.New(&otter.Options[string, memoryRecord]{MaximumSize: max,
		ExpiryCalculator: otter.ExpiryWriting[string, memoryRecord](ttl)})
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return &Memory{done: cache, ttl: ttl, now: time.Now, claims: map[string]*memoryClaim{}}, nil
}

// Close stops the cache's clean-up goroutines.
func (m *Memory) Close() { m.done.StopAllGoroutines() }

// Claim implements Store.
func (m *Memory) Claim(ctx context.Context, key, fingerprint string) (Claim, error) {
	for {
		m.mu.Lock()
		if c := m.claims[key]; c != nil {
			m.mu.Unlock()
			if c.fingerprint != fingerprint {
				return Claim{}, ErrKeyReused
			}
			select {
			case <-c.released:
				continue // look again: finished, or released
			case <-ctx.Done():
				return Claim{}, ctx.Err()
			}
		}
		prev, found := m.done.GetIfPresent(key)
		switch {
		case found && prev.fingerprint != fingerprint:
			m.mu.Unlock()
			return Claim{}, ErrKeyReused
		case found && prev.rec.State != Unknown:
			m.mu.Unlock()
			return Claim{Record: prev.rec}, nil
		}
		c := &memoryClaim{fingerprint: fingerprint, token: newToken(), started: m.now(), released: make(chan struct{})}
		rec := Record{Started: c.started}
		if found { // an Unknown outcome: the new owner reconciles it
			rec = prev.rec
			c.started = rec.Started
		}
		m.claims[key] = c
		m.mu.Unlock()
		return Claim{Record: rec, Token: c.token}, nil
	}
}

// Complete implements Store. A claim in memory cannot vanish while its process runs.
func (m *Memory) Complete(_ context.Context, key, token string, rec Record) (Completion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.claims[key]
	if c == nil || c.token != token {
		return 0, ErrNotOwner
	}
	if rec.Started.IsZero() {
		rec.Started = c.started
	}
	m.done.Set(key, memoryRecord{fingerprint: c.fingerprint, rec: rec})
	delete(m.claims, key)
	close(c.released)
	return Recorded, nil
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.claims[key]
	if c == nil || c.token != token {
		return ErrNotOwner
	}
	m.done.Invalidate(key)
	delete(m.claims, key)
	close(c.released)
	return nil
}
