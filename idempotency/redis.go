package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by every replica of the gateway, so a client's retry that lands on
// another replica still gets the first result. Each step is one Lua script: no two replicas own
// a key at once, and only the owner named in the record may complete or release it.
//
// Records survive a Redis restart only when Redis persists them (an append-only file on a
// volume). When they do not, two things are still done: a claim that vanished before its
// outcome is recorded anew at completion (completeScript), and the store's epoch key tells the
// replicas that Redis lost its records, so that the writes sent in the following record lifetime
// can say they may repeat a forgotten one (Claim.ForgottenBefore).
type Redis struct {
	client  *redis.Client
	ttl     time.Duration // how long a finished record is kept
	claimed time.Duration // how long a claim lasts if its owner dies before finishing
	poll    time.Duration
	now     func() time.Time

	mu    sync.Mutex
	epoch string // the epoch this replica last saw; "" before its first claim
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

// epochKey holds "<unix ms>:<0|1>": when the records' epoch began, and 1 when it began because
// Redis was found emptied under replicas that had seen an earlier epoch (0: a first start). It
// has no expiry, so only a loss of data (or an eviction: Redis must run with noeviction) makes
// it go.
const epochKey = "weda-gateway:idempotency:epoch"

// claimScript makes the caller the key's owner when it is free or its last attempt's outcome is
// unknown; otherwise it answers what is there. It also answers the epoch, starting a new one
// when the key is gone, flagged as a loss when the caller had seen another.
// KEYS[1] key, KEYS[2] epoch; ARGV: fresh record, fingerprint, claim ms, owner token, the
// caller's last epoch ("" for none), now ms.
var claimScript = redis.NewScript(`
local e = redis.call('GET', KEYS[2])
if not e then
  local lost = '0'
  if ARGV[5] ~= '' then lost = '1' end
  e = ARGV[6] .. ':' .. lost
  redis.call('SET', KEYS[2], e)
elseif ARGV[5] ~= '' and e ~= ARGV[5] and string.sub(e, -2) == ':0' then
  e = string.sub(e, 1, -3) .. ':1'
  redis.call('SET', KEYS[2], e)
end
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {'owner', ARGV[1], e}
end
local r = cjson.decode(v)
if r.fp ~= ARGV[2] then return {'reused', v, e} end
if r.state == 'claimed' then return {'wait', v, e} end
if r.state == 'unknown' then
  r.state = 'claimed'
  r.owner = ARGV[4]
  redis.call('SET', KEYS[1], cjson.encode(r), 'PX', ARGV[3])
  return {'owner', v, e}
end
return {'done', v, e}
`)

// completeScript replaces the owner's claim with its outcome. A claim that vanished (Redis
// restarted empty, or the claim expired) is recorded anew, since nobody else holds the key; a key
// another owner holds is left as it is. KEYS[1] key; ARGV: owner token, outcome record (with its
// fingerprint), ttl ms, now ms.
var completeScript = redis.NewScript(`
local out = cjson.decode(ARGV[2])
local v = redis.call('GET', KEYS[1])
if not v then
  if not out.fp or out.fp == '' then return 'taken' end
  if not out.started or out.started == 0 then out.started = tonumber(ARGV[4]) end
  redis.call('SET', KEYS[1], cjson.encode(out), 'PX', ARGV[3])
  return 'restored'
end
local r = cjson.decode(v)
if r.state ~= 'claimed' or r.owner ~= ARGV[1] then return 'taken' end
out.fp = r.fp
if not out.started or out.started == 0 then out.started = r.started end
redis.call('SET', KEYS[1], cjson.encode(out), 'PX', ARGV[3])
return 'ok'
`)

// releaseScript deletes the key only while the caller still owns it; a key already gone is
// released. KEYS[1] key; ARGV: owner token.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 'ok' end
local r = cjson.decode(v)
if r.state ~= 'claimed' or r.owner ~= ARGV[1] then return 'taken' end
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
		res, err := claimScript.Run(ctx, r.client, []string{redisKey(key), epochKey}, string(fresh), fingerprint,
			r.claimed.Milliseconds(), token, r.lastEpoch(), r.now().UnixMilli()).StringSlice()
		if err != nil {
			if ctx.Err() != nil {
				return Claim{}, ctx.Err()
			}
			return Claim{}, unavailable(err)
		}
		if len(res) != 3 {
			return Claim{}, unavailable(fmt.Errorf("unexpected answer %q", res))
		}
		forgotten := r.sawEpoch(res[2])
		out, err := decodeRecord(res[1])
		if err != nil {
			return Claim{}, unavailable(err)
		}
		switch res[0] {
		case "owner":
			c := Claim{Record: out, Token: token}
			if out.State == 0 {
				c.ForgottenBefore = forgotten
			}
			return c, nil
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

func decodeRecord(text string) (Record, error) {
	var rec redisRecord
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		return Record{}, err
	}
	out := Record{Started: time.UnixMilli(rec.Started), Fingerprint: rec.Fingerprint}
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
	return out, nil
}

func (r *Redis) lastEpoch() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.epoch
}

// sawEpoch remembers the epoch a claim answered, and returns when its records began if it began
// with a loss of records less than a record's lifetime ago (else the zero time).
func (r *Redis) sawEpoch(e string) time.Time {
	r.mu.Lock()
	r.epoch = e
	r.mu.Unlock()
	ms, lost, ok := strings.Cut(e, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || lost != "1" {
		return time.Time{}
	}
	if began := time.UnixMilli(n); r.now().Sub(began) < r.ttl {
		return began
	}
	return time.Time{}
}

// Complete implements Store.
func (r *Redis) Complete(ctx context.Context, key, token string, rec Record) (Completion, error) {
	var started int64
	if !rec.Started.IsZero() {
		started = rec.Started.UnixMilli()
	}
	b, _ := json.Marshal(redisRecord{State: stateNames[rec.State], Fingerprint: rec.Fingerprint, Started: started,
		Value: string(rec.Value), Err: string(rec.Err)})
	res, err := r.fenced(ctx, completeScript, key, token, string(b), r.ttl.Milliseconds(), r.now().UnixMilli())
	switch {
	case err != nil:
		return 0, err
	case res == "restored":
		return Restored, nil
	}
	return Recorded, nil
}

// Release implements Store.
func (r *Redis) Release(ctx context.Context, key, token string) error {
	_, err := r.fenced(ctx, releaseScript, key, token)
	return err
}

func (r *Redis) fenced(ctx context.Context, script *redis.Script, key, token string, args ...any) (string, error) {
	res, err := script.Run(ctx, r.client, []string{redisKey(key)}, append([]any{token}, args...)...).Text()
	switch {
	case err != nil:
		return "", unavailable(err)
	case res == "taken":
		return "", ErrNotOwner
	}
	return res, nil
}
