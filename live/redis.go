package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis coordinates the replicas that share one Redis: a key's lease is a Redis key holding the
// leader's id; snapshots and pokes travel on pub/sub channels that every replica listens to with
// one pattern subscription.
type Redis struct {
	client *redis.Client
	id     string
	keep   time.Duration // how long the last snapshot is kept for late subscribers
	log    *slog.Logger

	mu        sync.Mutex
	listeners map[string]map[int]listener
	nextID    int
	cancel    context.CancelFunc
	done      chan struct{}
}

type listener struct {
	onSnapshot func([]byte)
	onPoke     func()
}

const (
	redisPrefix    = "weda-gateway:live:"
	channelPattern = redisPrefix + "ch:*"
)

// NewRedis starts listening to the other replicas, once Redis confirmed the subscription;
// Close stops it.
func NewRedis(ctx context.Context, client *redis.Client, keep time.Duration, log *slog.Logger) (*Redis, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ps := client.PSubscribe(ctx, channelPattern)
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		_ = ps.Close()
		return nil, fmt.Errorf("live: subscribing to the other replicas: %w", err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &Redis{client: client, id: hex.EncodeToString(b[:]), keep: keep, log: log,
		listeners: map[string]map[int]listener{}, cancel: cancel, done: make(chan struct{})}
	go r.receive(rctx, ps)
	return r, nil
}

// Close stops listening.
func (r *Redis) Close() {
	r.cancel()
	<-r.done
}

func (r *Redis) receive(ctx context.Context, ps *redis.PubSub) {
	defer close(r.done)
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			kind, key, found := strings.Cut(strings.TrimPrefix(m.Channel, redisPrefix+"ch:"), ":")
			if !found {
				continue
			}
			r.mu.Lock()
			var ls []listener
			for k, byID := range r.listeners {
				if k == key || (kind == "poke" && matches(parseKey(key), k)) {
					for _, l := range byID {
						ls = append(ls, l)
					}
				}
			}
			r.mu.Unlock()
			if kind == "poke" && m.Payload == r.id {
				continue // this replica poked its own pollers already
			}
			for _, l := range ls {
				if kind == "snap" {
					l.onSnapshot([]byte(m.Payload))
				} else {
					l.onPoke()
				}
			}
		}
	}
}

func leaseKey(key string) string { return redisPrefix + "lease:" + key }
func lastKey(key string) string  { return redisPrefix + "last:" + key }
func channel(kind, key string) string {
	return redisPrefix + "ch:" + kind + ":" + key
}

// leadScript renews the caller's lease, or takes a free one.
var leadScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`)

var resignScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Lead implements Coordinator. When Redis does not answer, no replica leads: subscribers keep
// their last snapshot rather than every replica polling WeDa at once.
func (r *Redis) Lead(ctx context.Context, key string, ttl time.Duration) bool {
	n, err := leadScript.Run(ctx, r.client, []string{leaseKey(key)}, r.id, ttl.Milliseconds()).Int()
	if err != nil && ctx.Err() == nil {
		r.log.Warn("live: the lease could not be checked", "err", err)
	}
	return err == nil && n == 1
}

// Resign implements Coordinator.
func (r *Redis) Resign(ctx context.Context, key string) {
	_ = resignScript.Run(ctx, r.client, []string{leaseKey(key)}, r.id).Err()
}

// Publish implements Coordinator.
func (r *Redis) Publish(ctx context.Context, key string, snapshot []byte) {
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, lastKey(key), snapshot, r.keep)
		p.Publish(ctx, channel("snap", key), snapshot)
		return nil
	})
	if err != nil && ctx.Err() == nil {
		r.log.Warn("live: a snapshot could not be published", "err", err)
	}
}

// Last implements Coordinator.
func (r *Redis) Last(ctx context.Context, key string) ([]byte, bool) {
	b, err := r.client.Get(ctx, lastKey(key)).Bytes()
	return b, err == nil
}

// Poke implements Coordinator.
func (r *Redis) Poke(ctx context.Context, key string) {
	_ = r.client.Publish(ctx, channel("poke", key), r.id).Err()
}

// Listen implements Coordinator.
func (r *Redis) Listen(key string, onSnapshot func([]byte), onPoke func()) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.nextID
	r.nextID++
	if r.listeners[key] == nil {
		r.listeners[key] = map[int]listener{}
	}
	r.listeners[key][id] = listener{onSnapshot, onPoke}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.listeners[key], id)
		if len(r.listeners[key]) == 0 {
			delete(r.listeners, key)
		}
	}
}
