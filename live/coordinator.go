package live

import (
	"context"
	"time"
)

// Coordinator shares pollers across replicas: it decides which replica polls a key, and carries
// snapshots and refresh requests between replicas.
type Coordinator interface {
	// Lead reports whether this replica polls key now, taking or renewing its lease for ttl.
	Lead(ctx context.Context, key string, ttl time.Duration) bool
	// Resign gives the lease up, if this replica holds it.
	Resign(ctx context.Context, key string)
	// Publish hands a changed snapshot to the other replicas, and keeps it for late subscribers.
	Publish(ctx context.Context, key string, snapshot []byte)
	// Last is the latest snapshot any replica published for key.
	Last(ctx context.Context, key string) ([]byte, bool)
	// Poke asks the replica holding key's lease to poll now.
	Poke(ctx context.Context, key string)
	// Listen calls onSnapshot with every snapshot published for key, and onPoke on every poke,
	// until the returned function is called.
	Listen(key string, onSnapshot func([]byte), onPoke func()) (stop func())
}

// Local is the Coordinator of a single replica: it always leads, and keeps nothing.
func Local() Coordinator { return local{} }

type local struct{}

func (local) Lead(context.Context, string, time.Duration) bool { return true }
func (local) Resign(context.Context, string)                   {}
func (local) Publish(context.Context, string, []byte)          {}
func (local) Last(context.Context, string) ([]byte, bool)      { return nil, false }
func (local) Poke(context.Context, string)                     {}
func (local) Listen(string, func([]byte), func()) func()       { return func() {} }
