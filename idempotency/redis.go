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
// another replica still gets the first result. Each step is one Lua script: no two replicas own
// a key at once, and only the owner named in the record may complete or release it.
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
	State       string `json:"state"` // claimed, done, failed, unknown
	Owner       string `json:"owner,omitempty"`
	Fingerprint string `json:"fp"`
	Started     int64  `json:"started"` // unix ms
	// The outcome travels as text: Lua's cjson would turn an empty JSON array into an object.
	Value string `json:"value,omitempty"`
	Err   string `json:"err,omitempty"`
}

var stateNames = map[State]string{Done: "done", Failed: "failed", Unknown: "unknown"}

// claimScript makes the caller the key's owner when it is free or its last attempt's outcome is
// unknown; otherwise it answers what is there.
// KEYS[1] key; ARGV: fresh record, fingerprint, claim ms, owner token.
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
  r.owner = ARGV[4]
  redis.call('SET', KEYS[1], cjson.encode(r), 'PX', ARGV[3])
  return {'owner', v}
end
return {'done', v}
`)

// completeScript replaces the owner's claim with its outcome. KEYS[1] key; ARGV: owner token,
// outcome record (its fingerprint and start are taken from the claim), ttl ms.
var completeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 'lost' end
local r = cjson.decode(v)
if r.state ~= 'claimed' or r.owner ~= ARGV[1] then return 'lost' end
local out = cjson.decode(ARGV[2])
out.fp = r.fp
if not out.started or out.started == 0 then out.started = r.started end
redis.call('SET', KEYS[1], cjson.encode(out), 'PX', ARGV[3])
return 'ok'
`)

// releaseScript deletes the key only while the caller still owns it. KEYS[1] key; ARGV: owner token.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 'lost' end
local r = cjson.decode(v)
if r.state ~= 'claimed' or r.owner ~= ARGV[1] then return 'lost' end
redis.call('DEL', KEYS[1])
return 'ok'
`)

func redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "weda-gateway:idempotency:" + hex.EncodeToString(sum[:])
}

func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }

// Claim implements Store.
func (r *Redis) Claim(ctx context.Context, key, fingerprint string) (Claim, error) {
	token := newToken()
	fresh, _ := json.Marshal(redisRecord{State: "claimed", Owner: token, Fingerprint: fingerprint, Started: r.now().UnixMilli()})
	for {
		res, err := claimScript.Run(ctx, r.client, []string{redisKey(key)}, string(fresh), fingerprint,
			r.claimed.Milliseconds(), token).StringSlice()
		if err != nil {
			if ctx.Err() != nil {
				return Claim{}, ctx.Err()
			}
			return Claim{}, unavailable(err)
		}
		if len(res) != 2 {
			return Claim{}, unavailable(fmt.Errorf("unexpected answer %q", res))
		}
		var rec redisRecord
		if err := json.Unmarshal([]byte(res[1]), &rec); err != nil {
			return Claim{}, unavailable(err)
		}
		out := Record{Started: time.UnixMilli(rec.Started)}
		if rec.Value != "" {
			out.Value = json.RawMessage(rec.Value)
		}
		if rec.Err != "" {
			out.Err = json.RawMessage(rec.Err)
		}
		for s, name := range stateNames {
			if rec.State == name {
				out.State = s
			}
		}
		switch res[0] {
		case "owner":
			return Claim{Record: out, Token: token}, nil
		case "reused":
			return Claim{}, ErrKeyReused
		case "done":
			return Claim{Record: out}, nil
		}
		select { // another replica owns it: look again shortly
		case <-time.After(r.poll):
		case <-ctx.Done():
			return Claim{}, ctx.Err()
		}
	}
}

// Complete implements Store.
func (r *Redis) Complete(ctx context.Context, key, token string, rec Record) error {
	var started int64
	if !rec.Started.IsZero() {
		started = rec.Started.UnixMilli()
	}
	b, _ := json.Marshal(redisRecord{State: stateNames[rec.State], Started: started, Value: string(rec.Value), Err: string(rec.Err)})
	return r.fenced(ctx, completeScript, key, token, string(b), r.ttl.Milliseconds())
}

// Release implements Store.
func (r *Redis) Release(ctx context.Context, key, token string) error {
	return r.fenced(ctx, releaseScript, key, token)
}

func (r *Redis) fenced(ctx context.Context, script *redis.Script, key, token string, args ...any) error {
	res, err := script.Run(ctx, r.client, []string{redisKey(key)}, append([]any{token}, args...)...).Text()
	switch {
	case err != nil:
		return unavailable(err)
	case res != "ok":
		return ErrNotOwner
	}
	return nil
}
