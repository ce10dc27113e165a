package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/upstream"
)

// Exactly once: a write sent under an idempotency key takes effect once, however it is retried
// and whatever fails on the way (run). The key's record lives in the idempotency store; a write
// whose outcome is unknown is checked against WeDa's state before it is sent again.

// command is one write: its input checks, its policy, the write, and a check of whether an
// earlier attempt whose outcome is unknown took effect.
type command[R any] struct {
	name  string // the mutation: part of the key, never the client's alias for it
	input any    // what the key's fingerprint covers
	// validate checks the input alone, before anything goes upstream.
	validate func() error
	// authorize applies the policy with reads only; it sends nothing.
	authorize func(ctx context.Context) error
	write     func(ctx context.Context) (R, error)
	// happened reports whether an earlier attempt, begun at since, took effect. nil: repeating
	// the write is harmless, so it is simply sent again.
	happened func(ctx context.Context, since time.Time) (R, bool, error)
}

// Event is what an idempotency key did to a keyed write, for Options.Observe.
type Event string

const (
	// EventReplay: a repeat was answered with the first attempt's result or refusal, unsent.
	EventReplay Event = "replay"
	// EventConflict: a key came back with a different input and was refused.
	EventConflict Event = "conflict"
	// EventOutcomeUnknown: a write left and no verdict came back; its key remembers that.
	EventOutcomeUnknown Event = "outcome_unknown"
	// EventEffectFound: a retry after an unknown outcome found the earlier write took effect.
	EventEffectFound Event = "effect_found"
	// EventEffectAbsent: a retry after an unknown outcome found no effect, and writes.
	EventEffectAbsent Event = "effect_absent"
	// EventEffectCheckFailed: that check could not reach WeDa; nothing was written.
	EventEffectCheckFailed Event = "effect_check_failed"
	// EventClaimLost: a claim vanished from the store before its outcome (Redis restarted
	// without it, or it expired); nobody else held the key, so the outcome was recorded anew and
	// a retry replays it.
	EventClaimLost Event = "claim_lost"
	// EventOutcomeNotRecorded: a write's outcome could not be recorded (the store did not answer,
	// or another attempt held the key after the claim was lost): a retry may write again. The
	// answer carries the warning WarnOutcomeNotRecorded.
	EventOutcomeNotRecorded Event = "outcome_not_recorded"
	// EventKeysForgotten: a write was sent under a key the store did not know, within a record's
	// lifetime after the store lost its records: it may repeat a forgotten one. The answer
	// carries the warning WarnKeysForgotten.
	EventKeysForgotten Event = "keys_forgotten"
)

// MaxKeyLength bounds an idempotency key.
const MaxKeyLength = 255

// run carries out c as r's actor, exactly once under key when one is given, and announces what
// it changed.
func run[R any](ctx context.Context, r *Request, key string, c command[R]) (R, error) {
	s, a := r.s, r.a
	var zero R
	if err := c.validate(); err != nil {
		return zero, err
	}
	if key == "" || s.store == nil {
		if err := c.authorize(ctx); err != nil {
			return zero, err
		}
		return send(ctx, r, c)
	}
	if len(key) > MaxKeyLength {
		return zero, errorf(CodeInvalidInput, "an idempotency key is at most %d characters", MaxKeyLength)
	}
	storeKey := strings.Join([]string{a.UserID, r.sess.Env(), c.name, key}, "\x00")
	fp := fingerprint(c.input)
	claim, err := s.store.Claim(ctx, storeKey, fp)
	switch {
	case errors.Is(err, idempotency.ErrKeyReused):
		s.observe(c.name, EventConflict)
		return zero, &Error{Code: CodeInvalidInput, Err: err, Message: err.Error() + ": send a new key for a new request"}
	case err != nil && ctx.Err() != nil:
		return zero, ctx.Err()
	case err != nil:
		return zero, s.storeFailed(ctx, "claim", err)
	case !claim.Owner():
		s.observe(c.name, EventReplay)
		return replay[R](claim.Record)
	}
	return runClaimed(ctx, r, c, storeKey, fp, claim)
}

// runClaimed carries out c under a key this attempt has claimed: it checks an earlier attempt's
// unknown outcome first, writes only if nothing happened, and records the outcome under the key.
func runClaimed[R any](ctx context.Context, r *Request, c command[R], storeKey, fp string, claim idempotency.Claim) (R, error) {
	s := r.s
	var zero R
	// The outcome is recorded even when the client has gone: a retry must find it.
	settle := context.WithoutCancel(ctx)
	finished := false
	defer func() { // a panic below must not leave the key claimed
		if !finished {
			s.release(settle, storeKey, claim.Token)
		}
	}()
	record := func(rec idempotency.Record) {
		rec.Fingerprint = fp
		s.complete(settle, c.name, storeKey, claim.Token, rec)
	}
	if claim.Record.State == idempotency.Unknown && c.happened != nil {
		res, ok, err := c.happened(ctx, claim.Record.Started)
		switch {
		case err != nil: // still unknown: never write again without knowing
			s.observe(c.name, EventEffectCheckFailed)
			finished = true
			record(idempotency.Record{State: idempotency.Unknown, Started: claim.Record.Started})
			return zero, &Error{Code: CodeUnavailable, OutcomeUnknown: true, Err: err, Message: "an earlier attempt's " +
				"write may have happened and WeDa could not be asked whether it did (" + err.Error() + "); retry later " +
				"with the same idempotency key"}
		case ok:
			s.observe(c.name, EventEffectFound)
			finished = true
			record(done(res))
			r.announce(ctx, changeOf(res))
			return res, nil
		}
		s.observe(c.name, EventEffectAbsent)
	}
	if err := c.authorize(ctx); err != nil {
		return zero, err // released by the deferred call: nothing was sent
	}
	res, err := send(ctx, r, c)
	finished = true
	var ue *upstream.Error
	switch {
	case err == nil:
		record(done(res))
	case errors.As(err, &ue) && ue.OutcomeUnknown:
		s.observe(c.name, EventOutcomeUnknown)
		record(idempotency.Record{State: idempotency.Unknown, Started: claim.Record.Started})
	case errors.As(err, &ue) && (ue.Kind == upstream.KindFailedOperation || ue.Kind == upstream.KindNotFound ||
		ue.Kind == upstream.KindInvalidInput):
		refusal, _ := json.Marshal(refusalOf(ue))
		record(idempotency.Record{State: idempotency.Failed, Err: refusal})
	default: // not sent, or refused before WeDa saw it: a retry may run it
		s.release(settle, storeKey, claim.Token)
		return res, err
	}
	if !claim.ForgottenBefore.IsZero() {
		s.forgotten(ctx, c.name, claim.ForgottenBefore)
	}
	return res, err
}

// send runs the write detached from the client's cancellation: once it is decided, a dropped
// connection must not turn it into an unknown outcome. Reads after it see the new state, and
// whoever watches what it changed hears of it.
func send[R any](ctx context.Context, r *Request, c command[R]) (R, error) {
	res, err := c.write(context.WithoutCancel(ctx))
	r.sess.Forget()
	if err == nil {
		r.announce(ctx, changeOf(res))
	}
	return res, err
}

func done[R any](r R) idempotency.Record {
	b, _ := json.Marshal(r)
	return idempotency.Record{State: idempotency.Done, Value: b}
}

// replay answers a repeat with the first attempt's result or WeDa's refusal of it.
func replay[R any](rec idempotency.Record) (R, error) {
	var r R
	if rec.State == idempotency.Failed {
		var ref refusal
		if err := json.Unmarshal(rec.Err, &ref); err != nil {
			return r, &Error{Code: CodeInternal, Message: "the first attempt's answer could not be read", Err: err}
		}
		return r, &upstream.Error{Endpoint: ref.Endpoint, HTTPStatus: ref.HTTPStatus, Code: ref.Code, Message: ref.Message,
			RequestID: ref.RequestID, Kind: ref.Kind}
	}
	if err := json.Unmarshal(rec.Value, &r); err != nil {
		return r, &Error{Code: CodeInternal, Message: "the first attempt's answer could not be read", Err: err}
	}
	return r, nil
}

// refusal is WeDa's refusal of a keyed write, kept to answer its repeats alike.
type refusal struct {
	Endpoint   string        `json:"endpoint"`
	HTTPStatus int           `json:"httpStatus"`
	Code       string        `json:"code"`
	Message    string        `json:"message"`
	RequestID  string        `json:"requestId"`
	Kind       upstream.Kind `json:"kind"`
}

func refusalOf(e *upstream.Error) refusal {
	return refusal{Endpoint: e.Endpoint, HTTPStatus: e.HTTPStatus, Code: e.Code, Message: e.Message, RequestID: e.RequestID, Kind: e.Kind}
}

// fingerprint identifies an input, so a reused key with another input is caught.
func fingerprint(input any) string {
	b, _ := json.Marshal(input)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (s *Service) storeFailed(ctx context.Context, step string, err error) error {
	s.log.ErrorContext(ctx, "idempotency store failed", "step", step, "err", err)
	code := CodeInternal
	if errors.Is(err, idempotency.ErrUnavailable) {
		code = CodeUnavailable
	}
	return &Error{Code: code, Err: err, Message: "the gateway could not record this write's idempotency key, so it did not " +
		"send it; retry shortly"}
}

// complete records the owner's outcome. When it cannot be recorded, a retry may repeat the write,
// and the answer says so, not only the log.
func (s *Service) complete(ctx context.Context, mutation, key, token string, rec idempotency.Record) {
	done, err := s.store.Complete(ctx, key, token, rec)
	switch {
	case err == nil && done == idempotency.Restored:
		s.observe(mutation, EventClaimLost)
		s.log.WarnContext(ctx, "idempotency claim vanished from the store before its outcome (Redis restarted "+
			"without persistence, or the claim expired); the outcome is recorded anew", "mutation", mutation)
	case err != nil:
		s.observe(mutation, EventOutcomeNotRecorded)
		s.log.ErrorContext(ctx, "idempotency store could not record an outcome", "mutation", mutation, "err", err)
		cause := "its store did not answer"
		if errors.Is(err, idempotency.ErrNotOwner) {
			cause = "its store lost the claim, and another attempt with the same key holds it now"
		}
		warn(ctx, Warning{Code: WarnOutcomeNotRecorded, Message: "the outcome of this write could not be recorded under " +
			"its idempotency key (" + cause + "): a retry with the same key may carry it out again; check WeDa's " +
			"state before retrying"})
	}
}

// forgotten says that a write sent under a key the store did not know may repeat one whose
// record the store lost.
func (s *Service) forgotten(ctx context.Context, mutation string, since time.Time) {
	s.observe(mutation, EventKeysForgotten)
	warn(ctx, Warning{Code: WarnKeysForgotten, Message: "the gateway's idempotency store lost its records at " +
		since.UTC().Format(time.RFC3339) + " (a Redis restart without persistence): if this request repeats one " +
		"first sent before then, WeDa may have carried it out twice; check WeDa's state"})
}

func (s *Service) release(ctx context.Context, key, token string) {
	if err := s.store.Release(ctx, key, token); err != nil {
		s.log.ErrorContext(ctx, "idempotency store could not release a key", "err", err)
	}
}
