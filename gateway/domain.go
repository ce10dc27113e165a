package gateway

import (
	"time"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/workflow"
)

// workflow builds the domain layer over the stores the replicas share: Redis when REDIS_URL is
// set, else this process's memory.
func (g *Gateway) workflow() (*workflow.Service, error) {
	// A next-approver choice waits at most as long as a keyed write's result is kept.
	choicesTTL := g.cfg.IdempotencyTTL
	if g.redis != nil {
		// A claim outlives the write it guards: its attempts and the reads that check it.
		store := idempotency.NewRedis(g.redis, g.cfg.IdempotencyTTL, max(2*time.Minute, 6*g.client.Timeout()))
		return workflow.New(workflow.Options{Store: store, ChoiceOwners: idempotency.NewRedisFacts(g.redis, choicesTTL),
			Live: g.live, Log: g.log, Observe: g.observeIdempotency})
	}
	store, err := idempotency.NewMemory(g.cfg.IdempotencyTTL, g.cfg.IdempotencyKeys)
	if err != nil {
		return nil, err
	}
	choices, err := idempotency.NewMemoryFacts(choicesTTL, g.cfg.IdempotencyKeys)
	if err != nil {
		store.Close()
		return nil, err
	}
	g.closers = append(g.closers, store.Close, choices.Close)
	return workflow.New(workflow.Options{Store: store, ChoiceOwners: choices, Live: g.live, Log: g.log, Observe: g.observeIdempotency})
}
