package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by every replica of the gateway, so a client's retry that lands on
// another replica still gets the first result.
type Redis struct {
	client  *redis.Client
	ttl     time.Duration // how long a finished record is kept
	claimed time.Duration // how long a claim lasts if its owner dies before finishing
	poll    time.Duration
	now     func() time.Time
}

// NewRedis keeps finished records for ttl. A claim expires after claimTTL, so a replica that
// crashed mid-write does not block the key forever (a retry after that may write again: the
// price of a crash mid-write).
func NewRedis(client *redis.Client, ttl, claimTTL time.Duration) *Redis {
	return &Redis{client: client, ttl: ttl, claimed: claimTTL, poll: 25 * time.Millisecond, now: time.Now}
}

type redisRecord struct {
	State       string          `json:"state"` // claimed, done, failed, unknown
	Fingerprint string          `json:"fp"`
	Started     int64           `json:"started"` // unix ms
	Value       json.RawMessage `json:"value,omitempty"`
	Err         json.RawMessage `json:"err,omitempty"`
}

var states = map[State]string{Done: "done", Failed: "failed", Unknown: "unknown"}

// claimScript makes the caller the key's owner when it is free or its last attempt's outcome is
// unknown; otherwise it answers what is there. One script: no two replicas own a key at once.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {'owner', ARGV[1]}
end
local r = cjson.decode(v)
if r.fp ~= ARGV[2] then return {'reused', v} end
if r.state == 'claimed' then return {'wait', v} end
if r.state == 'unknown' then
  r.state = 'claimed'
  redis.call('SET', KEYS[1], cjson.encode(r), 'PX', ARGV[3])
  return {'owner', v}
end
return {'done', v}
`)

func redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "weda-gateway:idempotency:" + hex.EncodeToString(sum[:])
}

// Claim implements Store.
func (r *Redis) Claim(ctx context.Context, key, fingerprint string) (Record, bool, error) {
	fresh, _ := json.Marshal(redisRecord{State: "claimed", Fingerprint: fingerprint, Started: r.now().UnixMilli()})
	for {
		res, err := claimScript.Run(ctx, r.client, []string{redisKey(key)}, string(fresh), fingerprint,
			r.claimed.Milliseconds()).StringSlice()
		if err != nil {
			return Record{}, false, fmt.Errorf("idempotency store: %w", err)
		}
		if len(res) != 2 {
			return Record{}, false, fmt.Errorf("idempotency store: unexpected answer %q", res)
		}
		var rec redisRecord
		if err := json.Unmarshal([]byte(res[1]), &rec); err != nil {
			return Record{}, false, fmt.Errorf("idempotency store: %w", err)
		}
		out := Record{Value: rec.Value, Err: rec.Err, Started: time.UnixMilli(rec.Started)}
		for s, name := range states {
			if rec.State == name {
				out.State = s
			}
		}
		switch res[0] {
		case "owner":
			return out, true, nil
		case "reused":
			return Record{}, false, ErrKeyReused
		case "done":
			return out, false, nil
		}
		select { // another replica owns it: look again shortly
		case <-time.After(r.poll):
		case <-ctx.Done():
			return Record{}, false, ctx.Err()
		}
	}
}

// Complete implements Store.
func (r *Redis) Complete(key string, rec Record) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	k := redisKey(key)
	prev, err := r.client.Get(ctx, k).Bytes()
	if err != nil {
		return
	}
	var old redisRecord
	if json.Unmarshal(prev, &old) != nil {
		return
	}
	started := old.Started
	if !rec.Started.IsZero() {
		started = rec.Started.UnixMilli()
	}
	b, _ := json.Marshal(redisRecord{State: states[rec.State], Fingerprint: old.Fingerprint, Started: started,
		Value: rec.Value, Err: rec.Err})
	r.client.Set(ctx, k, b, r.ttl)
}

// Release implements Store.
func (r *Redis) Release(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.client.Del(ctx, redisKey(key))
}
