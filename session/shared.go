package session

import (
	"context"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"

	"github.com/wedagraph/gateway/upstream"
)

// Shared caches reference data across operations for a short time: the deployed flows and user
// records, which are the same for every viewer. Per-viewer data (boxes, messages, tasks) is never
// cached here. Concurrent misses for one key, from any number of requests, make one call.
type Shared struct {
	flows *otter.Cache[string, *upstream.DeployedFlows]
	users *otter.Cache[string, *upstream.User]
	// The caches' own hit and miss counts, read by the gateway's metrics.
	flowStats, userStats *stats.Counter
}

// CacheStats counts a cache's lookups: a hit found the entry, a miss had to ask WeDa.
type CacheStats struct{ Hits, Misses uint64 }

// Stats returns the lookups of the flows cache and of the users cache so far.
func (s *Shared) Stats() (flows, users CacheStats) {
	if s == nil {
		return
	}
	f, u := s.flowStats.Snapshot(), s.userStats.Snapshot()
	return CacheStats{Hits: f.Hits, Misses: f.Misses}, CacheStats{Hits: u.Hits, Misses: u.Misses}
}

// NewShared returns a cache keeping entries for ttl; nil when ttl is zero (caching off).
func NewShared(ttl time.Duration) *Shared {
	if ttl <= 0 {
		return nil
	}
	flowStats, userStats := stats.NewCounter(), stats.NewCounter()
	flows, err := otter.New(&otter.Options[string, *upstream.DeployedFlows]{StatsRecorder: flowStats,
		MaximumSize: 64, ExpiryCalculator: otter.ExpiryWriting[string, *upstream.DeployedFlows](ttl)})
	if err != nil {
		panic(err) // only for invalid options, which are constant here
	}
	users, err := otter.New(&otter.Options[string, *upstream.User]{StatsRecorder: userStats,
		MaximumSize: 50_000, ExpiryCalculator: otter.ExpiryWriting[string, *upstream.User](ttl)})
	if err != nil {
		panic(err)
	}
	return &Shared{flows: flows, users: users, flowStats: flowStats, userStats: userStats}
}

// Close stops the caches' clean-up goroutines.
func (s *Shared) Close() {
	if s != nil {
		s.flows.StopAllGoroutines()
		s.users.StopAllGoroutines()
	}
}

// InvalidateFlows drops the cached flows, e.g. when WeDa refused a flow code as stale.
func (s *Shared) InvalidateFlows() {
	if s != nil {
		s.flows.InvalidateAll()
	}
}

func flowsKey(env string, flowType int) string { return fmt.Sprintf("%s/%d", env, flowType) }

func userKey(env, id string) string { return env + "/" + id }

// SharedLoadTimeout bounds a load made for the cross-operation cache, which runs detached from
// the operation that happened to ask first.
const SharedLoadTimeout = 30 * time.Second

// cachedFlows returns the flows from the shared cache. A miss is loaded for every operation that
// waits on it, so it runs detached from the one that asked first: its own context (values such
// as the environment kept, cancellation not) with its own timeout, outside that operation's cap
// and call ceiling, so one client's disconnect or call limit cannot fail other clients.
func (s *Session) cachedFlows(ctx context.Context, flowType int) (*upstream.DeployedFlows, error) {
	return s.shared.flows.Get(ctx, flowsKey(s.Env(), flowType), otter.LoaderFunc[string, *upstream.DeployedFlows](
		func(ctx context.Context, _ string) (*upstream.DeployedFlows, error) {
			ctx, cancel := context.WithTimeout(s.withEnv(context.WithoutCancel(ctx)), SharedLoadTimeout)
			defer cancel()
			var out *upstream.DeployedFlows
			err := guard(s.cfg.Log, func() (err error) {
				out, err = s.client.ListDeployedFlows(ctx, flowType)
				return err
			})
			return out, err
		}))
}

// cachedUsers splits ids into users the shared cache holds and ids still to fetch.
func (s *Session) cachedUsers(ids []string) (map[string]*upstream.User, []string) {
	found := map[string]*upstream.User{}
	if s.shared == nil {
		return found, ids
	}
	env := s.Env()
	var missing []string
	for _, id := range ids {
		if u, ok := s.shared.users.GetIfPresent(userKey(env, id)); ok {
			found[id] = u
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing
}

func (s *Session) rememberUsers(users map[string]*upstream.User) {
	if s.shared == nil {
		return
	}
	env := s.Env()
	for id, u := range users {
		s.shared.users.Set(userKey(env, id), u)
	}
}
